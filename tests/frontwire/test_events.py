"""Territorial-change detection through the real enricher: the seed case, the language reports use,
and the words that look like a change and are not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontwire.enrich import Enricher
from frontwire.models import Article, Status, TerritorialEvent

PUBLISHED = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.shared()


def events_of(enricher: Enricher, text: str, published: datetime = PUBLISHED) -> dict[str, TerritorialEvent]:
    article = Article(id="t", url="https://example.org/t", published_at=published, text=text)
    return {e.place.name: e for e in enricher.enrich(article).events}


def alerts_of(enricher: Enricher, text: str) -> dict[str, TerritorialEvent]:
    return {n: e for n, e in events_of(enricher, text).items() if e.status in (Status.REPORTED, Status.CLAIMED)}


@pytest.fixture(scope="module")
def seed_events(enricher: Enricher, seed_article: dict[str, object]) -> list[TerritorialEvent]:
    article = Article(
        id=str(seed_article["id"]),
        url=str(seed_article["url"]),
        published_at=datetime(2017, 11, 3, tzinfo=UTC),
        text=str(seed_article["text"]),
    )
    return list(enricher.enrich(article).events)


class TestSeed:
    def test_exactly_one_alertable_event_deir_el_zour(self, seed_events: list[TerritorialEvent]) -> None:
        alertable = [e for e in seed_events if e.status in (Status.REPORTED, Status.CLAIMED)]
        assert len(alertable) == 1
        deir = alertable[0]
        assert deir.place.id == "geonames:170794"
        assert abs(deir.place.lat - 35.34) < 0.05 and abs(deir.place.lon - 40.14) < 0.05
        assert (deir.gained_by, deir.lost_by) == ("sy-saa", "isis")
        assert deir.status is Status.REPORTED
        assert deir.occurred_on == date(2017, 11, 3)
        assert deir.acled_sub_event_type == "Government regains territory"
        assert "Deir el-Zour" in deir.evidence.sentence

    def test_qaim_contested_mosul_raqqa_background(self, seed_events: list[TerritorialEvent]) -> None:
        by_id = {e.place.id: e for e in seed_events}
        assert by_id["geonames:92138"].status is Status.CONTESTED  # Al-Qaim, Iraq
        assert by_id["geonames:99072"].status is Status.BACKGROUND  # Mosul
        assert by_id["geonames:172955"].status is Status.BACKGROUND  # Raqqa
        boukamal = by_id.get("geonames:174448")
        assert boukamal is None or boukamal.status is Status.EXPECTED

    def test_the_repelled_attack_claim_is_no_event(self, seed_events: list[TerritorialEvent]) -> None:
        assert not any("repulsed" in e.evidence.sentence for e in seed_events)

    def test_evidence_offsets_point_into_the_cleaned_text(self, enricher: Enricher, seed_article: dict[str, object]) -> None:
        article = Article(
            id="s", url="https://example.org/s", published_at=datetime(2017, 11, 3, tzinfo=UTC), text=str(seed_article["text"])
        )
        enriched = enricher.enrich(article)
        for event in enriched.events:
            assert enriched.text[event.evidence.start : event.evidence.end] == event.evidence.sentence


@pytest.mark.parametrize(
    ("text", "place", "gained", "lost", "status"),
    [
        ("Taliban fighters captured Kunduz on Sunday, residents said.", "Kunduz", "taliban", None, Status.REPORTED),
        ("The city of Kunduz was captured by the Taliban on Sunday.", "Kunduz", "taliban", None, Status.REPORTED),
        ("Kunduz fell to the Taliban on Sunday after days of fighting.", "Kunduz", "taliban", None, Status.REPORTED),
        ("Russian forces withdrew from Kherson in southern Ukraine on Friday.", "Kherson", None, "ru-forces", Status.REPORTED),
        ("Ukrainian troops recaptured Kupiansk from Russian forces.", "Kupiansk", "ua-forces", "ru-forces", Status.REPORTED),
        ("M23 rebels seized the town of Bunia.", "Bunia", "m23", None, Status.REPORTED),
        ("The army said it had retaken Wad Madani from the RSF.", "Wad Madani", "sd-saf", "rsf", Status.CLAIMED),
        ("According to the Houthis, their fighters seized Marib.", "Marib", "houthis", None, Status.CLAIMED),
    ],
)
def test_reports_as_they_are_written(
    enricher: Enricher, text: str, place: str, gained: str | None, lost: str | None, status: Status
) -> None:
    found = alerts_of(enricher, text)
    assert len(found) == 1, f"one alertable event expected for {place}: {found}"
    event = next(iter(found.values()))
    assert (event.gained_by, event.lost_by, event.status) == (gained, lost, status)


def test_a_list_of_places_is_one_event_each(enricher: Enricher) -> None:
    found = alerts_of(enricher, "The Taliban captured Kunduz, Taloqan and Sheberghan on Sunday.")
    assert len(found) == 3
    assert {e.gained_by for e in found.values()} == {"taliban"}
    assert {e.occurred_on for e in found.values()} == {date(2024, 3, 10)}


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Iraqi forces are pushing into Qaim, the joint command said.", Status.CONTESTED),
        ("Malian government troops besieged Kidal on Monday.", Status.CONTESTED),
        ("Al-Shabaab vowed to retake Kismayo.", Status.EXPECTED),
        ("Haftar's forces have not been able to take Tripoli.", Status.CONTESTED),
        ("Mosul, which fell to IS in 2014, is Iraq's second city.", Status.BACKGROUND),
    ],
)
def test_fighting_intentions_and_history_do_not_alert(enricher: Enricher, text: str, status: Status) -> None:
    found = events_of(enricher, text)
    assert not [e for e in found.values() if e.status in (Status.REPORTED, Status.CLAIMED)], found
    assert status in {e.status for e in found.values()}, found


@pytest.mark.parametrize(
    "text",
    [
        "Democrats took control of the House after the election in Washington.",
        "Police seized two tonnes of heroin in Kandahar on Friday.",
        "Barcelona recaptured the top spot in Madrid with a late goal.",
        "Escaped prisoner recaptured in Houston after a week on the run.",
        "Takeda completed its takeover of Shire, based in Dublin.",
        "The company captured 40 percent of the market in Nairobi.",
    ],
)
def test_words_that_look_like_it_and_are_not(enricher: Enricher, text: str) -> None:
    assert alerts_of(enricher, text) == {}
