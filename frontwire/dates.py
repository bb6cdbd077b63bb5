"""The day a sentence says something happened, resolved against the article's publication date.

News dates events relative to the dateline: "on Friday" is the latest Friday on or before
publication, "yesterday" the day before. Only a phrase that names a day gives a date;
"last week", "recently" or a bare month give none (``None``), never a guess.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["resolve_date"]

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_EXPLICIT = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.IGNORECASE),  # November 3, 2017 / Nov. 3
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}", re.IGNORECASE),  # 3 November 2017
    re.compile(r"\b(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)\b"),
]
_WEEKDAY = re.compile(r"\b(?:(?P<prefix>on|late|early|last|this|since|by|until)\s+)?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b",
                      re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?P<word>yesterday|today|tonight|this morning|this afternoon|this evening|last night|"
                       r"the day before)\b", re.IGNORECASE)
_RELATIVE_DAYS = {"yesterday": 1, "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0,
                  "this evening": 0, "last night": 1, "the day before": 1}


def resolve_date(sentence: str, published: date) -> date | None:
    """The date ``sentence`` gives for what it reports, or None when it names no day."""
    for pattern in _EXPLICIT:
        match = pattern.search(sentence)
        if match is None or _modal_may(match):
            continue
        resolved = _explicit(match, published)
        if resolved is not None:
            return resolved
    match = _WEEKDAY.search(sentence)
    if match is not None:
        # The latest such weekday on or before publication: news reports the past.
        back = (published.weekday() - _WEEKDAYS.index(match.group("weekday").lower())) % 7
        if back == 0 and (match.group("prefix") or "").lower() == "last":
            back = 7  # "last Friday" in a Friday article is a week ago
        return published - timedelta(days=back)
    match = _RELATIVE.search(sentence)
    if match is not None:
        return published - timedelta(days=_RELATIVE_DAYS[match.group("word").lower()])
    return None


def _modal_may(match: re.Match[str]) -> bool:
    # "forces may 3 ..." is a verb, "May 3" a date: only the capitalised word is the month.
    month = match.groupdict().get("month")
    return month is not None and month.lower() == "may" and month != "May"


def _explicit(match: re.Match[str], published: date) -> date | None:
    groups = match.groupdict()
    if groups.get("iso"):
        try:
            return date.fromisoformat(groups["iso"])
        except ValueError:
            return None
    month = _MONTHS[groups["month"].lower().rstrip(".")]
    day = int(groups["day"])
    year = int(groups["year"]) if groups.get("year") else published.year
    try:
        resolved = date(year, month, day)
    except ValueError:
        return None
    if not groups.get("year") and resolved > published:
        # "December 30" in a January article is last year's.
        resolved = resolved.replace(year=year - 1)
    return resolved
