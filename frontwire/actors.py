"""The armed-actor dictionary and its matcher: which armed actors an article names or means.

``ActorDictionary.load()`` reads ``frontwire/data/actors.txt`` (its header documents the
format): the actors of the conflicts frontwire watches, their aliases, the country words and
group qualifiers that build descriptions ("Syrian army", "Kurdish forces"), and the generic
descriptions ("government troops", "militants") that only context can resolve.

``find_mentions`` works on tokens and a trie of folded phrases, not on one large regular
expression, so that only the few positions where a phrase can start cost any Python work
(about 1.3 ms for a 4 KB article on a 2-core machine; loading takes about 35 ms):

1. Tokenise (runs of word characters; apostrophes inside words; "U.S." as one token; a
   possessive "'s" left outside) and fold each token (unidecode, lower case, no apostrophes,
   doubled letters collapsed, "ou" -> "u", final "ah" -> "a", the Arabic article and its
   hyphenated sun-letter forms -> "al"). Tokens join into phrases only across spaces and
   hyphens, never across other punctuation or a line break.
2. Leftmost-longest matching: an alias (with a generic noun after it, "ISIS militants",
   one mention), a standalone description ("government troops"), a chain of country words
   and qualifiers ending in a noun ("Syrian government forces", "Kurdish forces"), or a
   country's name as the subject of a verb ("Moscow said"). Acronyms must match case;
   guards drop what is not the actor ("pro-Assad forces", "ISIS-linked", "Salvation Army",
   "Reporters Without Borders (RSF)").
3. Resolve what the words alone cannot decide, shared names first, then descriptions, from
   the nearest evidence: a single "in <Country>" in the sentence; named actors in the same
   sentence, then the previous one (a bare description beside another named party is a new
   party), then, for "the militants" and the like, the only such actor the article names;
   last the article's countries given by the caller. When that does not leave exactly one
   actor (an IS province and IS count as one: the parent), the mention stays unresolved
   (``actor_id`` None): a wrong actor is worse than none, since events and alerts are built
   on these ids.

Time is explicit: ``on`` (the article's date) picks between actors that succeed each other
under the same description (``sy-saa`` until December 2024, ``sy-gov-2025`` after). It is a
parameter, never read from a clock.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from itertools import accumulate, chain, compress, islice
from operator import or_
from pathlib import Path
from typing import cast

from unidecode import unidecode

from frontwire.errors import DataFileError
from frontwire.models import Actor, ActorKind

__all__ = ["ActorDictionary", "ActorMention"]


@dataclass(frozen=True, slots=True)
class ActorMention:
    """One mention of an armed actor in a text."""

    surface: str  # the text as written, without a possessive "'s"
    start: int  # character offset into the text, inclusive
    end: int  # character offset into the text, exclusive
    actor_id: str | None  # None when the words and the context do not single out one actor
    # True for a description ("government troops", "the militants", "Kurdish forces") whose
    # actor, if any, comes from the context; False for a name ("ISIS", "SNA" too) and for a
    # description that names its actor by itself ("Syrian army" on a given date).
    generic: bool


# --------------------------------------------------------------------------------------
# Tokens and folding
# --------------------------------------------------------------------------------------

# Words are runs of word characters. The split is a third of the matching time, so it is the
# plainest one; _split then mends the few places where a word is more than that.
_WORD = re.compile(r"(\w+)")
_APOSTROPHES = frozenset("'\u2019\u02bc\u2018`")
_GLUE = _APOSTROPHES | {"."}  # a gap of exactly one of these may sit inside a word
# What may separate two tokens of one phrase: spaces or hyphens, after an optional
# possessive. Anything else (a comma, a full stop, a slash, a line break) ends the phrase.
_JOIN = re.compile(r"(?:['\u2019\u02bc][sS]?)?[ \t\u00a0\-\u2010\u2011]{1,3}")
_HYPHENS = frozenset("-\u2010\u2011")
_DROP_MARKS = str.maketrans("", "", "'`.\u00b4")
_KEEP_DOTS = str.maketrans("", "", "'`\u00b4")
_REPEATS = re.compile(r"(.)\1+")
# Sun-letter assimilations of the Arabic article; read as "al" only when hyphenated to the
# next word ("ash-Sham"), because "as", "at", "an" are English words on their own.
_SUN_ARTICLES = frozenset(
    {"ad", "ed", "ag", "ash", "esh", "as", "es", "az", "ez", "at", "et", "an", "en", "ar", "er", "adh", "ath", "ul", "il"}
)
_NO_JOIN = 0
_JOINS = 1
_HYPHENATED = 2
# Caches keyed by words and gaps: a worker sees the same few thousand of each again and again.
_FOLD_CACHE: dict[str, str] = {}
_PLAIN_CACHE: dict[str, str] = {}
_GAP_CACHE: dict[str, int] = {" ": _JOINS, "-": _HYPHENATED, ", ": _NO_JOIN, ". ": _NO_JOIN}
_CACHE_LIMIT = 200_000


def _fold(word: str) -> str:
    """The loose key of one token: spellings news uses for one name share it."""
    folded = unidecode(word).lower().translate(_DROP_MARKS)
    folded = _REPEATS.sub(r"\1", folded).replace("ou", "u")
    if len(folded) >= 4 and folded.endswith("ah"):
        folded = folded[:-1]  # Nusrah/Nusra, Hezbollah/Hezbolla
    if folded == "el":
        folded = "al"
    if len(_FOLD_CACHE) > _CACHE_LIMIT:
        _FOLD_CACHE.clear()  # bounded: a worker reads an unbounded stream of words
    _FOLD_CACHE[word] = folded
    return folded


def _plain(word: str) -> str:
    """A token as written, in ASCII, without apostrophes: what an acronym is compared to."""
    plain = _PLAIN_CACHE.get(word)
    if plain is None:
        plain = unidecode(word).translate(_KEEP_DOTS)
        if len(_PLAIN_CACHE) > _CACHE_LIMIT:
            _PLAIN_CACHE.clear()
        _PLAIN_CACHE[word] = plain
    return plain


def _gap(gap: str) -> int:
    """Whether the characters between two tokens let them be one phrase, and with a hyphen."""
    kind = _NO_JOIN
    if _JOIN.fullmatch(gap):
        kind = _HYPHENATED if any(c in _HYPHENS for c in gap) else _JOINS
    if len(_GAP_CACHE) > _CACHE_LIMIT:
        _GAP_CACHE.clear()
    _GAP_CACHE[gap] = kind
    return kind


def _is_acronym(plain: str) -> bool:
    return plain.upper() == plain and any(c.isalpha() for c in plain)


class _Tokens:
    """A text cut into tokens, with what the matcher needs to know about each."""

    __slots__ = ("_plain", "ends", "gaps", "keys", "n", "raw", "starts", "text")

    def __init__(self, text: str) -> None:
        # Built from C-speed primitives (split, map, accumulate) with Python loops only over
        # the rare exceptions: this runs on every article and dominates the matching time.
        parts = _split(text)  # gap, token, gap, token, ..., gap
        raw = parts[1::2]
        offsets = list(accumulate(map(len, parts)))
        starts = offsets[0::2][: len(raw)]  # a token starts where the gap before it ends
        ends = offsets[1::2]
        between = parts[2:-1:2]
        # gaps[i]: how token i and token i + 1 are separated (_NO_JOIN, _JOINS, _HYPHENATED)
        cached_gaps = list(map(_GAP_CACHE.get, between))
        if None in cached_gaps:
            gaps = [_gap(g) if kind is None else kind for g, kind in zip(between, cached_gaps, strict=True)]
        else:
            gaps = cast(list[int], cached_gaps)
        gaps.append(_NO_JOIN)
        cached_keys = list(map(_FOLD_CACHE.get, raw))
        if None in cached_keys:
            keys = [_fold(w) if key is None else key for w, key in zip(raw, cached_keys, strict=True)]
        else:
            keys = cast(list[str], cached_keys)
        k = 0
        with suppress(ValueError):  # list.index runs in C, and hyphens are few
            while True:
                k = gaps.index(_HYPHENATED, k)
                if keys[k] in _SUN_ARTICLES:
                    keys[k] = "al"  # "ash-Sham", "an-Nusra"
                k += 1
        self.text = text
        self.n = len(raw)
        self.starts = starts
        self.ends = ends
        self.raw = raw
        self.keys = keys
        self.gaps = gaps
        self._plain: list[str | None] = [None] * self.n

    def joined(self, i: int) -> bool:
        """Whether token ``i`` and the next can belong to one phrase."""
        return self.gaps[i] != _NO_JOIN

    def hyphen(self, i: int) -> bool:
        """Whether a hyphen joins token ``i`` to the next ("al-Shabaab", "pro-government")."""
        return self.gaps[i] == _HYPHENATED

    def plain(self, i: int) -> str:
        """Token ``i`` as written, for case-sensitive comparison."""
        value = self._plain[i]
        if value is None:
            value = self._plain[i] = _plain(self.raw[i])
        return value


def _split(text: str) -> list[str]:
    """Gaps and words, alternating (gap first and last), as news writes words.

    A word may hold apostrophes ("Hay'at", "Shi'ite", "Da'esh"); a possessive "'s" belongs
    to the gap after the word ("ISIS's fighters": "ISIS", then "'s "); "U.S." and "U.N." are
    one word. Mended by slice assignment from the right, so a text with none of these costs
    one regular-expression split and one scan of the gaps.
    """
    parts = _WORD.split(text)
    glued = list(compress(range(2, len(parts) - 1, 2), map(_GLUE.__contains__, parts[2:-1:2])))
    for g in reversed(glued):  # parts[g] is a one-character gap between words parts[g-1], parts[g+1]
        if g + 1 >= len(parts) - 1:
            continue
        before, after = parts[g - 1], parts[g + 1]
        if parts[g] == ".":
            # "U.S.": single capitals each followed by a full stop
            if len(before) == 1 and len(after) == 1 and before.isupper() and after.isupper() and parts[g + 2][:1] == ".":
                parts[g - 1 : g + 3] = [before + "." + after + ".", parts[g + 2][1:]]
            continue
        if after in ("s", "S") and (g + 2 >= len(parts) or not parts[g + 2][:1].isalnum()):
            parts[g : g + 3] = [parts[g] + after + parts[g + 2]]  # the possessive joins the gap
        else:
            parts[g - 1 : g + 2] = [before + parts[g] + after]  # "Hay'at": one word
    return parts


def _phrase_tokens(phrase: str) -> tuple[tuple[str, ...], tuple[str | None, ...]] | None:
    """Folded key and per-token case constraints of a dictionary phrase; None if it cannot match."""
    # The rules of _Tokens, written for one short phrase: building a _Tokens per alias would
    # be most of the load time. tests/frontwire/test_actors.py checks every alias finds itself.
    parts = _split(phrase)
    words = parts[1::2]
    gaps = [_GAP_CACHE[g] if g in _GAP_CACHE else _gap(g) for g in parts[2:-1:2]]
    if not words or _NO_JOIN in gaps:
        return None  # a phrase with a separator the matcher never joins across
    keys = [_FOLD_CACHE.get(w) or _fold(w) for w in words]
    for k, gap in enumerate(gaps):
        if gap == _HYPHENATED and keys[k] in _SUN_ARTICLES:
            keys[k] = "al"
    case = tuple(p if _is_acronym(p) else None for p in map(_plain, words))
    return tuple(keys), case


# --------------------------------------------------------------------------------------
# Dictionary records
# --------------------------------------------------------------------------------------

_ALIAS, _COUNTRY, _QUALIFIER, _NOUN = range(4)
_CLASSES = frozenset({"government", "state", "non-state", "militia", "any"})
_GUARD_PREFIXES = frozenset({"pro", "anti", "non", "ex"})
# "ISIS-linked group", "Iran-backed militia": the name is another actor's patron, not the actor.
_RELATIONS = frozenset(
    map(
        _fold,  # compared with folded tokens: "affiliated" is "afiliated" by then
        {
            "linked",
            "affiliated",
            "aligned",
            "inspired",
            "backed",
            "allied",
            "sponsored",
            "supported",
            "trained",
            "funded",
            "armed",
            "leaning",
            "friendly",
        },
    )
)
# Before a country word, "-led" too: "Kurdish-led Syrian forces" are not the Syrian army.
_PATRONS = _RELATIONS | {"led"}
# After a description: "fighters linked to al-Qaida", "militias loyal to Haftar".
_PATRON_WORDS = _RELATIONS | {"loyal"}
_STATE_KINDS = frozenset({ActorKind.STATE_FORCE, ActorKind.FOREIGN_STATE})
_NON_STATE_KINDS = frozenset({ActorKind.NON_STATE_ARMED_GROUP, ActorKind.MILITIA})
_PREFER = {"state": _STATE_KINDS, "government": _STATE_KINDS}
_ARTICLES = frozenset({"the", "a", "an"})
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO2 = re.compile(r"[A-Z]{2}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class _Record:
    """What the dictionary knows of an actor beyond models.Actor."""

    actor: Actor
    parent: str | None
    national: str  # "yes": a state's regular forces; "government": only what "government forces" means; ""
    areas: frozenset[str]  # ISO2 codes where it fights
    tags: frozenset[str]
    active_from: date | None
    active_until: date | None
    national_from: date | None = None  # when its national role began, if later than the actor
    national_until: date | None = None

    def national_on(self, on: date | None) -> bool:
        """Whether it can be its state's national force on ``on``; undated, only a timeless one.

        "Libyan forces" in an undated text may be Gaddafi's or a later government's: an actor
        with from/until is chosen as *the* national force only when the date says so.
        """
        bounds = (self.active_from, self.active_until, self.national_from, self.national_until)
        if on is None:
            return bounds == (None, None, None, None)
        if not self.active(on):
            return False
        if self.national_from is not None and on < self.national_from:
            return False
        return self.national_until is None or on <= self.national_until

    def active(self, on: date | None) -> bool:
        """Whether the actor existed on ``on`` (always, when the date is unknown)."""
        if on is None:
            return True
        if self.active_from is not None and on < self.active_from:
            return False
        return self.active_until is None or on <= self.active_until


@dataclass(frozen=True, slots=True)
class _Phrase:
    """One dictionary phrase: an alias, a country word, a qualifier or a generic noun."""

    role: int
    value: str  # actor id, ISO2, qualifier tag, or generic class
    case: tuple[str | None, ...]  # the exact form an acronym token must have; None: any case
    line: int
    tag: str | None = None  # generic nouns: the tag they require
    standalone: bool = False  # generic nouns: a mention on their own
    second: bool = False  # aliases: a second sense, chosen only by context ("?")
    shy: bool = False  # never next to other capitalised words ("!")
    is_name: bool = False  # country words: a name ("Iraq"), a context cue after "in"


_ALIAS_BIT, _COUNTRY_BIT, _QUALIFIER_BIT, _NOUN_BIT = 1, 2, 4, 8
_WORD_BITS = _COUNTRY_BIT | _QUALIFIER_BIT  # what starts a composite ("Syrian", "Kurdish")


class _Node:
    """One step of the phrase trie."""

    __slots__ = ("children", "hit")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.hit: _Hit | None = None  # the phrases that end here


class _Hit:
    """The phrases sharing one folded key, as a match at some position finds them."""

    __slots__ = ("checked", "length", "phrases", "roles")

    def __init__(self, length: int, phrases: tuple[_Phrase, ...]) -> None:
        self.length = length  # in tokens
        self.phrases = phrases
        self.roles = 0  # bit set of the phrases' roles
        for phrase in phrases:
            self.roles |= 1 << phrase.role
        # only acronyms and shy phrases need a look at the text as written
        self.checked = any(p.shy or any(c is not None for c in p.case) for p in phrases)


@dataclass(slots=True)
class _Span:
    """A mention being built: its tokens, and what is known of its actor."""

    first: int  # first token
    last: int  # last token, inclusive
    actor_id: str | None
    generic: bool
    candidates: tuple[str, ...] = ()  # when unresolved: the actors it can still be
    default: str | None = None  # a shared alias's default sense
    mode: str = "areas"  # how countries narrow it: "areas", "national" or "government"
    standalone: bool = False  # a generic with no qualifier: an "in <Country>" cue applies
    country_fixed: bool = False  # a country word already chose the country
    prefer: frozenset[ActorKind] = frozenset()  # once countries narrowed it, keep these kinds if any
    shared: bool = False  # an alias several actors (or only context) can own
    named: bool = False  # found by an actor's alias
    definite: bool = False  # "the militants": points back to an actor already named
    patron_follows: bool = False  # "fighters linked to al-Qaida": the next name is not theirs
    patron_before: bool = False  # "Iran-backed militants": neither the patron nor the country says who
    head: tuple[str, ...] = ()  # a description's folded words without "the": "the gunmen" repeats "gunmen"
    far: bool = True  # may take the only fitting actor the article names ("allied militias" may not)


def _overlap(a: tuple[str | None, ...], b: tuple[str | None, ...]) -> bool:
    """Whether some text can match both case patterns (acronyms written differently cannot)."""
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def _day(on: date | None) -> date | None:
    """A date from a date or a datetime (an article's ``published_at``), which do not compare."""
    return on.date() if isinstance(on, datetime) else on


def _parse_date(value: str, *, end: bool) -> date:
    match = _DATE.fullmatch(value)
    if not match:
        raise ValueError(f"bad date {value!r}: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    if month is None:
        return date(int(year), 12, 31) if end else date(int(year), 1, 1)
    if day is None:
        if not end:
            return date(int(year), int(month), 1)
        following = date(int(year) + int(month) // 12, int(month) % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    return date(int(year), int(month), int(day))


_FIELDS = {
    "actor": frozenset(
        {"name", "kind", "country", "areas", "parent", "national", "national_from", "national_until"}
        | {"from", "until", "tags", "aliases"}
    ),
    "country": frozenset({"names", "adjectives"}),
    "qualifier": frozenset({"phrases"}),
    "generic": frozenset({"phrases", "nouns"}),
    "metonymy": frozenset({"verbs"}),
}
_LISTS = frozenset({"aliases", "names", "adjectives", "phrases", "nouns", "verbs"})
# "The war in Ukraine killed ...": after these a country name is a place, not a speaker.
_PLACE_PREPOSITIONS = frozenset(
    {"in", "of", "from", "to", "into", "across", "near", "on", "at", "for", "with", "against", "inside", "within"}
    | {"over", "toward", "towards", "around", "by", "about", "between", "throughout", "through", "outside"}
)


@dataclass(slots=True)
class _Block:
    type: str
    args: list[str]
    line: int
    fields: dict[str, list[tuple[int, str]]]

    def one(self, key: str, where: str, *, required: bool = True) -> tuple[int, str] | None:
        values = self.fields.get(key)
        if not values:
            if required:
                raise DataFileError(where, self.line, f"{self.type} {' '.join(self.args)}: missing '{key}:'")
            return None
        if len(values) > 1:
            raise DataFileError(where, values[1][0], f"'{key}:' given twice")
        return values[0]

    def items(self, key: str, where: str) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for line, value in self.fields.get(key, []):
            for item in value.split("|"):
                item = item.strip()
                if not item:
                    raise DataFileError(where, line, f"empty item in '{key}:'")
                out.append((line, item))
        return out


def _read_blocks(text: str, where: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not raw[0].isspace():
            head = stripped.split()
            if head[0] not in _FIELDS:
                raise DataFileError(where, number, f"unknown record {head[0]!r}: expected one of {sorted(_FIELDS)}")
            current = _Block(head[0], head[1:], number, {})
            blocks.append(current)
            continue
        if current is None:
            raise DataFileError(where, number, "indented field before any record")
        key, colon, value = stripped.partition(":")
        key = key.strip()
        if not colon or key not in _FIELDS[current.type]:
            raise DataFileError(
                where, number, f"expected 'key: value' with key one of {sorted(_FIELDS[current.type])}, got {stripped!r}"
            )
        value = value.strip()
        if not value:
            raise DataFileError(where, number, f"'{key}:' has no value")
        if key not in _LISTS and key in current.fields:
            raise DataFileError(where, number, f"'{key}:' given twice")
        current.fields.setdefault(key, []).append((number, value))
    return blocks


# --------------------------------------------------------------------------------------
# The dictionary
# --------------------------------------------------------------------------------------


class ActorDictionary:
    """The armed actors frontwire knows, and the matcher that finds them in text."""

    def __init__(
        self,
        records: Sequence[_Record],
        phrases: Sequence[tuple[tuple[str, ...], _Phrase]],
        verbs: Collection[str] = (),
    ) -> None:
        """Build from parsed records; use ``load`` instead."""
        self._verbs = frozenset(verbs)  # folded: "Moscow said" names Russia's forces
        self._records: dict[str, _Record] = {r.actor.id: r for r in records}
        grouped: dict[tuple[str, ...], list[_Phrase]] = {}
        for key, phrase in phrases:
            grouped.setdefault(key, []).append(phrase)
        # A trie over folded tokens: matching walks only as deep as the text agrees with a phrase.
        self._trie: dict[str, _Node] = {}
        for key, group in grouped.items():
            level = self._trie
            for depth, word in enumerate(key):
                node = level.get(word)
                if node is None:
                    node = level[word] = _Node()
                if depth == len(key) - 1:
                    node.hit = _Hit(len(key), tuple(group))
                level = node.children
        self._pairs = frozenset(key[:2] for key in grouped if len(key) > 1)
        # First words that only ever begin an acronym ("is" of IS, "a" of AA): skip them in lower case.
        cased_first: dict[str, bool] = {}
        for key, group in grouped.items():
            cased = all(p.case[0] is not None for p in group)
            cased_first[key[0]] = cased_first.get(key[0], True) and cased
        self._cased_first = frozenset(k for k, cased in cased_first.items() if cased)
        self._name_first = frozenset(k[0] for k, g in grouped.items() if any(p.role == _COUNTRY and p.is_name for p in g))
        self._singles = frozenset(key[0] for key in grouped if len(key) == 1)
        # Candidate actors per (class, tags, countries, qualified, date): a handful of dates a day.
        self._pool_cache: dict[tuple[object, ...], tuple[str, ...]] = {}
        # Folded forms of every acronym: a neighbour in capitals that is one of these is not a headline.
        self._acronyms = frozenset(
            key[i] for key, group in grouped.items() for p in group for i, c in enumerate(p.case) if c is not None
        )
        self._ancestors: dict[str, tuple[str, ...]] = {}
        for actor_id in self._records:
            ancestors: list[str] = []
            parent = self._records[actor_id].parent
            while parent is not None:
                ancestors.append(parent)
                parent = self._records[parent].parent
            self._ancestors[actor_id] = tuple(ancestors)
        self._lineage = {a: frozenset((a, *chain)) for a, chain in self._ancestors.items()}

    # ---- loading -----------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> ActorDictionary:
        """Read the dictionary from ``path`` (default: the packaged frontwire/data/actors.txt)."""
        if path is None:
            where = "frontwire/data/actors.txt"
            text = resources.files("frontwire").joinpath("data/actors.txt").read_text(encoding="utf-8")
        else:
            where = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DataFileError(where, None, f"cannot read: {exc}") from exc
        return cls.parse(text, where=where)

    @classmethod
    def parse(cls, text: str, *, where: str = "<actors>") -> ActorDictionary:
        """Build the dictionary from the text of an actors file; errors name ``where`` and the line."""
        blocks = _read_blocks(text, where)
        records: list[_Record] = []
        parents: dict[str, tuple[int, str]] = {}
        seen: dict[str, int] = {}
        phrases: list[tuple[tuple[str, ...], _Phrase]] = []
        generic_keys: dict[tuple[str, ...], int] = {}
        verbs: set[str] = set()
        for block in blocks:
            label = f"{block.type} {' '.join(block.args)}".strip()
            if block.type == "metonymy":
                if block.args:
                    raise DataFileError(where, block.line, "expected 'metonymy' alone on its line")
                for line, item in block.items("verbs", where):
                    if not re.fullmatch(r"[a-z]+", item):
                        raise DataFileError(where, line, f"a verb is one lower-case word, got {item!r}")
                    verbs.add(_fold(item))
            elif block.type == "actor":
                records.append(cls._actor(block, where, seen, parents, phrases))
            elif block.type == "country":
                if len(block.args) != 1 or not _ISO2.fullmatch(block.args[0]):
                    raise DataFileError(where, block.line, f"{label}: expected 'country <ISO2>'")
                code = block.args[0]
                for role_key, is_name in (("names", True), ("adjectives", False)):
                    for line, item in block.items(role_key, where):
                        phrases.append(cls._phrase(item, line, where, _COUNTRY, code, is_name=is_name))
            elif block.type == "qualifier":
                if len(block.args) != 1 or not _SLUG.fullmatch(block.args[0]):
                    raise DataFileError(where, block.line, f"{label}: expected 'qualifier <tag>'")
                for line, item in block.items("phrases", where):
                    phrases.append(cls._phrase(item, line, where, _QUALIFIER, block.args[0]))
            else:
                if not 1 <= len(block.args) <= 2 or block.args[0] not in _CLASSES:
                    raise DataFileError(
                        where, block.line, f"{label}: expected 'generic <class> [<tag>]', class one of {sorted(_CLASSES)}"
                    )
                tag = block.args[1] if len(block.args) == 2 else None
                for role_key, standalone in (("phrases", True), ("nouns", False)):
                    for line, item in block.items(role_key, where):
                        key, phrase = cls._phrase(item, line, where, _NOUN, block.args[0], tag=tag, standalone=standalone)
                        if key in generic_keys:
                            raise DataFileError(where, line, f"generic {item!r} already defined on line {generic_keys[key]}")
                        generic_keys[key] = line
                        phrases.append((key, phrase))
        by_id = {r.actor.id: r for r in records}
        for actor_id, (line, parent) in parents.items():
            if parent not in by_id:
                raise DataFileError(where, line, f"actor {actor_id}: parent {parent!r} is not an actor in this file")
            visited = {actor_id}
            step: str | None = parent
            while step is not None:
                if step in visited:
                    raise DataFileError(where, line, f"actor {actor_id}: parent chain loops through {step!r}")
                visited.add(step)
                step = by_id[step].parent
        cls._check_shared(phrases, where)
        return cls(records, phrases, verbs)

    @staticmethod
    def _phrase(
        item: str,
        line: int,
        where: str,
        role: int,
        value: str,
        *,
        is_name: bool = False,
        tag: str | None = None,
        standalone: bool = False,
    ) -> tuple[tuple[str, ...], _Phrase]:
        marks = ""
        while item[:1] in ("?", "!"):
            marks += item[0]
            item = item[1:].lstrip()
        if "?" in marks and role != _ALIAS:
            raise DataFileError(where, line, f"'?' marks a second sense of an actor's alias; not allowed here: {item!r}")
        parsed = _phrase_tokens(item)
        if parsed is None:
            raise DataFileError(where, line, f"{item!r} cannot match: only spaces and hyphens may separate its words")
        key, case = parsed
        phrase = _Phrase(
            role, value, case, line, tag=tag, standalone=standalone, second="?" in marks, shy="!" in marks, is_name=is_name
        )
        return key, phrase

    @classmethod
    def _actor(
        cls,
        block: _Block,
        where: str,
        seen: dict[str, int],
        parents: dict[str, tuple[int, str]],
        phrases: list[tuple[tuple[str, ...], _Phrase]],
    ) -> _Record:
        if len(block.args) != 1 or not _SLUG.fullmatch(block.args[0]):
            raise DataFileError(where, block.line, "expected 'actor <id>' with a lower-case slug id (a-z, 0-9, '-')")
        actor_id = block.args[0]
        if actor_id in seen:
            raise DataFileError(where, block.line, f"actor {actor_id} already defined on line {seen[actor_id]}")
        seen[actor_id] = block.line

        def one(key: str, *, required: bool = True) -> tuple[int, str] | None:
            return block.one(key, where, required=required)

        name = one("name")
        kind_field = one("kind")
        country_field = one("country")
        assert name is not None and kind_field is not None and country_field is not None  # required=True
        try:
            kind = ActorKind(kind_field[1])
        except ValueError:
            raise DataFileError(
                where, kind_field[0], f"actor {actor_id}: kind {kind_field[1]!r} is not one of {[k.value for k in ActorKind]}"
            ) from None
        country: str | None = country_field[1]
        if country == "-":
            country = None
        elif not _ISO2.fullmatch(country_field[1]):
            raise DataFileError(where, country_field[0], f"actor {actor_id}: country must be ISO2 or '-'")
        areas_field = one("areas", required=False)
        if areas_field is not None:
            areas = areas_field[1].split()
            bad = [a for a in areas if not _ISO2.fullmatch(a)]
            if bad:
                raise DataFileError(where, areas_field[0], f"actor {actor_id}: areas must be ISO2 codes, got {bad}")
        else:
            areas = [country] if country else []
        national_field = one("national", required=False)
        national = ""
        if national_field is not None:
            if national_field[1] not in ("yes", "government", "no"):
                raise DataFileError(where, national_field[0], f"actor {actor_id}: national is 'yes', 'government' or 'no'")
            national = "" if national_field[1] == "no" else national_field[1]
            if national and country is None:
                raise DataFileError(where, national_field[0], f"actor {actor_id}: a national force needs a country")
        bounds: list[date | None] = []
        for bound in ("from", "until", "national_from", "national_until"):
            field_ = one(bound, required=False)
            if field_ is None:
                bounds.append(None)
                continue
            try:
                bounds.append(_parse_date(field_[1], end=bound.endswith("until")))
            except ValueError as exc:
                raise DataFileError(where, field_[0], f"actor {actor_id}: {bound}: {exc}") from None
        active_from, active_until, national_from, national_until = bounds
        if (national_from or national_until) and not national:
            raise DataFileError(where, block.line, f"actor {actor_id}: national_from/until without 'national:'")
        if active_from and active_until and active_from > active_until:
            raise DataFileError(where, block.line, f"actor {actor_id}: 'from' is after 'until'")
        parent_field = one("parent", required=False)
        if parent_field is not None:
            parents[actor_id] = parent_field
        tags_field = one("tags", required=False)
        tags = frozenset(tags_field[1].split()) if tags_field else frozenset()
        aliases = block.items("aliases", where)
        if not aliases:
            raise DataFileError(where, block.line, f"actor {actor_id}: no aliases")
        for line, item in aliases:
            key, phrase = cls._phrase(item, line, where, _ALIAS, actor_id)
            phrases.append((key, phrase))
            if len(key) > 1 and key[0] == "al":
                # "al-Shabaab" is also written "Shabaab"
                phrases.append((key[1:], _Phrase(_ALIAS, actor_id, phrase.case[1:], line, second=phrase.second)))
        actor = Actor(id=actor_id, name=name[1], kind=kind, country=country)
        return _Record(
            actor,
            parent_field[1] if parent_field else None,
            national,
            frozenset(areas),
            tags,
            active_from,
            active_until,
            national_from,
            national_until,
        )

    @staticmethod
    def _check_shared(phrases: Sequence[tuple[tuple[str, ...], _Phrase]], where: str) -> None:
        """Reject a phrase that means two things unless the file says so ('?' on aliases)."""
        by_key: dict[tuple[str, ...], list[_Phrase]] = {}
        for key, phrase in phrases:
            by_key.setdefault(key, []).append(phrase)
        for key, group in by_key.items():
            if len(group) < 2:
                continue
            roles = {p.role for p in group}
            text = " ".join(key)
            if len(roles) > 1:
                lines = sorted({p.line for p in group})
                raise DataFileError(where, lines[-1], f"{text!r} is both an alias and another kind of phrase (lines {lines})")
            if _ALIAS not in roles:
                values = {p.value for p in group}
                if len(values) > 1:
                    lines = sorted({p.line for p in group})
                    raise DataFileError(where, lines[-1], f"{text!r} is given to {sorted(values)} (lines {lines})")
                continue
            plain = [p for p in group if not p.second]
            for x, first in enumerate(plain):
                for other in plain[x + 1 :]:
                    if other.value != first.value and _overlap(first.case, other.case):
                        a, b = sorted((first, other), key=lambda p: p.line)
                        raise DataFileError(
                            where,
                            b.line,
                            f"alias {text!r} is shared by {a.value} (line {a.line}) and {b.value}; "
                            "mark it '?' on the actors that only context can choose",
                        )

    # ---- lookups -----------------------------------------------------------------

    def get(self, actor_id: str) -> Actor:
        """The actor with this id; KeyError names the id when there is none."""
        try:
            return self._records[actor_id].actor
        except KeyError:
            raise KeyError(f"no actor {actor_id!r} in the actor dictionary") from None

    def parent(self, actor_id: str) -> str | None:
        """The id of the organisation ``actor_id`` belongs to (isis-k -> isis), or None."""
        self.get(actor_id)
        return self._records[actor_id].parent

    def is_active(self, actor_id: str, on: date) -> bool:
        """Whether the actor existed on that day, by the dictionary's from/until."""
        self.get(actor_id)
        return self._records[actor_id].active(_day(on))

    def national_force(self, country: str, on: date | None = None) -> str | None:
        """The regular forces of a state on a day ("RU" -> ru-forces), or None if not exactly one."""
        day = _day(on)
        found = [
            r.actor.id
            for r in self._records.values()
            if r.national == "yes" and r.actor.country == country and r.national_on(day)
        ]
        return found[0] if len(found) == 1 else None

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self._records

    def __iter__(self) -> Iterator[Actor]:
        return (r.actor for r in self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    # ---- matching ----------------------------------------------------------------

    def find_mentions(self, text: str, *, countries: Collection[str] = (), on: date | None = None) -> list[ActorMention]:
        """Every armed-actor mention in ``text``, in order, resolved as far as the context allows.

        ``countries`` are the ISO2 codes of the article's places (from the gazetteer);
        ``on`` is the article's date (a datetime counts as its day). Both only ever narrow a
        choice: without them a description stays unresolved rather than guessed.
        """
        tokens = _Tokens(text)
        day = _day(on)
        spans = self._scan(tokens, day)
        if any(s.actor_id is None and s.candidates for s in spans):
            self._resolve_in_context(tokens, spans, frozenset(c.upper() for c in countries), day)
        mentions: list[ActorMention] = []
        for span in spans:
            start, end = tokens.starts[span.first], tokens.ends[span.last]
            mentions.append(ActorMention(text[start:end], start, end, span.actor_id, span.generic))
        return mentions

    def _at(self, tokens: _Tokens, i: int) -> list[_Hit]:
        """Phrases that match at token ``i``, longest first, with case rules checked."""
        keys = tokens.keys
        node = self._trie.get(keys[i])
        if node is None:
            return []
        gaps, last = tokens.gaps, tokens.n - 1
        found: list[_Hit] = []
        j = i
        while True:
            hit = node.hit
            if hit is not None:
                if hit.checked:
                    fitting = tuple(p for p in hit.phrases if self._fits(p, tokens, i, hit.length))
                    if len(fitting) < len(hit.phrases):
                        hit = _Hit(hit.length, fitting) if fitting else None
                if hit is not None:
                    found.append(hit)
            if j == last or not gaps[j] or not node.children:
                break
            j += 1
            child = node.children.get(keys[j])
            if child is None:
                break
            node = child
        found.reverse()  # longest first
        return found

    def _fits(self, phrase: _Phrase, tokens: _Tokens, i: int, length: int) -> bool:
        for offset, form in enumerate(phrase.case):
            if form is not None and tokens.plain(i + offset) != form:
                return False
        if phrase.shy:
            # "IS THIS THE END": an acronym that is also a word, among words in capitals
            for j, gap in ((i - 1, i - 1), (i + length, i + length - 1)):
                if 0 <= j < tokens.n and tokens.gaps[gap]:  # a neighbour in the same phrase, not across "?"
                    neighbour = tokens.plain(j)
                    if len(neighbour) > 1 and neighbour.isupper() and tokens.keys[j] not in self._acronyms:
                        return False
        return True

    @staticmethod
    def _noun(found: list[_Hit]) -> tuple[int, _Phrase] | None:
        for hit in found:
            if hit.roles & _NOUN_BIT:
                return hit.length, next(p for p in hit.phrases if p.role == _NOUN)
        return None

    def _scan(self, tokens: _Tokens, on: date | None) -> list[_Span]:
        """Find every mention, leftmost-longest, and resolve what its own words decide."""
        spans: list[_Span] = []
        keys = tokens.keys
        i = 0
        # Candidate starts: a one-word phrase, or the first two words of a longer one. Computed
        # with map/compress so that the thousand ordinary words of an article cost no Python loop.
        starts = map(
            or_,
            map(self._singles.__contains__, keys),
            chain(map(self._pairs.__contains__, zip(keys, islice(keys, 1, None), strict=False)), (False,)),
        )
        cased_first, raw = self._cased_first, tokens.raw
        for position in compress(range(tokens.n), starts):
            if position < i:
                continue  # inside the previous mention
            if keys[position] in cased_first and raw[position][:1].islower():
                continue
            i = position
            found = self._at(tokens, i)
            if not found:
                continue
            best: _Span | None = None  # ties go to the first found: alias, then generic, then composite
            roles = 0
            for hit in found:
                roles |= hit.roles
            if roles & _ALIAS_BIT:
                hit = next(h for h in found if h.roles & _ALIAS_BIT)
                aliases = [p for p in hit.phrases if p.role == _ALIAS]
                best = self._alias_span(tokens, i, hit.length, aliases, on)
            if roles & _NOUN_BIT and not _inside_name(tokens, i):
                for hit in found:
                    nouns = [p for p in hit.phrases if p.role == _NOUN and p.standalone]
                    if nouns:
                        end = i + hit.length - 1
                        if (best is None or end > best.last) and not _title_case_name(tokens, i, end):
                            best = self._generic_span(i, end, nouns[0], on)
                        break
            if roles & _WORD_BITS:
                span = self._composite_span(tokens, i, found, on)
                if span is not None and (best is None or span.last > best.last):
                    best = span
            if best is None:
                continue
            i = best.last + 1
            first = best.first
            if first > 0 and tokens.hyphen(first - 1) and keys[first - 1] in _GUARD_PREFIXES:
                continue  # "pro-Assad forces", "anti-junta fighters": not that actor
            if best.shared and _defines_other_name(tokens, first, best.last, spans):
                continue  # "Reporters Without Borders (RSF)": an acronym spelt out as another name
            if best.generic:
                best.head = tuple(k for k in keys[first : best.last + 1] if k != "the")
                best.definite = keys[first] == "the" or (first > 0 and keys[first - 1] == "the" and tokens.joined(first - 1))
                after = best.last + 1
                best.patron_follows = after < tokens.n and tokens.joined(best.last) and keys[after] in _PATRON_WORDS
                # "Iran-backed militants", "anti-junta fighters": whose they are is not in the words
                best.patron_before = (
                    first >= 2
                    and tokens.joined(first - 1)
                    and tokens.hyphen(first - 2)
                    and (keys[first - 1] in _PATRONS or keys[first - 2] in _GUARD_PREFIXES)
                )
            spans.append(best)
        return spans

    def _alias_span(self, tokens: _Tokens, i: int, length: int, aliases: list[_Phrase], on: date | None) -> _Span | None:
        last = i + length - 1
        if last + 1 < tokens.n and tokens.hyphen(last) and tokens.keys[last + 1] in _RELATIONS:
            return None  # "ISIS-linked", "Iran-backed": a patron, not the actor
        if last < tokens.n - 1 and tokens.gaps[last] == _JOINS:
            noun = self._noun(self._at(tokens, last + 1))
            if noun is not None:
                last += noun[0]  # "ISIS militants", "Houthi rebels": one mention
        if len(aliases) == 1 and not aliases[0].second:
            return _Span(i, last, aliases[0].value, False, named=True)
        holders = list(dict.fromkeys(p.value for p in aliases))
        defaults = [p.value for p in aliases if not p.second]
        if len(holders) == 1 and defaults:
            return _Span(i, last, holders[0], False, named=True)
        candidates = [a for a in holders if self._records[a].active(on)] or holders
        if len(holders) > 1 and len(candidates) == 1:
            # the date ruled the other senses out: "Free Syrian Army" in 2018 is the SNA's factions
            return _Span(i, last, candidates[0], False, named=True)
        default = defaults[0] if defaults and defaults[0] in candidates else None
        # A shared name is still a name, not a description: generic stays False.
        return _Span(i, last, None, False, tuple(candidates), default, shared=True, named=True)

    def _candidates(
        self, klass: str, tags: frozenset[str], countries: frozenset[str] | None, qualified: bool, on: date | None
    ) -> tuple[str, ...]:
        """The actors a generic noun can denote, given its qualifiers and the date."""
        key = (klass, tags, countries, qualified, on)
        cached = self._pool_cache.get(key)
        if cached is not None:
            return cached
        pool = [r for r in self._records.values() if r.active(on) and tags <= r.tags]
        if klass == "non-state":
            pool = [r for r in pool if r.actor.kind == ActorKind.NON_STATE_ARMED_GROUP]
        elif klass == "militia":
            pool = [r for r in pool if r.actor.kind in _NON_STATE_KINDS]
        if countries is not None:
            pool = [r for r in pool if r.actor.country in countries]
            if klass == "state":
                # "Syrian forces": the Syrian state's, nobody else's
                pool = [r for r in pool if r.national == "yes" and r.national_on(on)]
            elif klass == "government":
                pool = [r for r in pool if r.national and r.national_on(on)]
        elif klass == "government":
            # "government forces" are a state's own, never a foreign state's in its war
            pool = [r for r in pool if r.national and r.national_on(on) and r.actor.kind != ActorKind.FOREIGN_STATE]
        elif klass == "state" and not qualified:
            pool = [r for r in pool if r.actor.kind in _STATE_KINDS]
        ids = tuple(r.actor.id for r in pool)
        if qualified:
            ids = tuple(self._collapse(ids))
        if len(self._pool_cache) > 4096:
            self._pool_cache.clear()
        self._pool_cache[key] = ids
        return ids

    def _generic_span(self, first: int, last: int, noun: _Phrase, on: date | None) -> _Span:
        tags = frozenset((noun.tag,)) if noun.tag else frozenset()
        return _Span(
            first,
            last,
            None,
            True,
            self._candidates(noun.value, tags, None, False, on),
            mode={"government": "government", "state": "national"}.get(noun.value, "areas"),
            standalone=True,
            prefer=_PREFER.get(noun.value, frozenset()),
            # militias are mostly someone's auxiliaries ("allied militias", "a multitude of militias")
            far=noun.value != "militia",
        )

    def _composite_span(self, tokens: _Tokens, i: int, found: list[_Hit], on: date | None) -> _Span | None:
        """Country words and qualifiers ending in a generic noun: "Syrian government forces"."""
        countries: set[str] | None = None
        tags: set[str] = set()
        j = i
        current = found
        while True:
            step = next((hit for hit in current if hit.roles & _WORD_BITS), None)
            if step is None:
                break
            for p in step.phrases:
                if p.role == _COUNTRY:
                    countries = {p.value} if countries is None else countries & {p.value}
                elif p.role == _QUALIFIER:
                    tags.add(p.value)
            j += step.length
            if j >= tokens.n or not tokens.gaps[j - 1]:
                return None
            current = self._at(tokens, j)
        if j == i:
            return None
        noun = self._noun(current)
        if noun is None:
            return self._metonym(tokens, i, j, found, on)
        length, phrase = noun
        last = j + length - 1
        if phrase.tag:
            tags.add(phrase.tag)
        klass = phrase.value
        if (
            countries is not None
            and klass == "state"
            and i >= 2
            and tokens.keys[i - 1] in _PATRONS
            and tokens.hyphen(i - 2)
            and tokens.joined(i - 1)
        ):
            return _Span(i, last, None, True)  # "US-backed Syrian forces" are not the Syrian army
        ids = self._candidates(klass, frozenset(tags), None if countries is None else frozenset(countries), True, on)
        if len(ids) == 1:
            return _Span(i, last, ids[0], False)
        return _Span(
            i,
            last,
            None,
            True,
            tuple(ids),
            mode="areas",
            country_fixed=countries is not None,
            prefer=_PREFER.get(klass, frozenset()),  # "Kurdish forces" in Iraq: the Peshmerga, not the PKK
        )

    def _metonym(self, tokens: _Tokens, i: int, j: int, found: list[_Hit], on: date | None) -> _Span | None:
        """A country's name as the subject of a verb ("Moscow said", "Kyiv claimed"): its forces."""
        if j >= tokens.n or tokens.keys[j] not in self._verbs or tokens.gaps[j - 1] != _JOINS:
            return None
        hit = next((h for h in found if h.roles & _COUNTRY_BIT), None)
        if hit is None or i + hit.length != j:
            return None
        if i > 0 and tokens.joined(i - 1) and tokens.keys[i - 1] in _PLACE_PREPOSITIONS:
            return None
        names = {p.value for p in hit.phrases if p.role == _COUNTRY and p.is_name}
        if len(names) != 1:
            return None
        actor_id = self.national_force(names.pop(), on)
        return None if actor_id is None else _Span(i, j - 1, actor_id, False)

    def _collapse(self, ids: Sequence[str]) -> list[str]:
        """One id when one of them is the parent (or ancestor) of all the others."""
        unique = list(dict.fromkeys(ids))
        if len(unique) < 2:
            return unique
        common = set(self._lineage[unique[0]])
        for other in unique[1:]:
            common &= self._lineage[other]
            if not common:
                return unique
        root = [a for a in unique if a in common]
        return root if root else unique

    # ---- context -----------------------------------------------------------------

    def _resolve_in_context(self, tokens: _Tokens, spans: list[_Span], countries: frozenset[str], on: date | None) -> None:
        cuts = _sentence_starts(tokens.text)
        starts = tokens.starts
        sentence_of = {span.first: bisect_right(cuts, starts[span.first]) for span in spans}
        by_sentence: dict[int, list[_Span]] = {}
        for span in spans:
            by_sentence.setdefault(sentence_of[span.first], []).append(span)
        cues = self._cues(tokens, cuts)
        # Shared names first ("SNA", "al-Shabaab"), so that descriptions can lean on them.
        for generic in (False, True):
            named = [s for s in spans if s.actor_id is not None and not s.generic]
            for span in spans:
                if span.actor_id is not None or not span.candidates or span.generic != generic:
                    continue
                sentence = sentence_of[span.first]
                span.actor_id = self._decide(
                    span,
                    [s for s in by_sentence.get(sentence, ()) if s is not span],
                    by_sentence.get(sentence - 1, []),
                    named,
                    cues.get(sentence),
                    countries,
                    on,
                )

    def _cues(self, tokens: _Tokens, cuts: list[int]) -> dict[int, str]:
        """The one country each sentence places itself in with "in <Country>", if exactly one."""
        found: dict[int, set[str]] = {}
        keys, names = tokens.keys, self._name_first
        for i in compress(range(tokens.n - 1), map("in".__eq__, keys)):
            if tokens.joined(i) and keys[i + 1] in names:
                for hit in self._at(tokens, i + 1)[:1]:
                    for p in hit.phrases:
                        if p.role == _COUNTRY and p.is_name:
                            found.setdefault(bisect_right(cuts, tokens.starts[i]), set()).add(p.value)
        return {s: next(iter(c)) for s, c in found.items() if len(c) == 1}

    def _narrow(self, span: _Span, ids: Sequence[str], countries: Collection[str], on: date | None) -> list[str]:
        records = self._records
        if span.mode == "national":
            kept = [
                a
                for a in ids
                if records[a].national == "yes" and records[a].actor.country in countries and records[a].national_on(on)
            ]
        elif span.mode == "government":
            kept = [
                a for a in ids if records[a].national and records[a].actor.country in countries and records[a].national_on(on)
            ]
        else:
            kept = [a for a in ids if not records[a].areas.isdisjoint(countries)]
        if span.prefer and any(self._records[a].actor.kind in span.prefer for a in kept):
            kept = [a for a in kept if self._records[a].actor.kind in span.prefer]
        return kept

    def _decide(
        self,
        span: _Span,
        same: list[_Span],
        previous: list[_Span],
        article: list[_Span],
        cue: str | None,
        countries: frozenset[str],
        on: date | None,
    ) -> str | None:
        pool = list(span.candidates)
        if span.standalone and cue is not None:
            narrowed = self._narrow(span, pool, (cue,), on)
            if narrowed:
                ids = self._collapse(narrowed)
                if len(ids) == 1:
                    return ids[0]
                pool = narrowed
        allowed = set(pool)
        if span.patron_before:
            return None
        windows: list[list[_Span]] = [] if span.patron_follows else [same]
        # "Palestinian police clashed with gunmen": a bare description beside another named actor
        # is a new party, not the one named in the sentence before; "the militants" points back,
        # and, failing a nearer one, to the only such actor the article names.
        if span.definite or not any(s.actor_id is not None and not s.generic for s in same):
            windows.append(previous)
            if span.far and span.definite and not span.shared:
                windows.append(article)
        for window in windows:
            named = {s.actor_id for s in window if s.actor_id in allowed}
            if named:
                if len(named) == 1:
                    return named.pop()
                return span.default if span.default in named else None
            if span.definite and any(s.head == span.head and s.actor_id is None for s in window):
                return None  # "clashed with gunmen. The gunmen fled.": it points back to nobody named
        if span.shared:
            # A shared name ("SNA", "KIA") also reads the countries of the actors named around it.
            countries = countries | {
                country
                for s in (*same, *previous)
                if s.actor_id is not None and not s.generic
                for country in (self._records[s.actor_id].actor.country,)
                if country is not None
            }
        if countries and not span.country_fixed:
            narrowed = self._collapse(self._narrow(span, pool, countries, on))
            if len(narrowed) == 1:
                return narrowed[0]
            if narrowed and span.default not in narrowed:
                return None
        return span.default


def _inside_name(tokens: _Tokens, i: int) -> bool:
    """Whether a capitalised generic word ends an unknown proper name ("Salvation Army", "Red Army")."""
    if i == 0 or not tokens.gaps[i - 1] or not tokens.raw[i][:1].isupper():
        return False
    return tokens.raw[i - 1][:1].isupper() and tokens.keys[i - 1] not in _ARTICLES


def _title_case_name(tokens: _Tokens, first: int, last: int) -> bool:
    """Whether a description is written as a name mid-sentence ("like the Federal Army"): an unknown group."""
    if last == first or first == 0 or not tokens.joined(first - 1) or not tokens.raw[first - 1].islower():
        return False
    return all(tokens.raw[k][:1].isupper() for k in range(first, last + 1))


def _defines_other_name(tokens: _Tokens, first: int, last: int, spans: list[_Span]) -> bool:
    """Whether an acronym sits in parentheses after a name that is not an actor's."""
    text = tokens.text
    start, end = tokens.starts[first], tokens.ends[last]
    if first == 0 or text[start - 1 : start] != "(" or text[end : end + 1] != ")":
        return False
    if not all(tokens.plain(k).isupper() for k in range(first, last + 1)):
        return False
    if spans and spans[-1].last == first - 1:
        return False  # "the Arakan Army (AA)": the acronym of the name just matched
    return tokens.raw[first - 1][:1].isupper()


_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "gen", "lt", "col", "sgt", "maj", "capt", "st", "no", "vs", "prof", "rev"})
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")
_STOPS = re.compile(r"[.!?\n]")
# After a stop: more stops, closing quotes or brackets, then space before anything but a lower-case letter.
_SENTENCE_END = re.compile(r"[.!?]*[\"'\u201d\u2019)\]]*\s+(?=[^a-z\s])")
_LINE_END = re.compile(r"\s*")


def _sentence_starts(text: str) -> list[int]:
    """Where sentences start: after . ! ? and a space before a capital, and after line breaks."""
    cuts: list[int] = []
    last = -1
    # Find the few stops with a cheap scan, then look at what follows each: faster than one
    # regular expression tried at every character.
    for stop in _STOPS.finditer(text):
        at = stop.start()
        if at < last:
            continue  # inside the run of stops already taken ("?!", "...")
        if text[at] == "\n":
            end = _LINE_END.match(text, at + 1)
            last = end.end() if end else at + 1
            cuts.append(last)
            continue
        after = _SENTENCE_END.match(text, at + 1)
        if after is None:
            continue
        if text[at] == ".":
            before = text[max(0, at - 12) : at].split()
            word = before[-1].lstrip("(\"'") if before else ""
            if word.lower() in _ABBREVIATIONS or _INITIALS.fullmatch(word):
                continue  # "Gen. Smith", "U.S. Army"
        last = after.end()
        cuts.append(last)
    return cuts
