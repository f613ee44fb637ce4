"""The kinds of government photo ID a host school may accept or ask about, and how a school's old free-text
"accepted IDs" reads as a set of them."""
import re

# Stored key -> what people call it. The rosters, the forms and the rules print these words.
ID_TYPES = {
    "us_drivers_license": "US driver's license",
    "us_state_id": "US state ID card",
    "passport": "Passport",
    "other": "Other government photo ID",
}

# Words that name a kind, in a phrase of free text.
_KIND_WORDS = [
    ("us_drivers_license", re.compile(r"driv(?:er'?s?|ing)\s*(?:license|licence|permit)|\blicen[cs]e\b", re.I)),
    ("us_state_id", re.compile(r"\bstate\b.*\bid\b|\bid\s*card\b|identification card", re.I)),
    ("passport", re.compile(r"\bpassports?\b", re.I)),
    ("other", re.compile(r"\bmilitary\b|\btribal\b|\bother\b", re.I)),
]
_ANY = re.compile(r"\bany\b.*\b(?:government|photo)\b.*\bid\b", re.I)
_NEGATION = re.compile(r"\b(?:no|not|never|except|without|nor|cannot|can't|won't)\b", re.I)
_SPLIT = re.compile(r"[,;/()]|\bor\b|\band\b|:", re.I)
_FILLER = re.compile(r"^(?:a|an|the|us|u\.s\.|only|from any state|valid|current|photo|ids?|\s)*$", re.I)


def id_type_label(key: str) -> str:
    """What people call a stored ID kind ("US driver's license"); an unknown key as it is."""
    return ID_TYPES.get(key, key)


def id_kinds_in_words(kinds: list[str]) -> str:
    """"US driver's license, US state ID card or passport" (for a sentence); "" for no kinds (any government
    photo ID)."""
    labels = [label if label.startswith("US") else label[0].lower() + label[1:]
              for key, label in ID_TYPES.items() if key in kinds]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def read_id_kinds(text: str) -> tuple[list[str], list[str]]:
    """The kinds a school's free text accepts, and the phrases that could not be read as one. A phrase with
    a negation ("the scanner reads no passports") is never read as accepting what it names: it goes back
    to the organizer to check."""
    kinds: set[str] = set()
    unread: list[str] = []
    for phrase in (p.strip() for p in _SPLIT.split(text or "")):
        if not phrase or _FILLER.match(phrase):
            continue
        if _NEGATION.search(phrase):
            unread.append(phrase)
            continue
        if _ANY.search(phrase):
            kinds.update(ID_TYPES)
            continue
        found = {key for key, words in _KIND_WORDS if words.search(phrase)}
        if found:
            kinds.update(found)
        else:
            unread.append(phrase)
    return [k for k in ID_TYPES if k in kinds], unread
