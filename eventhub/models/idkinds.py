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

# Words that name a kind, in a phrase of free text. A bare "license" or "ID card" names no kind (a teacher's
# license, a student ID card): such a phrase goes back to the organizer.
_KIND_WORDS = [
    ("us_drivers_license", re.compile(r"driv(?:er'?s?|ing)\s*(?:license|licence|permit)", re.I)),
    ("us_state_id", re.compile(r"\bstate\b.*\b(?:id|identification)\b", re.I)),
    ("passport", re.compile(r"\bpassports?\b", re.I)),
    ("other", re.compile(r"\bmilitary\b|\btribal\b|\bother government\b", re.I)),
]
_ANY = re.compile(r"\bany\b.*\bgovernment\b", re.I)
_LOOSE_ANY = re.compile(r"\s*any\b", re.I)  # "any state-issued photo ID": which kinds is for the organizer to say
_NEGATION = re.compile(r"\b(?:no|not|never|except|excluding|without|nor|but|cannot|can't|won't|don't|doesn't|"
                       r"isn't|aren't|refused|rejected|other than)\b|n't\b", re.I)
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
    a negation ("the scanner reads no passports") never accepts what it names: the kinds it names are
    taken out (from all kinds, when nothing else was named), and the phrase goes back to the organizer."""
    kinds: set[str] = set()
    refused: set[str] = set()
    unread: list[str] = []
    for phrase in (p.strip() for p in _SPLIT.split(text or "")):
        if not phrase or _FILLER.match(phrase):
            continue
        named = {key for key, words in _KIND_WORDS if words.search(phrase)}
        if _NEGATION.search(phrase):
            refused.update(named)
            unread.append(phrase)
        elif _ANY.search(phrase):
            kinds.update(ID_TYPES)
        elif named and not _LOOSE_ANY.match(phrase):
            kinds.update(named)
        else:
            unread.append(phrase)
    if refused:
        kinds = (kinds or set(ID_TYPES)) - refused
    return [k for k in ID_TYPES if k in kinds], unread
