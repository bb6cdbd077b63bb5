"""Dates: only phrases that name a day give one, resolved against the publication date."""

from __future__ import annotations

from datetime import date

import pytest

from frontwire.dates import resolve_date

FRIDAY = date(2017, 11, 3)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The Syrian army announced on Friday it liberated the city", date(2017, 11, 3)),
        ("Rebels entered the town on Wednesday", date(2017, 11, 1)),
        ("Rebels entered the town last Friday", date(2017, 10, 27)),
        ("The army said yesterday it had retaken the base", date(2017, 11, 2)),
        ("Fighters seized the airport late last night", date(2017, 11, 2)),
        ("The town fell on Nov. 1", date(2017, 11, 1)),
        ("The town fell on 30 October", date(2017, 10, 30)),
        ("The town fell on December 30", date(2016, 12, 30)),
        ("Kunduz fell on September 28, 2015", date(2015, 9, 28)),
        ("It was captured on 2017-10-17.", date(2017, 10, 17)),
        ("The battle may 3 times have stalled", None),
        ("Forces retook it last week", None),
        ("Forces retook it in 2014", None),
        ("The town fell in November", None),
    ],
)
def test_resolve_date(sentence: str, expected: date | None) -> None:
    assert resolve_date(sentence, FRIDAY) == expected
