"""Name keys for record linkage: one Latin spelling of a name whatever script it was written in.

Sources write the same person's name in different scripts (Arabic, Cyrillic, Latin), with or
without accents, in different orders ("Pérez, José María") and with particles some keep and some
drop ("Fatima al-Zahra" / "Fatima Zahra"). Before two names are compared they are *folded*:
transliterated to Latin (Unidecode's tables), lower-cased, stripped of accents, punctuation and
particles, and split into tokens. From the tokens come the keys the linkage blocks and compares on:

- the tokens sorted, so that word order does not matter;
- a *skeleton* of each token, a phonetic key: consonants only, with the letters that
  transliterations of one sound disagree on merged (c/k/q, b/v, s/z, ph/f) and doubled letters
  collapsed. Vowels are what transliterations of Arabic and Cyrillic disagree on most
  ("Mohamed", "Muhammad" and the Arabic محمد all give "mhmd"; "Iuliia" and "Yulia" give "l"), so
  the skeleton is coarse on purpose: it finds candidates and is weak evidence, never proof.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from unidecode import unidecode

# Particles that some sources keep and others drop, in the languages of the people recorded. They
# are dropped only when a name has other tokens left ("De La" alone stays "de la").
PARTICLES = frozenset(
    {"al", "el", "ul", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "la"}
    | {"las", "le", "les", "los", "van", "von", "y", "e", "ter", "ten", "den"}
)
ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# The Arabic definite article written onto the word (الزهراء): Latin spellings write it as a
# particle ("al-Zahra", dropped below) or leave it out ("Zahra"), so it is removed.
ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])\u0627\u0644(?=[\u0600-\u06ff]{2})")
# Marks that transliteration tables write for sounds Latin spellings leave out (Unidecode writes
# ayn as ` and hamza as ', ta marbuta as @): removed without splitting the word.
SILENT_MARKS = re.compile(r"['`@\u2019\u02bc\u02bf\u02be]")
NOT_LETTERS = re.compile(r"[^a-z0-9]+")
# Spellings of one sound, merged in skeletons (applied in order).
SKELETON_MERGES = (
    ("ph", "f"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("v", "b"),
    ("z", "s"),
)
SKELETON_VOWELS = re.compile(r"[aeiouyw]")
REPEATS = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """`text` in lower-case Latin letters, digits and single spaces: transliterated, accents
    folded, punctuation and particles removed. '' when nothing is left."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """The folded words of a name, in their original order."""
    text = unicodedata.normalize("NFKC", text)
    if ARABIC_LETTERS.search(text):
        text = ARABIC_ARTICLE.sub("", text)
    latin = SILENT_MARKS.sub("", unidecode(text).lower())
    words = tuple(word for word in NOT_LETTERS.split(latin) if word)
    kept = tuple(word for word in words if word not in PARTICLES)
    return kept or words


@lru_cache(maxsize=65536)
def skeleton(token: str) -> str:
    """The phonetic key of one folded token (see the module's docstring); the token itself when
    it has no consonant."""
    merged = token
    for spelling, sound in SKELETON_MERGES:
        merged = merged.replace(spelling, sound)
    consonants = REPEATS.sub(r"\1", SKELETON_VOWELS.sub("", merged))
    return consonants or token


@dataclass(frozen=True)
class NameKeys:
    """What the linkage uses of one written name. Every field is '' for an empty name."""

    tokens: tuple[str, ...]
    sorted_name: str  # the tokens sorted and joined: word order does not matter
    sorted_skeleton: str  # each token's skeleton, sorted and joined
    joined_skeleton: str  # the skeleton of the tokens written together ("Abd Allah" = "Abdallah")
    first_key: str  # skeleton of the first token (often the given name)
    last_key: str  # skeleton of the last token (often the family name)
    initials: str  # first letters of the skeletons, sorted (vowels differ between scripts)


def name_keys(text: str | None) -> NameKeys:
    words = tokens(text) if text else ()
    skeletons = [skeleton(word) for word in words]
    return NameKeys(
        tokens=words,
        sorted_name=" ".join(sorted(words)),
        sorted_skeleton=" ".join(sorted(skeletons)),
        joined_skeleton=skeleton("".join(words)) if words else "",
        first_key=skeletons[0] if words else "",
        last_key=skeletons[-1] if words else "",
        initials="".join(sorted(key[0] for key in skeletons)),
    )
