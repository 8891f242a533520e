"""Arabic text for renderers that neither shape nor reorder it: WeasyPrint's SVG text.

WeasyPrint lays out SVG text one character at a time, from left to right, in the order the
characters are stored: Arabic letters then come out unjoined (isolated forms) and backwards. A
chart's text for a PDF is therefore given to it already shaped (each letter in its contextual
presentation form, lam-alef as its ligature) and in visual order (the Unicode bidirectional
algorithm's reordering for a right-to-left paragraph: Arabic runs reversed, runs of Latin letters
and of digits kept left to right, brackets mirrored). Browsers shape and reorder by themselves:
pages keep the logical text.

The forms come from the Unicode character database (the decompositions of the Arabic
Presentation Forms blocks); harakat (short vowels, shadda) are left out, as printed labels
usually do, since a mark drawn on its own would take a place of its own.
"""

from __future__ import annotations

import unicodedata
from functools import cache

ISOLATES = "\u2066\u2067\u2068\u2069\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
TATWEEL = "\u0640"
LAM = "\u0644"
ALEFS = frozenset("\u0622\u0623\u0625\u0627")  # lam + alef is always written as one ligature
MIRRORED = {"(": ")", ")": "(", "[": "]", "]": "[", "{": "}", "}": "{", "<": ">", ">": "<"}
FORMS = ("isolated", "final", "initial", "medial")


@cache
def _tables() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """(letter, form) -> presentation form, and (lam + alef, form) -> ligature."""
    letters: dict[tuple[str, str], str] = {}
    ligatures: dict[tuple[str, str], str] = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        char = chr(code)
        parts = unicodedata.decomposition(char).split()
        if len(parts) < 2 or parts[0].strip("<>") not in FORMS:
            continue
        form, base = parts[0].strip("<>"), "".join(chr(int(p, 16)) for p in parts[1:])
        if len(base) == 1:
            letters.setdefault((base, form), char)
        elif len(base) == 2 and base[0] == LAM and base[1] in ALEFS:
            ligatures.setdefault((base, form), char)
    return letters, ligatures


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) == "Mn"


def _joins_forward(char: str) -> bool:
    """Whether `char` joins the letter after it (dual-joining letters and the tatweel)."""
    letters, _ligatures = _tables()
    return char == TATWEEL or (char, "initial") in letters


def _joins_backward(char: str) -> bool:
    letters, _ligatures = _tables()
    return char == TATWEEL or (char, "final") in letters


def is_arabic(char: str) -> bool:
    return (
        "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff" or "\u0750" <= char <= "\u077f"
    )


def shape(text: str) -> str:
    """`text` with each Arabic letter in its contextual form (logical order kept)."""
    letters, ligatures = _tables()
    chars = [c for c in text if not (_is_mark(c) and is_arabic(c)) and c not in ISOLATES]
    shaped: list[str] = []
    index = 0
    while index < len(chars):
        char = chars[index]
        previous = chars[index - 1] if index else ""
        after_previous = bool(previous) and _joins_forward(previous)
        pair = char + chars[index + 1] if index + 1 < len(chars) else ""
        if char == LAM and (pair, "isolated") in ligatures:
            form = "final" if after_previous else "isolated"
            shaped.append(ligatures.get((pair, form)) or ligatures[(pair, "isolated")])
            index += 2
            continue
        following = chars[index + 1] if index + 1 < len(chars) else ""
        backward = after_previous and _joins_backward(char)
        forward = _joins_forward(char) and bool(following) and _joins_backward(following)
        form = {
            (True, True): "medial",
            (True, False): "final",
            (False, True): "initial",
            (False, False): "isolated",
        }[(backward, forward)]
        shaped.append(letters.get((char, form)) or letters.get((char, "isolated")) or char)
        index += 1
    return "".join(shaped)


def _strength(char: str) -> str:
    """R (right to left), L (left to right), N (neutral) and EN (a digit) as the bidirectional
    algorithm classes them, simplified to what labels hold."""
    bidi = unicodedata.bidirectional(char)
    if bidi in ("R", "AL"):
        return "R"
    if bidi == "L":
        return "L"
    if bidi in ("EN", "AN"):
        return "EN"
    return "N"


def visual(text: str) -> str:
    """`text`, a right-to-left paragraph, in the order it is seen from left to right."""
    classes = [_strength(c) for c in text]
    # A separator between two digits, and a currency or percent sign beside one, belong to the
    # number (rules W4 and W5): 16.10.1, 95 %.
    for index, char in enumerate(text):
        kind = unicodedata.bidirectional(char)
        before = classes[index - 1] if index else ""
        after = classes[index + 1] if index + 1 < len(text) else ""
        if (kind in ("CS", "ES") and before == after == "EN") or (
            kind == "ET" and "EN" in (before, after)
        ):
            classes[index] = "EN"
    # Levels: 1 for right to left, 2 for left to right (Latin letters, digits) inside it. A
    # neutral between two left-to-right characters is left to right; digits count as right to
    # left for the neutrals around them (rule N1).
    levels = [1 if kind == "R" else 2 if kind in ("L", "EN") else 0 for kind in classes]
    for index, kind in enumerate(classes):
        if kind != "N":
            continue
        before = next((classes[i] for i in range(index - 1, -1, -1) if classes[i] != "N"), "R")
        after = next((classes[i] for i in range(index + 1, len(text)) if classes[i] != "N"), "R")
        levels[index] = 2 if before == after == "L" else 1
    chars = [MIRRORED.get(c, c) if level == 1 else c for c, level in zip(text, levels, strict=True)]
    # Reverse every run at level 2 or more, then the whole paragraph (rule L2).
    start = None
    for index in range(len(chars) + 1):
        high = index < len(chars) and levels[index] >= 2
        if high and start is None:
            start = index
        elif not high and start is not None:
            chars[start:index] = chars[start:index][::-1]
            start = None
    return "".join(reversed(chars))


def for_print(text: str) -> str:
    """Shaped and in visual order, when `text` holds Arabic; as it is otherwise."""
    if not any(is_arabic(c) for c in text):
        return "".join(c for c in text if c not in ISOLATES)
    return visual(shape(text))
