"""frontwire: territorial-control events from news text. The domain library; no Kafka here.

    from frontwire import Enricher, parse_raw_article
    article = parse_raw_article(raw_bytes, received_at=now)
    enriched = Enricher.shared().enrich(article)      # entities, places, actors, events
    for event in enriched.events: ...

Names are imported on first use (PEP 562), so ``import frontwire.models`` stays cheap and does
not load the gazetteer's or trafilatura's dependencies.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "Actor",
    "ActorDictionary",
    "ActorKind",
    "Alert",
    "AlertKind",
    "Article",
    "Change",
    "DataFileError",
    "Deduplicator",
    "EnrichedArticle",
    "Enricher",
    "Entity",
    "EntityType",
    "Evidence",
    "FrontwireError",
    "Gazetteer",
    "InvalidArticle",
    "InvalidSubscription",
    "Place",
    "PlaceKind",
    "PlaceState",
    "ProcessingError",
    "RetryPolicy",
    "SourceRef",
    "Status",
    "Subscription",
    "TerritorialEvent",
    "apply",
    "article_from_dict",
    "clean_text",
    "detect_events",
    "parse_raw_article",
    "resolve_date",
    "sign",
    "verify",
]

_HOMES = {
    "Actor": "models",
    "ActorKind": "models",
    "Article": "models",
    "Change": "models",
    "EnrichedArticle": "models",
    "Entity": "models",
    "EntityType": "models",
    "Evidence": "models",
    "Place": "models",
    "PlaceKind": "models",
    "Status": "models",
    "TerritorialEvent": "models",
    "DataFileError": "errors",
    "FrontwireError": "errors",
    "InvalidArticle": "errors",
    "ProcessingError": "errors",
    "ActorDictionary": "actors",
    "Gazetteer": "gazetteer",
    "Deduplicator": "dedup",
    "Enricher": "enrich",
    "Alert": "control",
    "AlertKind": "control",
    "PlaceState": "control",
    "SourceRef": "control",
    "apply": "control",
    "InvalidSubscription": "subscriptions",
    "Subscription": "subscriptions",
    "RetryPolicy": "webhooks",
    "sign": "webhooks",
    "verify": "webhooks",
    "article_from_dict": "ingest",
    "parse_raw_article": "ingest",
    "clean_text": "cleaning",
    "detect_events": "events",
    "resolve_date": "dates",
}

if TYPE_CHECKING:  # pragma: no cover
    from frontwire.actors import ActorDictionary
    from frontwire.cleaning import clean_text
    from frontwire.control import Alert, AlertKind, PlaceState, SourceRef, apply
    from frontwire.dates import resolve_date
    from frontwire.dedup import Deduplicator
    from frontwire.enrich import Enricher
    from frontwire.errors import DataFileError, FrontwireError, InvalidArticle, ProcessingError
    from frontwire.events import detect_events
    from frontwire.gazetteer import Gazetteer
    from frontwire.ingest import article_from_dict, parse_raw_article
    from frontwire.models import (
        Actor,
        ActorKind,
        Article,
        Change,
        EnrichedArticle,
        Entity,
        EntityType,
        Evidence,
        Place,
        PlaceKind,
        Status,
        TerritorialEvent,
    )
    from frontwire.subscriptions import InvalidSubscription, Subscription
    from frontwire.webhooks import RetryPolicy, sign, verify


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'frontwire' has no attribute {name!r}")
    value = getattr(import_module(f"frontwire.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
