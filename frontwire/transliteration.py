"""Name normalisation that survives the ways news transliterates Arabic, Cyrillic and Pashto.

Two forms are derived from any name or text span, both pure functions of the string:

``normalize`` (the *light* form) keeps a name readable; two spellings are compared on it::

    1. transliterate to ASCII (unidecode) and lower-case: "Mazār-e Sharīf" -> "mazar-e sharif";
    2. delete apostrophes and hamza/ayn marks: "Dar'a" -> "dara", "Al Qā’im" -> "al qaim";
    3. anything that is not a letter or digit (hyphen, space, dot, comma) separates tokens;
    4. drop an Arabic article token (al, el, ad, ash, as, az, ez, ed, et, at, an, ar, ...)
       or a Persian/Pashto linking token (the "i"/"e" of "Mazar-i-Sharif") wherever another
       token follows: "Deir ez-Zor" -> "deir zor", "Al-Qaim" -> "qaim"; a lone "Al" stays;
    5. after the first token, strip an article fused onto a word by a doubled sun letter:
       "Deir Ezzor" -> "deir zor", "Tall Abyad Arraqqa" -> "tall abyad raqqa".

``fold`` (the *loose key*) goes further so that spellings of one name collide in a
dictionary; it is never shown to anyone::

    6. a token-initial "y" before a vowel is a consonant and is kept apart from the vowels;
    7. a "j" right after a vowel is a Slavic glide and becomes "y" ("Avdijivka" ~ "Avdiyivka");
    8. consonant variants, in this order: tsch/tch -> c, sch -> s, kh -> h, gh -> g,
       sh -> s, zh -> z, ch -> c, ts -> c, ph -> f, dh/th -> z, ck -> k, aw/ow -> o
       ("Zawr" ~ "Zor"), q -> k, w -> v;
    9. a token-final "h" after a vowel is dropped ("Raqqah" ~ "Raqqa");
    10. every run of vowels (a e i o u y) becomes one "a": ou/u/o, ei/ay/e, ii/iyi agree;
    11. tokens are joined without spaces and doubled letters collapse ("Deirezzor").

So "Deir el-Zour", "Deir ez-Zor", "Deir Ezzor" and "Dayr az-Zawr" all fold to "darzar";
"Qaim" and "Al Qā’im" to "kam"; "Boukamal" and "Al-Bukamal" to "bakamal"; "Kharkov" and
"Kharkiv" to "harkav"; "Zaporizhzhia" and "Zaporozhye" to "zaparaza". Folding throws
information away on purpose: a caller confirms a fold hit with ``similarity`` on the
light forms. The rules cover the romanisation variants (BGN/PCGN, ALA-LC, French and
German renderings of Arabic, Persian and Cyrillic) that GeoNames' alternate names show.

Every rule is a regular expression or ``str.replace`` over a newline-joined block of
names, so ``normalize_many``/``fold_many`` transform a whole gazetteer in a few C-level
passes, and the one-name functions run the very same passes on a block of one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from unidecode import unidecode

__all__ = [
    "ARTICLES",
    "CONNECTORS",
    "fold",
    "fold_many",
    "fold_normalized_many",
    "normalize",
    "normalize_many",
    "similarity",
]

#: Arabic definite-article forms as separate tokens (with their sun-letter assimilations).
ARTICLES: frozenset[str] = frozenset(
    {"al", "el", "ul", "il", "ad", "ed", "adh", "ag", "aj", "ar", "er", "as", "es", "ash", "esh",
     "at", "et", "ath", "az", "ez", "an", "en"}
)
#: Persian/Pashto ezafe and similar linking tokens that sit between two name parts.
CONNECTORS: frozenset[str] = frozenset({"i", "e", "ye", "ol", "ud", "ut"})

# Every line of a block is kept as " token token " (a space on both ends), so each rule
# starts with a literal space: the regex engine then skips ahead instead of trying every
# position, which makes a pass over 800k names take tens of milliseconds.
_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) != "\n"})
_DROPPED = re.compile(r" (?:" + "|".join(sorted(ARTICLES | CONNECTORS, key=len, reverse=True)) + r")(?= [a-z0-9])")
# An article fused onto a later word: a vowel, then a doubled sun letter ("ezzor", "arraqqa").
_FUSED_ARTICLE = re.compile(r" [aeu](sh|[tdsznr])(?=\1[a-z]{2})")
_LEADING_Y = re.compile(r" y(?=[aeiou])")
_REPLACEMENTS = (
    ("tsch", "c"),
    ("tch", "c"),
    ("sch", "s"),
    ("kh", "h"),
    ("gh", "g"),
    ("sh", "s"),
    ("zh", "z"),
    ("ch", "c"),
    ("ts", "c"),
    ("ph", "f"),
    ("dh", "z"),
    ("th", "z"),
    ("ck", "k"),
    ("aw", "o"),
    ("ow", "o"),
    ("q", "k"),
    ("w", "v"),
)
_VOWELS = str.maketrans("eiouy", "aaaaa")
_VOWEL_RUN = re.compile(r"aa+")
_DOUBLES = tuple((re.compile(c + c + "+"), c) for c in "bcdfghjklmnpqrstvwxz")
# Latin letters with diacritics, transliterated once: str.translate beats unidecode per call.
_LATIN = {
    i: unidecode(chr(i))
    for i in (*range(0x80, 0x250), *range(0x2B0, 0x300), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070))
}


def _ascii(name: str) -> str:
    if name.isascii():
        return name
    name = name.translate(_LATIN)
    return name if name.isascii() else unidecode(name)


def _block(names: Sequence[str]) -> str:
    block = " \n ".join(map(_ascii, names))
    if block.count("\n") != len(names) - 1:
        # A newline inside a name would shift every later line; it is a separator anyway.
        block = " \n ".join(_ascii(n).replace("\n", " ") for n in names)
    return " " + block.replace("\r", " ") + " "


def _normalize_block(block: str) -> str:
    # In and out: one name a line, each line " ... " with its sentinel spaces, ASCII.
    block = block.lower().replace("'", "").replace("`", "").translate(_SEPARATORS)
    while "  " in block:
        block = block.replace("  ", " ")
    block = _DROPPED.sub("", block)

    def unfuse(match: re.Match[str]) -> str:
        # Only after the first token: "Assad" or "Essen" must keep their first letters.
        return " " if match.string[match.start() - 1].isalnum() else match.group(0)

    return _FUSED_ARTICLE.sub(unfuse, block)


def _fold_block(block: str) -> str:
    # "Y" marks a consonantal y until the vowel pass is done.
    block = _LEADING_Y.sub(" Y", block)
    for vowel in "aeiouy":
        block = block.replace(vowel + "j", vowel + "y")
    for old, new in _REPLACEMENTS:
        block = block.replace(old, new)
    for vowel in "aeiouy":
        block = block.replace(vowel + "h ", vowel + " ")
    block = _VOWEL_RUN.sub("a", block.translate(_VOWELS))
    block = block.replace("Y", "y").replace(" ", "")
    for double, single in _DOUBLES:
        block = double.sub(single, block)
    return block


def normalize_many(names: Sequence[str]) -> list[str]:
    """``normalize`` of each name, in order, computed in one pass over all of them."""
    if not names:
        return []
    return [line.strip() for line in _normalize_block(_block(names)).split("\n")]


def fold_normalized_many(light_forms: Sequence[str]) -> list[str]:
    """``fold`` of names already in light form (the output of ``normalize_many``)."""
    if not light_forms:
        return []
    return _fold_block("\n".join(" " + form + " " for form in light_forms)).split("\n")


def fold_many(names: Sequence[str]) -> list[str]:
    """``fold`` of each name, in order, computed in one pass over all of them."""
    return fold_normalized_many(normalize_many(names))


@lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """The light form of a name (rules 1-5 of the module docstring), tokens joined by a space."""
    return _normalize_block(_block((name,))).strip()


@lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """The loose key of a name (rules 1-11 of the module docstring); equal keys are candidates."""
    return _fold_block(" " + normalize(name) + " ")


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length, on two light forms, spaces ignored."""
    a = a.replace(" ", "")
    b = b.replace(" ", "")
    if a == b:
        return 1.0
    return 1.0 - _levenshtein(a, b) / max(len(a), len(b))


def _levenshtein(a: str, b: str) -> int:
    # Myers' bit-vector algorithm in Hyyrö's form for Levenshtein distance (G. Myers, "A fast
    # bit-vector algorithm for approximate string matching", JACM 1999; H. Hyyrö 2001): one
    # pass over b with a's columns packed in an int, several times faster than the two-row
    # dynamic programme in pure Python.
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict[str, int] = {}
    for i, char in enumerate(a):
        peq[char] = peq.get(char, 0) | (1 << i)
    full = (1 << len(a)) - 1
    last = 1 << (len(a) - 1)
    pv, mv, score = full, 0, len(a)
    for char in b:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score
