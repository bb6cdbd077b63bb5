"""Article cleaning: one plain text per article, the story and nothing else.

Every later stage (entities, places, events) reads the cleaned text and points into it by
character offset, so this module fixes its shape once: Unicode NFC, no control characters,
single spaces, lines stripped, paragraphs separated by one blank line ("\\n\\n").

HTML is read by trafilatura (A. Barbaresi, "Trafilatura: A Web Scraping Library and
Command-Line Tool for Text Discovery and Extraction", ACL 2021 demos), tuned for precision,
with its baseline extractor as the fallback: no tag is stripped by hand here. Text, whether
given or extracted, then loses its boilerplate (paywall pitches, share bars, photo credits,
"Related" boxes, comment threads) by the rules in ``data/boilerplate.txt``, whose format is
documented at the top of that file. Bylines, datelines and captions stay: they are news.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from html import unescape
from pathlib import Path

import trafilatura

from frontwire.models import Article

__all__ = [
    "BOILERPLATE_PATH",
    "BoilerplateRule",
    "RuleAction",
    "clean_text",
    "default_boilerplate_rules",
    "load_boilerplate_rules",
    "normalize_text",
    "strip_boilerplate",
    "text_from_html",
]

BOILERPLATE_PATH = Path(__file__).parent / "data" / "boilerplate.txt"


class RuleAction(StrEnum):
    """What a boilerplate rule does to the text it matches (see data/boilerplate.txt)."""

    DROP = "drop"  # remove the line the pattern matches in full
    LIST = "list"  # remove the line and the headline-like lines under it
    TRIM = "trim"  # remove what the pattern matches at the end of the line, keep the rest
    CUT = "cut"  # remove the text from the match to the end


@dataclass(frozen=True, slots=True)
class BoilerplateRule:
    """One line of the boilerplate file: an action and the pattern that triggers it."""

    action: RuleAction
    pattern: re.Pattern[str]
    origin: str  # "path:line" of the rule, so a surprising cut can be traced to its rule


def load_boilerplate_rules(path: Path = BOILERPLATE_PATH) -> tuple[BoilerplateRule, ...]:
    """Parse a boilerplate file; raise ValueError naming the file and line of the first bad rule."""
    rules: list[BoilerplateRule] = []
    commented = False  # a rule must sit under a comment block; a blank line ends the block
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            commented = False
            continue
        if line.startswith("#"):
            commented = True
            continue
        where = f"{path}:{number}"
        action_word, _, source = line.partition(" ")
        source = source.strip()
        try:
            action = RuleAction(action_word)
        except ValueError:
            known = ", ".join(a.value for a in RuleAction)
            raise ValueError(f"{where}: unknown action {action_word!r} (expected one of: {known})") from None
        if not source:
            raise ValueError(f"{where}: {action.value} rule has no pattern")
        if not commented:
            raise ValueError(f"{where}: rule has no comment above it saying what it removes and why")
        try:
            # Compiled as a group, the form strip_boilerplate joins rules in: a global inline flag
            # such as "(?s)" cannot sit in a group, so it fails here, with the line, not later.
            pattern = re.compile(f"(?:{source})", re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{where}: bad regex {source!r}: {exc}") from None
        # A pattern that matches nothing at all would drop every blank-free line or cut at offset 0.
        if pattern.fullmatch("") is not None:
            raise ValueError(f"{where}: pattern {source!r} matches the empty string")
        rules.append(BoilerplateRule(action, pattern, where))
    return tuple(rules)


@cache
def default_boilerplate_rules() -> tuple[BoilerplateRule, ...]:
    """The packaged rules (data/boilerplate.txt), parsed once per process."""
    return load_boilerplate_rules(BOILERPLATE_PATH)


def clean_text(article: Article, rules: Sequence[BoilerplateRule] | None = None) -> str:
    """The article's story as cleaned text: from ``text`` if it has any, else from ``html``.

    The producer's ``text`` wins over ``html`` when both are given: it is what the producer
    chose to send as the body, and extraction would cost milliseconds for no gain. The title
    stays apart (``Article.title``); a first line that merely repeats it is removed, since
    scrapers often start the body with the headline. The result is "" when neither input
    holds any story.
    """
    if article.text:
        cleaned = strip_boilerplate(article.text, rules)
        if cleaned:
            return _without_title(cleaned, article.title)
    if article.html:
        return _without_title(strip_boilerplate(text_from_html(article.html), rules), article.title)
    return ""


def text_from_html(html: str) -> str:
    """The main text of an HTML page, normalised, one paragraph per extracted block.

    trafilatura runs without comments, tables or images and with ``favor_precision``: a missing
    sentence costs less than a navigation link read as news. When it finds nothing (a page
    rendered by script, a very short page) its baseline extractor (JSON-LD ``articleBody``,
    ``<article>``, ``<p>`` elements), then ``html2txt``, is used instead; a value with no
    markup at all is taken as the text it is.
    """
    extracted = trafilatura.extract(
        html,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
    )
    if not extracted or not extracted.strip():
        extracted = trafilatura.baseline(html)[1] or trafilatura.html2txt(html)
    if not extracted.strip() and "<" not in html:
        # Producers sometimes put plain text in the html field; trafilatura does not read a
        # document without markup, and the text is the story, so keep it (entities decoded).
        extracted = unescape(html)
    # trafilatura writes one line per block element (paragraph, heading, list item): each line
    # is a paragraph of the article.
    return normalize_text(extracted.replace("\n", "\n\n"))


def strip_boilerplate(text: str, rules: Sequence[BoilerplateRule] | None = None) -> str:
    """The text normalised and without the lines the boilerplate rules match (default: packaged rules)."""
    matchers = _matchers(default_boilerplate_rules() if rules is None else tuple(rules))
    kept: list[str] = []
    seen_prose = False  # a cut marker is the story's tail only once some story came before it
    in_list = False
    previous = ""  # the last line kept: scrapers repeat a line (a caption as alt text and as caption)
    for line in normalize_text(text).split("\n"):
        if not line:
            kept.append(line)
            continue
        if line == previous or (in_list and _is_list_item(line)):
            continue
        in_list = False
        if cut := matchers.cut.search(line):
            head = line[: cut.start()].rstrip()
            if seen_prose or _is_prose(head):
                if head:
                    kept.append(head)
                break
            continue  # a banner above the story: lose the banner only
        if trim := matchers.trim.search(line, max(0, len(line) - _TRIM_WINDOW_CHARS)):
            line = line[: trim.start()].rstrip()
            if not line:
                continue
        if matchers.drop.fullmatch(line):
            continue
        if matchers.list.fullmatch(line):
            in_list = True
            continue
        kept.append(line)
        previous = line
        seen_prose = seen_prose or _is_prose(line)
    return _join_paragraphs(kept)


@dataclass(frozen=True, slots=True)
class _Matchers:
    """The rules of each action joined into one pattern: one regex call per line and action, not one per rule."""

    drop: re.Pattern[str]
    list: re.Pattern[str]
    trim: re.Pattern[str]
    cut: re.Pattern[str]


@lru_cache(maxsize=16)
def _matchers(rules: tuple[BoilerplateRule, ...]) -> _Matchers:
    def joined(action: RuleAction, prefix: str = "", suffix: str = "") -> re.Pattern[str]:
        # "(?!)" never matches: an action with no rules removes nothing.
        sources = [r.pattern.pattern for r in rules if r.action is action] or ["(?!)"]
        return re.compile(prefix + "(?:" + "|".join(sources) + ")" + suffix, re.IGNORECASE)

    return _Matchers(
        drop=joined(RuleAction.DROP),
        list=joined(RuleAction.LIST),
        trim=joined(RuleAction.TRIM, prefix=_CREDIT_START, suffix="$"),
        cut=joined(RuleAction.CUT, prefix=_SENTENCE_START),
    )


# Where a cut marker may start: at the start of a line or of a sentence inside it. A pitch
# opens a sentence of its own; anchoring there also spares the regex engine a try at every
# character (three times faster on the seed).
_SENTENCE_START = "(?:^|(?<=[.!?] )|(?<=[.!?][\"'\u201d\u2019)] ))"
# Where a trimmed credit may start: at a bracket, or after the caption's last sentence. The
# gate also makes the search twice as fast as trying every alternative at every character.
_CREDIT_START = "(?:(?=[(\\[])|(?<=[.!?\"'\u201d\u2019)] ))"


# Characters removed outright: C0/C1 controls except the newline (tab and the line-break
# controls are mapped below instead), and invisible format characters that would split a name
# for the matchers downstream: soft hyphen, Arabic letter mark, zero-width space, word joiner,
# byte-order mark, and the bidirectional marks, embeddings and isolates. ZWNJ/ZWJ (U+200C/D)
# stay: Persian, Kurdish and Indic spelling needs them.
_REMOVED = [*range(0x00, 0x09), *range(0x0E, 0x1C), 0x1F, 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0)]
_REMOVED += [0xAD, 0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF]
# Every Unicode space separator (category Zs) and the tab become a plain space, so
# "government\xa0troops" reads as "government troops" to every matcher.
_SPACES = [0x09, 0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]
# Line breaks of every convention become "\n"; a paragraph separator is a paragraph break.
_BREAKS = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028]
_REPLACEMENT = {chr(c): "" for c in _REMOVED} | {chr(c): " " for c in _SPACES} | {chr(c): "\n" for c in _BREAKS}
_REPLACEMENT["\u2029"] = "\n\n"
# A character class finds the few odd characters fast; str.translate would look every
# character up in a dict, which costs more on text that has almost none of them.
_ODD = re.compile("[" + "".join(re.escape(c) for c in _REPLACEMENT if c != "\n") + "]")

_SPACE_RUN = re.compile(r" {2,}")
_BLANK_RUN = re.compile(r"\n{3,}")
# A sentence ends in . ! ? or an ellipsis, possibly followed by closing quotes or brackets
# (U+201D and U+2019 are the typographic closing double and single quotes).
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
# A list item (a headline) does not end a sentence with a full stop, a colon or a semicolon.
_NOT_A_HEADLINE_END = re.compile(r"[.:;\u2026][\"'\u201d\u2019)\]]*$")
_MAX_HEADLINE_CHARS = 160
# A trim rule looks only at the end of a line: credits are short, and a bounded window keeps
# a long paragraph from costing a regex try at each of its characters.
_TRIM_WINDOW_CHARS = 120
_MIN_PROSE_WORDS = 5


def normalize_text(text: str) -> str:
    """NFC text without control characters, single spaces, stripped lines, at most one blank line in a row."""
    # The checks before each step skip it on the common text that does not need it.
    text = text.replace("\r\n", "\n")
    if _ODD.search(text):
        text = _ODD.sub(lambda m: _REPLACEMENT[m.group()], text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip(" \n")


def _join_paragraphs(lines: Iterable[str]) -> str:
    """Join lines, keeping one blank line between paragraphs and none at either end."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _is_prose(line: str) -> bool:
    """True for a line that reads like a sentence of the story: several words and a full stop."""
    return bool(_SENTENCE_END.search(line)) and len(line.split()) >= _MIN_PROSE_WORDS


def _is_list_item(line: str) -> bool:
    """True for a line that reads like a headline in a box of links."""
    return len(line) <= _MAX_HEADLINE_CHARS and not _NOT_A_HEADLINE_END.search(line)


def _without_title(text: str, title: str | None) -> str:
    """The text without a first line that repeats the title (compared case- and space-insensitively)."""
    if not title:
        return text
    first, _, rest = text.partition("\n")
    if " ".join(first.split()).casefold() == " ".join(normalize_text(title).split()).casefold():
        return rest.lstrip("\n")
    return text
