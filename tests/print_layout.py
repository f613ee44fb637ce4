"""Reading a printed PDF's layout back: each word with its box, and what a reader would call broken
(words printed over each other, words off the page, a document ending on a page pushed over with a
few words). Text read back cannot see these; the boxes can."""
import unicodedata
from dataclasses import dataclass
from io import BytesIO

import pdfplumber

# Two words overlap when their boxes share more than this part of the smaller one.
OVERLAP = 1 / 3
# Two letters in one word sit on each other when they share more than this part of the narrower one
# (kerning brings neighbours a little closer; letters of two lines printed in one place coincide).
CROWDED = 1 / 2
# A word may reach this far past the page's edge (a glyph's side bearing) before it is off the page.
EDGE_PT = 1.0
# A document of two or more pages must not end on a page holding fewer words than this, counting only
# the page's body (the running header and "Page N of M" sit in the margins, above and below these).
SHORT_LAST_PAGE = 25
HEADER_PT, FOOTER_PT = 45.0, 40.0


@dataclass(frozen=True)
class Word:
    """A word as printed: its text, its page, and its box in points from the page's top left corner.
    `crowded` is set when letters inside it sit on each other: two lines of the same size printed in
    one place read back as one word of interleaved letters."""

    page: int
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    crowded: bool = False

    @property
    def area(self) -> float:
        return max(self.x1 - self.x0, 0.01) * max(self.bottom - self.top, 0.01)

    def shared_area(self, other: "Word") -> float:
        width = min(self.x1, other.x1) - max(self.x0, other.x0)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return width * height if width > 0 and height > 0 else 0.0


def words_of(data: bytes) -> tuple[list[list[Word]], list[tuple[float, float]]]:
    """Each page's words with their boxes (points from the top left), and each page's size."""
    pages, sizes = [], []
    with pdfplumber.open(BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            sizes.append((float(page.width), float(page.height)))
            # Letters of another size are another word: a heading printed over small print stays two words.
            found = page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"],
                                       return_chars=True)
            pages.append([_word(number, float(page.height), w) for w in found])
    return pages, sizes


def _word(page: int, height: float, found: dict) -> Word:
    """A word's box, its height taken from its size around its baseline (ascent 0.72, descent 0.22 of
    the size) rather than from its font's bounding box, which for Arabic or CJK faces reaches far above
    and below the letters and would make two lines in a row look as if they overlapped."""
    baseline = height - found["chars"][0]["matrix"][5]
    size = float(found["size"])
    return Word(page, found["text"], float(found["x0"]), baseline - 0.72 * size, float(found["x1"]),
                baseline + 0.22 * size, _crowded(found["chars"]))


def _crowded(chars: list[dict]) -> bool:
    """Whether two letters of the word are drawn mostly over each other. Marks that sit on their letter
    by design (accents) and punctuation that kerning tucks under a letter ("r,") are left out."""
    letters = sorted((c for c in chars if unicodedata.category(c["text"][:1] or " ")[0] in "LN"
                      and float(c["x1"]) - float(c["x0"]) > 0.5), key=lambda c: float(c["x0"]))
    for a, b in zip(letters, letters[1:]):
        shared = float(a["x1"]) - float(b["x0"])
        if shared > CROWDED * min(float(a["x1"]) - float(a["x0"]), float(b["x1"]) - float(b["x0"])):
            return True
    return False


def overlaps(words: list[Word]) -> list[tuple[Word, Word]]:
    """Pairs of words drawn over each other (by more than OVERLAP of the smaller one)."""
    found = []
    ordered = sorted(words, key=lambda w: w.top)
    for i, word in enumerate(ordered):
        for other in ordered[i + 1:]:
            if other.top >= word.bottom:
                break
            if word.shared_area(other) > OVERLAP * min(word.area, other.area):
                found.append((word, other))
    return found


def layout_problems(data: bytes) -> list[str]:
    """Everything wrong with the PDF's layout, in words; empty when it prints as it should."""
    pages, sizes = words_of(data)
    problems = []
    for words, (width, height) in zip(pages, sizes):
        for a, b in overlaps(words):
            problems.append(f"page {a.page}: {a.text!r} and {b.text!r} are printed over each other")
        for w in words:
            if w.crowded:
                problems.append(f"page {w.page}: {w.text!r} is two words printed over each other")
        for w in words:
            if w.x0 < -EDGE_PT or w.top < -EDGE_PT or w.x1 > width + EDGE_PT or w.bottom > height + EDGE_PT:
                problems.append(f"page {w.page}: {w.text!r} lies outside the page")
    if len(pages) >= 2:
        height = sizes[-1][1]
        body = [w for w in pages[-1] if w.top >= HEADER_PT and w.bottom <= height - FOOTER_PT]
        if len(body) < SHORT_LAST_PAGE:
            last = " ".join(w.text for w in body)
            problems.append(f"the last of {len(pages)} pages holds only {len(body)} words: {last[:120]!r}")
    return problems
