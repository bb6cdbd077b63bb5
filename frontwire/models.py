"""Domain values: what an article holds once frontwire has read it.

Every value is a frozen, slotted dataclass so it can be hashed, shared between
stages and never changed behind a caller's back. ``to_dict`` gives the JSON shape
fixed by ``schemas/``; nothing here knows about Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Actor",
    "ActorKind",
    "Article",
    "Change",
    "EnrichedArticle",
    "Entity",
    "EntityType",
    "Evidence",
    "Place",
    "PlaceKind",
    "Status",
    "TerritorialEvent",
    "rfc3339",
]


class EntityType(StrEnum):
    """What an entity mention names."""

    PLACE = "PLACE"
    ACTOR = "ACTOR"
    PERSON = "PERSON"
    ORG = "ORG"


class ActorKind(StrEnum):
    """The role an armed actor plays; the values are the wire format."""

    STATE_FORCE = "state force"
    NON_STATE_ARMED_GROUP = "non-state armed group"
    MILITIA = "militia"
    FOREIGN_STATE = "foreign state"


class PlaceKind(StrEnum):
    """What sort of place a gazetteer entry is."""

    COUNTRY = "country"
    ADMIN1 = "admin1"  # province, governorate, oblast, state, region
    CITY = "city"  # any populated place: city, town, village
    LOCALITY = "locality"  # neighbourhood, airport, base: places inside a city


class Change(StrEnum):
    """How a place changed hands."""

    CAPTURE = "capture"
    RECAPTURE = "recapture"
    WITHDRAWAL = "withdrawal"


class Status(StrEnum):
    """How sure the text is that the change happened (see DESIGN.md)."""

    REPORTED = "reported"
    CLAIMED = "claimed"
    CONTESTED = "contested"
    EXPECTED = "expected"
    BACKGROUND = "background"


@dataclass(frozen=True, slots=True)
class Article:
    """A raw article after validation: the input every domain stage takes."""

    id: str
    url: str  # canonical: lower-cased host, no fragment, no tracking parameters
    published_at: datetime  # timezone-aware, UTC
    title: str | None = None
    text: str | None = None
    html: str | None = None
    source: str | None = None  # outlet, e.g. "apnews.com"; derived from the URL when absent
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # unknown input fields, kept


@dataclass(frozen=True, slots=True)
class Entity:
    """One mention in the cleaned text."""

    surface: str
    start: int  # character offset into the cleaned text, inclusive
    end: int  # character offset into the cleaned text, exclusive
    type: EntityType
    canonical_id: str | None  # "geonames:170794", an actor id, or None when unresolved

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/enriched-article.schema.json#/$defs/entity."""
        return {
            "surface": self.surface,
            "start": self.start,
            "end": self.end,
            "type": self.type.value,
            "canonical_id": self.canonical_id,
        }


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: a gazetteer entry and how often the article names it."""

    id: str  # "geonames:170794" for populated places and countries, "iso3166-2:SY-DY" for provinces
    name: str
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-2
    admin1: str | None  # name of the first-level division that holds it
    kind: PlaceKind
    mentions: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/enriched-article.schema.json#/$defs/place."""
        return {
            "id": self.id,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "country": self.country,
            "admin1": self.admin1,
            "kind": self.kind.value,
            "mentions": self.mentions,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place:
        """The place ``to_dict`` gave."""
        return cls(
            data["id"], data["name"], data["lat"], data["lon"], data["country"], data["admin1"],
            PlaceKind(data["kind"]), data["mentions"],
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """An armed actor as the actor dictionary defines it."""

    id: str  # e.g. "isis", "sy-saa"
    name: str
    kind: ActorKind
    country: str | None  # ISO 3166-1 alpha-2 of the state it belongs to or fights in; None for transnational

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/enriched-article.schema.json#/$defs/actor."""
        return {"id": self.id, "name": self.name, "kind": self.kind.value, "country": self.country}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The sentence that states a change, with its offsets into the cleaned text."""

    sentence: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/territorial-event.schema.json#/$defs/evidence."""
        return {"sentence": self.sentence, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """The evidence ``to_dict`` gave."""
        return cls(data["sentence"], data["start"], data["end"])


@dataclass(frozen=True, slots=True)
class TerritorialEvent:
    """One place changing hands (or fought over, or recalled), as one article tells it."""

    event_id: str  # pure function of place, actors, change and date
    place: Place
    gained_by: str | None  # actor id; None when the text does not say
    lost_by: str | None
    change: Change
    status: Status
    occurred_on: date | None  # None when the text gives no day
    evidence: Evidence
    confidence: float  # in [0, 1]
    acled_sub_event_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/territorial-event.schema.json."""
        return {
            "event_id": self.event_id,
            "place": self.place.to_dict(),
            "gained_by": self.gained_by,
            "lost_by": self.lost_by,
            "change": self.change.value,
            "status": self.status.value,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "evidence": self.evidence.to_dict(),
            "confidence": self.confidence,
            "acled_sub_event_type": self.acled_sub_event_type,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TerritorialEvent:
        """The event ``to_dict`` gave (extra keys, such as the article reference, are ignored)."""
        return cls(
            event_id=data["event_id"],
            place=Place.from_dict(data["place"]),
            gained_by=data["gained_by"],
            lost_by=data["lost_by"],
            change=Change(data["change"]),
            status=Status(data["status"]),
            occurred_on=date.fromisoformat(data["occurred_on"]) if data["occurred_on"] else None,
            evidence=Evidence.from_dict(data["evidence"]),
            confidence=data["confidence"],
            acled_sub_event_type=data["acled_sub_event_type"],
        )


@dataclass(frozen=True, slots=True)
class EnrichedArticle:
    """What the enrich stage makes of one article."""

    id: str
    url: str
    source: str | None
    title: str | None
    published_at: datetime
    language: str | None
    text: str  # the cleaned text every offset points into
    entities: tuple[Entity, ...] = ()
    places: tuple[Place, ...] = ()
    actors: tuple[Actor, ...] = ()
    events: tuple[TerritorialEvent, ...] = ()
    duplicate_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/enriched-article.schema.json."""
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "title": self.title,
            "published_at": rfc3339(self.published_at),
            "language": self.language,
            "text": self.text,
            "text_length": len(self.text),
            "entities": [e.to_dict() for e in self.entities],
            "places": [p.to_dict() for p in self.places],
            "actors": [a.to_dict() for a in self.actors],
            "events": [e.to_dict() for e in self.events],
            "duplicate_of": self.duplicate_of,
        }


def rfc3339(moment: datetime) -> str:
    """``moment`` as an RFC 3339 string with a ``Z`` for UTC."""
    return moment.isoformat().replace("+00:00", "Z")
