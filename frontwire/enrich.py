"""The one entry point from a raw article to an enriched one.

``Enricher.enrich`` is what the enrich agent and ``frontwire extract`` both call, so the
stream and the batch give the same output for the same input. Resources that are costly to
load (the gazetteer above all) are loaded once per process by :meth:`Enricher.shared`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from frontwire.actors import ActorDictionary
from frontwire.cleaning import clean_text
from frontwire.dedup import Deduplicator, check_and_record
from frontwire.events import detect_events
from frontwire.gazetteer import Gazetteer, PlaceMention
from frontwire.models import ActorKind, Article, EnrichedArticle, Entity, EntityType, Place

__all__ = ["Enricher"]


@dataclass(frozen=True, slots=True)
class Enricher:
    """Cleaning, entities, places and events for one article at a time."""

    clean: Callable[[Article], str]
    actors: ActorDictionary
    places: Gazetteer
    deduplicator: Deduplicator = field(default_factory=Deduplicator)

    _shared: ClassVar[Enricher | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def shared(cls) -> Enricher:
        """The process-wide enricher with the packaged dictionaries and gazetteer, loaded on first use."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(clean=clean_text, actors=ActorDictionary.load(), places=Gazetteer.shared())
            return cls._shared

    def enrich(self, article: Article, *, seen: MutableMapping[str, Any] | None = None) -> EnrichedArticle:
        """The enriched article: cleaned text, entities, places, actors and territorial events.

        ``seen`` is the near-duplicate index (band key -> entry): given one, ``duplicate_of`` names
        the first article this one copies, and this article is recorded in it.
        """
        text = self.clean(article)
        duplicate_of = None
        if seen is not None:
            duplicate_of = check_and_record(self.deduplicator, seen, article.id, article.published_at, text)
        on = article.published_at.date()
        # Named actors first: their countries help the gazetteer choose between homonyms, and the
        # places' countries then let generic mentions ("government forces") resolve.
        named = self.actors.find_mentions(text, on=on)
        actor_countries = {self.actors.get(m.actor_id).country for m in named if m.actor_id}
        place_mentions = self.places.find_places(text, countries={c for c in actor_countries if c})
        place_countries = Counter(m.place.country for m in place_mentions)
        actor_mentions = self.actors.find_mentions(text, countries=list(place_countries), on=on)

        entities: list[Entity] = sorted(
            [Entity(m.surface, m.start, m.end, EntityType.PLACE, m.place.id) for m in place_mentions]
            + [Entity(m.surface, m.start, m.end, EntityType.ACTOR, m.actor_id) for m in actor_mentions],
            key=lambda e: (e.start, e.end),
        )
        places = _places_with_counts(place_mentions)
        events = detect_events(
            text,
            entities,
            {p.id: p for p in places},
            article.published_at.date(),
            actor_kind=self._actor_kind,
        )
        return EnrichedArticle(
            id=article.id,
            url=article.url,
            source=article.source,
            title=article.title,
            published_at=article.published_at,
            language=article.language,
            text=text,
            entities=tuple(entities),
            places=places,
            actors=tuple(self.actors.get(i) for i in dict.fromkeys(m.actor_id for m in actor_mentions if m.actor_id)),
            events=events,
            duplicate_of=duplicate_of,
        )

    def _actor_kind(self, actor_id: str) -> ActorKind | None:
        try:
            return self.actors.get(actor_id).kind
        except KeyError:
            return None


def _places_with_counts(mentions: Sequence[PlaceMention]) -> tuple[Place, ...]:
    counts = Counter(m.place.id for m in mentions)
    first = {m.place.id: m.place for m in reversed(mentions)}
    return tuple(replace(first[pid], mentions=n) for pid, n in counts.most_common())
