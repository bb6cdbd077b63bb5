"""Near-duplicate detection: argument checks, stable signatures, the band-key mapping, verification and the window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from frontwire.dedup import DEFAULT_WINDOW_S, Deduplicator, IndexEntry, Signature, shingles

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2017, 11, 3, 12, 0, tzinfo=UTC)

STORY = "\n\n".join([
    (
        "Syrian government forces and their allies have taken full control of Deir el-Zour from the Islamic State "
        "group, the army said on Friday, in a major blow to the militants in the east of the country."
    ),
    (
        "The army said its troops had cleared the last neighbourhoods of the city after weeks of fighting, and "
        "engineering units were removing mines and explosives left behind by the militants."
    ),
    (
        "The Syrian Observatory for Human Rights, a Britain-based war monitor, said government forces were in control "
        "of the city but some pockets of militants remained on its edges."
    ),
    (
        "Deir el-Zour had been divided between government forces and Islamic State fighters for about three years, with"
        " the government holding the airport and several districts under siege."
    ),
    (
        "Iraqi forces, meanwhile, said they were pushing into the town of Qaim on the other side of the border, one of "
        "the last places the group holds in Iraq."
    ),
    (
        "A military official said the battle for the rest of the province would be finished within days, as troops "
        "advanced along the Euphrates toward Boukamal."
    ),
])

OTHER = "\n\n".join([
    (
        "Ukrainian troops have pushed back Russian units from several villages north of Kharkiv, the general staff "
        "said, after days of artillery duels along the border."
    ),
    (
        "Officials said residents of the recaptured villages would receive food and medical aid, while engineers "
        "cleared roads of mines. Russia's defence ministry did not comment on the claim, which could not be verified "
        "independently."
    ),
    (
        "The fighting comes as both sides prepare for a new phase of the war, with Western partners pledging more air "
        "defence systems for Ukrainian cities."
    ),
])


def copy_of(text: str) -> str:
    """The story as another outlet runs it: a headline, a byline, a footer, the last paragraph trimmed."""
    paragraphs = text.split("\n\n")[:-1]
    return "\n\n".join([
        "Assad's forces retake Deir el-Zour: what we know",
        "By Staff and agencies. BEIRUT (Reuters) -",
        *paragraphs,
        "Copyright 2017 Reuters. All rights reserved. This material may not be published or redistributed.",
    ])


def store(dedup: Deduplicator, table: dict[str, IndexEntry], article_id: str, text: str, when: datetime) -> str | None:
    """Check one article, then store its entries the way the enrich stage does; its duplicate_of."""
    signature = dedup.signature(text)
    found = dedup.find_duplicate(article_id, when, signature, table.get)
    for key, entry in dedup.entries_for(article_id, when, signature, original_id=found, lookup=table.get).items():
        assert key not in table or dedup.is_expired(table[key], when)
        table[key] = entry
    return found


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_perm": 0}, "num_perm must be a positive integer"),
        ({"num_perm": 12.5}, "num_perm must be a positive integer"),
        ({"bands": 0}, "bands must be an integer from 1 to num_perm"),
        ({"bands": 256}, "bands must be an integer from 1 to num_perm"),
        ({"bands": 30}, "bands (30) must divide num_perm (128)"),
        ({"threshold": 0}, "threshold must be a Jaccard similarity"),
        ({"threshold": 1.5}, "threshold must be a Jaccard similarity"),
        ({"window_s": 0}, "window_s must be a positive number of seconds"),
        ({"window_s": True}, "window_s must be a positive number of seconds"),
        ({"shingle_size": 0}, "shingle_size must be a positive number of words"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_arguments_are_checked_at_once(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Deduplicator(**kwargs)  # type: ignore[arg-type]


def test_defaults_are_the_documented_ones() -> None:
    dedup = Deduplicator()
    assert (dedup.num_perm, dedup.bands, dedup.rows, dedup.threshold) == (128, 32, 4, 0.5)
    assert dedup.window_s == DEFAULT_WINDOW_S == 7 * 24 * 3600
    assert dedup.shingle_size == 5


def test_shingles_are_lower_cased_word_grams_without_punctuation() -> None:
    assert shingles("The Army, said: the ARMY said!", 3) == {"the army said", "army said the", "said the army"}
    assert shingles("Too short", 5) == {"too short"}
    assert shingles(" ... ", 5) == set()


def test_signature_is_the_same_in_another_process() -> None:
    dedup = Deduplicator()
    here = dedup.signature(STORY).to_dict()
    script = ("import json, sys; from frontwire.dedup import Deduplicator; "
              "print(json.dumps(Deduplicator().signature(sys.stdin.read()).to_dict()))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another str hash seed must not matter
    out = subprocess.run([sys.executable, "-c", script], input=STORY, capture_output=True, text=True, cwd=ROOT,
                         env=env, check=True)
    assert json.loads(out.stdout) == here


def test_band_keys_are_pinned() -> None:
    """A change here orphans every stored entry: bump the scheme version in dedup.py instead."""
    keys = Deduplicator().band_keys(Deduplicator().signature(STORY))
    assert len(keys) == 32 and len(set(keys)) == 32
    assert keys[0] == PINNED_FIRST_KEY


PINNED_FIRST_KEY = "a1f51ae4:00:d243a3803999f890"


def test_signature_and_entry_round_trip_through_json() -> None:
    dedup = Deduplicator()
    signature = dedup.signature(STORY)
    encoded = json.dumps(signature.to_dict())
    assert len(encoded) < 800
    assert Signature.from_dict(json.loads(encoded)) == signature
    entries = dedup.entries_for("a1", T0, signature)
    entry = next(iter(entries.values()))
    encoded = json.dumps(entry.to_dict())
    assert len(encoded) < 500
    assert IndexEntry.from_dict(json.loads(encoded)) == entry
    assert all(e is entry for e in entries.values())


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"scheme": "x", "shingles": 1, "hashes": "not base64!"},
        {"scheme": "x", "shingles": -1, "hashes": ""},
        {"scheme": "x", "shingles": 1, "hashes": "AAA="},
    ],
)
def test_signature_from_dict_rejects_what_it_did_not_make(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a signature"):
        Signature.from_dict(data)


def test_entry_from_dict_rejects_a_naive_time() -> None:
    entry = next(iter(Deduplicator().entries_for("a1", T0, Deduplicator().signature(STORY)).values())).to_dict()
    with pytest.raises(ValueError, match="timezone-aware"):
        IndexEntry.from_dict({**entry, "published_at": "2017-11-03T12:00:00"})
    with pytest.raises(ValueError, match="not an index entry"):
        IndexEntry.from_dict({**entry, "fingerprint": "???"})


def test_a_syndicated_copy_is_found_and_a_distinct_article_is_not() -> None:
    dedup = Deduplicator()
    table: dict[str, IndexEntry] = {}
    assert store(dedup, table, "reuters-1", STORY, T0) is None
    assert store(dedup, table, "yahoo-1", copy_of(STORY), T0 + timedelta(hours=3)) == "reuters-1"
    assert store(dedup, table, "kyiv-1", OTHER, T0 + timedelta(hours=4)) is None


def test_a_copy_of_a_copy_names_the_first_article() -> None:
    dedup = Deduplicator()
    table: dict[str, IndexEntry] = {}
    store(dedup, table, "reuters-1", STORY, T0)
    assert store(dedup, table, "yahoo-1", copy_of(STORY), T0 + timedelta(hours=1)) == "reuters-1"
    # Drop what only the original held: the third copy can reach the family only through the second.
    for key in [k for k, e in table.items() if e.article_id == "reuters-1"]:
        del table[key]
    assert store(dedup, table, "msn-1", copy_of(STORY) + "\n\nMore on this story soon.", T0 + timedelta(hours=2)) == "reuters-1"


def test_a_shared_band_key_alone_is_not_a_duplicate() -> None:
    dedup = Deduplicator()
    other = next(iter(dedup.entries_for("kyiv-1", T0, dedup.signature(OTHER)).values()))
    # Every band key "collides" with an unrelated article: verification on its fingerprint rejects it.
    assert dedup.find_duplicate("reuters-1", T0, dedup.signature(STORY), lambda key: other) is None
    same = next(iter(dedup.entries_for("afp-1", T0, dedup.signature(STORY)).values()))
    assert dedup.similarity(dedup.signature(STORY), same) == 1.0
    assert dedup.similarity(dedup.signature(STORY), other) < 0.1


def test_an_article_is_never_its_own_duplicate() -> None:
    dedup = Deduplicator()
    table: dict[str, IndexEntry] = {}
    assert store(dedup, table, "reuters-1", STORY, T0) is None
    assert store(dedup, table, "reuters-1", STORY, T0) is None  # redelivered
    assert dedup.entries_for("reuters-1", T0, dedup.signature(STORY), lookup=table.get) == {}


def test_the_first_article_keeps_its_band_keys() -> None:
    dedup = Deduplicator()
    table: dict[str, IndexEntry] = {}
    store(dedup, table, "reuters-1", STORY, T0)
    later = dedup.entries_for("afp-1", T0 + timedelta(hours=1), dedup.signature(STORY), lookup=table.get)
    assert later == {}
    assert {e.article_id for e in table.values()} == {"reuters-1"}


def test_the_earliest_published_candidate_wins() -> None:
    dedup = Deduplicator()
    signature = dedup.signature(STORY)
    early = dedup.entries_for("early", T0, signature)
    late = dedup.entries_for("late", T0 + timedelta(hours=1), signature)
    keys = list(early)
    table = {k: (late[k] if i % 2 else early[k]) for i, k in enumerate(keys)}
    assert dedup.find_duplicate("new", T0 + timedelta(hours=2), signature, table.get) == "early"


def test_entries_outside_the_window_count_as_absent_and_may_be_replaced() -> None:
    dedup = Deduplicator(window_s=3600)
    table: dict[str, IndexEntry] = {}
    store(dedup, table, "reuters-1", STORY, T0)
    entry = next(iter(table.values()))
    assert not dedup.is_expired(entry, T0 + timedelta(minutes=60))
    assert dedup.is_expired(entry, T0 + timedelta(minutes=61))
    later = T0 + timedelta(hours=2)
    assert dedup.find_duplicate("afp-1", later, dedup.signature(STORY), table.get) is None
    # An old article replayed long after this week's copies does not match them either.
    assert dedup.find_duplicate("old-1", T0 - timedelta(days=30), dedup.signature(STORY), table.get) is None
    assert store(dedup, table, "afp-1", STORY, later) is None
    assert {e.article_id for e in table.values()} == {"afp-1"}


def test_a_text_without_words_matches_nothing() -> None:
    dedup = Deduplicator()
    empty = dedup.signature("— … —")
    assert empty.shingles == 0 and dedup.band_keys(empty) == []
    assert dedup.entries_for("a1", T0, empty) == {}
    assert dedup.find_duplicate("a2", T0, empty, lambda key: None) is None


def test_signatures_of_another_scheme_are_refused() -> None:
    small = Deduplicator(num_perm=64, bands=16)
    with pytest.raises(ValueError, match="scheme"):
        Deduplicator().band_keys(small.signature(STORY))
    assert Deduplicator(seed=2).signature(STORY).scheme != Deduplicator().signature(STORY).scheme


def test_times_must_be_timezone_aware() -> None:
    dedup = Deduplicator()
    with pytest.raises(ValueError, match="published_at must be timezone-aware"):
        dedup.find_duplicate("a1", datetime(2017, 11, 3), dedup.signature(STORY), lambda key: None)
