"""The public surface of the frontwire package: a change to it is a decision, not an accident."""

from __future__ import annotations

import subprocess
import sys

import frontwire

EXPECTED = {
    "Actor", "ActorDictionary", "ActorKind", "Alert", "AlertKind", "Article", "Change", "DataFileError",
    "Deduplicator", "EnrichedArticle", "Enricher", "Entity", "EntityType", "Evidence", "FrontwireError",
    "Gazetteer", "InvalidArticle", "InvalidSubscription", "Place", "PlaceKind", "PlaceState", "ProcessingError",
    "RetryPolicy", "SourceRef", "Status", "Subscription", "TerritorialEvent", "apply", "article_from_dict",
    "clean_text", "detect_events", "parse_raw_article", "resolve_date", "sign", "verify",
}


def test_public_names_are_pinned_and_resolve() -> None:
    assert set(frontwire.__all__) == EXPECTED
    for name in frontwire.__all__:
        member = getattr(frontwire, name)
        assert member.__module__.startswith("frontwire."), name


def test_domain_library_imports_no_kafka_client() -> None:
    code = (
        "import sys, frontwire, frontwire.enrich, frontwire.control, frontwire.webhooks, frontwire.subscriptions; "
        "bad = [m for m in ('faust', 'aiokafka', 'kafka', 'mode') if m in sys.modules]; print(bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
