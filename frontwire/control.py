"""Per-place control state and the alert decision: who holds a place, and when a report is news.

Pure: :func:`apply` takes a place's state (or None for a place never seen) and one event as one
article tells it, and returns the next state and the alert to publish, if any. The state is a
frozen value with a JSON round trip, meant for a table keyed by place id; nothing here knows
about Kafka.

A *change* is what an alerting event says happened to the place: it passed to ``gained_by``; or,
when ``gained_by`` is None (a withdrawal, or a capture whose captor the text does not name), it
was lost by ``lost_by`` and frontwire knows no holder (the place is *vacated*).

Rules, in the order :func:`apply` checks them:

1. Only ``reported`` and ``claimed`` events count; any other status, and an event that names
   neither side, leaves the state as it is and gives no alert.
2. Idempotent: an (article, event) pair already applied changes nothing and gives no alert, so
   a redelivery after a crash is harmless.
3. ``update``: the event tells the current change again (same ``gained_by``; for a vacated place
   the same ``lost_by``). A new article joins the change's sources; the alert comes only when the
   change gains an outlet (``corroboration`` = distinct outlets), so the same article or outlet
   again gives no alert. A ``reported`` telling raises a ``claimed`` change to ``reported``. A
   report giving the place to the holder frontwire has is another source of that change even
   when it tells of a recapture frontwire missed: as far as frontwire knows, nobody else held it.
4. A syndicated copy (``duplicate_of`` set) counts as a source of the change its original
   supports (rule 3, also when its own reading of the actors differs from the original's; on a
   new outlet it raises ``corroboration``, which counts outlets, as the schema says), but never
   opens or reverses a change: a copy that arrives before its original is held (at most
   :data:`HELD_LIMIT` per place) and joins the original's change when the original arrives.
5. Ordering by what the text says happened, not by arrival. A report's effective date is its
   ``occurred_on``, else its article's ``published_at`` date. The change in force dates from
   ``since``, the earliest effective date among its reports (never earlier than the change it
   replaced), and is known to hold until ``as_of``: ``since``, or a later ``occurred_on`` that a
   report of it states. A different change dated before ``as_of`` does not flip the controller:
   it is kept in the history as ``outdated`` and gives no alert. One dated on or after it flips
   the controller, however late it arrives (the same day counts as later: the newer report wins).
   ``as_of`` takes only stated days, not publication dates, so an undated follow-up a week later
   cannot keep out a change dated in between, while a report that the holder (re)took the place on
   a later day does.
6. A change with ``gained_by`` None: if ``lost_by`` is the controller (or the place has no known
   controller), the place becomes vacated and the alert says so (``gained_by`` null); if frontwire
   has another controller, the withdrawal of an actor it did not know to hold the place says
   nothing about the holder: kept in the history as ``ignored``, no alert.
7. Otherwise the change opens: ``reversal`` when the place had a known controller (it changes
   hands again), ``new`` when it had none (never seen, or vacated). The change it replaces goes
   to the history as ``superseded``.

Alerts carry the change (its first report's event, ``event_id`` included, with the strongest
status any report gave it), ``previous_controller`` (the holder before the change, the same on
every alert of one change), every source, ``first_reported_at`` (the earliest source) and
``corroboration``.

Deterministic ids: ``event_id`` is a pure function of the change's content; an opening alert's
id of (event id, kind, previous controller, the change it replaced: its event id and ``since``);
an update's id of (event id, kind, previous controller, the opening alert's id, the source
article's id). SHA-256, never Python's ``hash()``: a replay of the same input reproduces the
same ids and the same state.

Bounded state: per change at most :data:`SOURCES_LIMIT` listed sources (later ones are counted,
not listed), :data:`OUTLETS_LIMIT` counted outlets (corroboration stops there) and
:data:`ALERT_IDS_LIMIT` alert ids (the opening one and the latest); per place
:data:`HISTORY_LIMIT` history entries, :data:`HELD_LIMIT` held copies and :data:`SEEN_LIMIT`
remembered (article, event) pairs, oldest dropped first. With every limit reached and 20-30
character ids and outlet names a place's state is about 64 KB of JSON. A redelivery of a report
more than :data:`SEEN_LIMIT` reports old at its place is still harmless when its article is a
listed source of the change in force (no alert); otherwise it may add a history entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from frontwire.events import event_id
from frontwire.models import Status, TerritorialEvent, rfc3339

__all__ = [
    "ALERTING_STATUSES",
    "ALERT_IDS_LIMIT",
    "HELD_LIMIT",
    "HISTORY_LIMIT",
    "OUTLETS_LIMIT",
    "SEEN_LIMIT",
    "SOURCES_LIMIT",
    "Alert",
    "AlertKind",
    "ControlChange",
    "HeldCopy",
    "HistoryEntry",
    "Outcome",
    "PlaceState",
    "SourceRef",
    "alert_id",
    "apply",
    "effective_date",
    "event_id",
]

ALERTING_STATUSES = frozenset({Status.REPORTED, Status.CLAIMED})
SOURCES_LIMIT = 100  # sources listed per change; more are counted as outlets but not listed
OUTLETS_LIMIT = 500  # distinct outlets counted per change; corroboration stops growing there
ALERT_IDS_LIMIT = 64  # alert ids kept per change: the opening one and the latest updates
HISTORY_LIMIT = 32  # earlier changes and set-aside reports kept per place
HELD_LIMIT = 16  # syndicated copies waiting for their original, per place
SEEN_LIMIT = 256  # (article, event) pairs remembered per place for redelivery
_STATE_VERSION = 1
_STRENGTH = {Status.REPORTED: 2, Status.CLAIMED: 1}


class AlertKind(StrEnum):
    """Why an alert was published; the values are the wire format."""

    NEW = "new"  # a change at a place with no known controller
    UPDATE = "update"  # another outlet reports the change in force
    REVERSAL = "reversal"  # the place changed hands again


class Outcome(StrEnum):
    """Why a change or report is in a place's history."""

    SUPERSEDED = "superseded"  # was in force; a later change replaced it
    OUTDATED = "outdated"  # dated before the change in force: recorded, not applied
    IGNORED = "ignored"  # an actor frontwire did not know to hold the place withdrew from it


class _ArticleLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def source(self) -> str | None: ...
    @property
    def published_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The article an event came from, as alerts list it."""

    article_id: str
    url: str
    source: str | None  # outlet, e.g. "apnews.com"
    published_at: datetime  # timezone-aware

    def __post_init__(self) -> None:
        if not isinstance(self.published_at, datetime):
            raise ValueError(f"SourceRef.published_at must be a datetime, got {self.published_at!r}")
        if self.published_at.tzinfo is None or self.published_at.utcoffset() is None:
            raise ValueError(f"SourceRef.published_at must be timezone-aware, got {self.published_at.isoformat()}")

    @classmethod
    def of(cls, article: _ArticleLike) -> SourceRef:
        """The reference to an Article or EnrichedArticle."""
        return cls(article.id, article.url, article.source, article.published_at)

    @property
    def outlet(self) -> str:
        """What counts as one outlet for corroboration: the source, else the URL's host."""
        if self.source:
            return self.source.lower()
        return urlsplit(self.url).hostname or self.url

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an item of schemas/alert.schema.json's ``sources``."""
        return {"article_id": self.article_id, "url": self.url, "source": self.source,
                "published_at": rfc3339(self.published_at)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceRef:
        """The reference ``to_dict`` gave."""
        return cls(data["article_id"], data["url"], data["source"], datetime.fromisoformat(data["published_at"]))


@dataclass(frozen=True, slots=True)
class Alert:
    """What alerts.territorial and the webhooks carry."""

    alert_id: str
    kind: AlertKind
    event: TerritorialEvent  # the change: its first report's event, with the strongest status reported
    previous_controller: str | None  # the holder before the change, or None when none was known
    sources: tuple[SourceRef, ...]  # every listed article that reported the change, earliest first
    first_reported_at: datetime  # the earliest source's publication time
    corroboration: int  # distinct outlets that reported the change

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of schemas/alert.schema.json."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind.value,
            **self.event.to_dict(),
            "previous_controller": self.previous_controller,
            "sources": [s.to_dict() for s in self.sources],
            "first_reported_at": rfc3339(self.first_reported_at),
            "corroboration": self.corroboration,
        }


@dataclass(frozen=True, slots=True)
class ControlChange:
    """The change in force at a place, and what frontwire has published about it."""

    event: TerritorialEvent  # the first report's event; status, evidence and confidence of the strongest report
    previous_controller: str | None
    since: date  # control dates from here: the earliest effective date of its reports
    stated: date | None  # the latest occurred_on any of its reports states; None when none gives a day
    floor: date | None  # as_of of the change it replaced: its reports cannot move since before it
    sources: tuple[SourceRef, ...]  # in arrival order, at most SOURCES_LIMIT
    outlets: tuple[str, ...]  # distinct outlets, sorted, at most OUTLETS_LIMIT
    alert_ids: tuple[str, ...]  # the opening alert first, then updates; at most ALERT_IDS_LIMIT

    @property
    def as_of(self) -> date:
        """The latest date the change is known to hold: since, or a later day one of its reports states."""
        return max(self.since, self.stated) if self.stated else self.since

    @property
    def corroboration(self) -> int:
        """Distinct outlets that reported the change."""
        return len(self.outlets)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "event": self.event.to_dict(),
            "previous_controller": self.previous_controller,
            "since": self.since.isoformat(),
            "stated": self.stated.isoformat() if self.stated else None,
            "as_of": self.as_of.isoformat(),  # derived; for people reading the table
            "floor": self.floor.isoformat() if self.floor else None,
            "sources": [s.to_dict() for s in self.sources],
            "outlets": list(self.outlets),
            "alert_ids": list(self.alert_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ControlChange:
        """The change ``to_dict`` gave."""
        return cls(
            event=TerritorialEvent.from_dict(data["event"]),
            previous_controller=data["previous_controller"],
            since=date.fromisoformat(data["since"]),
            stated=date.fromisoformat(data["stated"]) if data["stated"] else None,
            floor=date.fromisoformat(data["floor"]) if data["floor"] else None,
            sources=tuple(SourceRef.from_dict(s) for s in data["sources"]),
            outlets=tuple(data["outlets"]),
            alert_ids=tuple(data["alert_ids"]),
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An earlier change, or a report set aside, at a place."""

    outcome: Outcome
    event_id: str
    gained_by: str | None
    lost_by: str | None
    since: date  # a superseded change's since; a set-aside report's effective date
    as_of: date  # a superseded change's as_of; a set-aside report's effective date
    article_id: str  # the first source of a superseded change; the article of a set-aside report
    corroboration: int  # distinct outlets; 1 for a set-aside report
    alert_ids: tuple[str, ...] = ()  # a superseded change's opening alert and its last update, if any

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "outcome": self.outcome.value,
            "event_id": self.event_id,
            "gained_by": self.gained_by,
            "lost_by": self.lost_by,
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "article_id": self.article_id,
            "corroboration": self.corroboration,
            "alert_ids": list(self.alert_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        """The entry ``to_dict`` gave."""
        return cls(
            Outcome(data["outcome"]), data["event_id"], data["gained_by"], data["lost_by"],
            date.fromisoformat(data["since"]), date.fromisoformat(data["as_of"]), data["article_id"],
            data["corroboration"], tuple(data["alert_ids"]),
        )


@dataclass(frozen=True, slots=True)
class HeldCopy:
    """A syndicated copy that arrived before its original had a change to join."""

    event: TerritorialEvent
    source: SourceRef
    duplicate_of: str  # the original's article id

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {"event": self.event.to_dict(), "source": self.source.to_dict(), "duplicate_of": self.duplicate_of}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeldCopy:
        """The copy ``to_dict`` gave."""
        return cls(TerritorialEvent.from_dict(data["event"]), SourceRef.from_dict(data["source"]), data["duplicate_of"])


@dataclass(frozen=True, slots=True)
class PlaceState:
    """Everything frontwire knows about who holds one place: the value of the control table."""

    place_id: str
    current: ControlChange | None = None  # the change in force; None before any
    history: tuple[HistoryEntry, ...] = ()  # oldest first, at most HISTORY_LIMIT
    held: tuple[HeldCopy, ...] = ()  # oldest first, at most HELD_LIMIT
    seen: tuple[str, ...] = ()  # keys of the (article, event) pairs applied, oldest first, at most SEEN_LIMIT

    @property
    def controller(self) -> str | None:
        """The actor id that holds the place, or None when frontwire knows none."""
        return self.current.event.gained_by if self.current else None

    @property
    def since(self) -> date | None:
        """The date the present control dates from, or None before any change."""
        return self.current.since if self.current else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (controller and since included for people reading the table)."""
        return {
            "version": _STATE_VERSION,
            "place_id": self.place_id,
            "controller": self.controller,
            "since": self.since.isoformat() if self.since else None,
            "current": self.current.to_dict() if self.current else None,
            "history": [h.to_dict() for h in self.history],
            "held": [h.to_dict() for h in self.held],
            "seen": list(self.seen),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlaceState:
        """The state ``to_dict`` gave; ValueError for another version or a malformed dict."""
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"place state version {data.get('version')!r} is not {_STATE_VERSION}")
        try:
            return cls(
                place_id=data["place_id"],
                current=ControlChange.from_dict(data["current"]) if data["current"] else None,
                history=tuple(HistoryEntry.from_dict(h) for h in data["history"]),
                held=tuple(HeldCopy.from_dict(h) for h in data["held"]),
                seen=tuple(data["seen"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a place state: {error!r}") from error


def effective_date(event: TerritorialEvent, source: SourceRef) -> date:
    """When the report says the change happened: ``occurred_on``, else the article's publication date (UTC)."""
    return event.occurred_on or source.published_at.astimezone(UTC).date()


def alert_id(event_id: str, kind: AlertKind, previous_controller: str | None, basis: str = "") -> str:
    """A stable id: sha256 of the event id, the kind, the previous controller and ``basis``.

    ``basis`` is what else tells two alerts apart: for ``new`` and ``reversal`` the change
    replaced (``"<event id>@<since>"``, empty for none), for ``update`` the opening alert's id
    and the source article's id.
    """
    key = "|".join([event_id, kind.value, previous_controller or "", basis])
    return "alr-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def apply(
    state: PlaceState | None,
    event: TerritorialEvent,
    source: SourceRef,
    duplicate_of: str | None = None,
) -> tuple[PlaceState, Alert | None]:
    """The place's next state after this report, and the alert it calls for (see the module's rules).

    Given None and a report that changes nothing (a contested mention, say), the answer is an
    empty state that need not be stored. ValueError when the state is another place's, or when
    an article is said to duplicate itself.
    """
    if state is None:
        state = PlaceState(event.place.id)
    elif state.place_id != event.place.id:
        raise ValueError(f"event at {event.place.id} applied to the state of {state.place_id}")
    if duplicate_of == source.article_id:
        raise ValueError(f"article {source.article_id} cannot be a duplicate of itself")
    if event.status not in ALERTING_STATUSES or (event.gained_by is None and event.lost_by is None):
        return state, None
    key = _seen_key(source.article_id, event.event_id)
    if key in state.seen:
        return state, None
    state = replace(state, seen=(*state.seen, key)[-SEEN_LIMIT:])
    day = effective_date(event, source)
    current = state.current
    if current is not None and (_same_change(current, event) or (
            duplicate_of is not None and duplicate_of in {s.article_id for s in current.sources})):
        return _corroborate(state, current, event, source, day)
    if duplicate_of is not None:
        return replace(state, held=(*state.held, HeldCopy(event, source, duplicate_of))[-HELD_LIMIT:]), None
    if current is not None and day < current.as_of:
        return _set_aside(state, Outcome.OUTDATED, event, source, day), None
    if event.gained_by is None and state.controller is not None and event.lost_by != state.controller:
        return _set_aside(state, Outcome.IGNORED, event, source, day), None
    return _open(state, event, source, day)


def _open(state: PlaceState, event: TerritorialEvent, source: SourceRef, day: date) -> tuple[PlaceState, Alert]:
    """A change that replaces the one in force, or the first one."""
    previous = state.current
    kind = AlertKind.REVERSAL if state.controller is not None else AlertKind.NEW
    replaced = f"{previous.event.event_id}@{previous.since.isoformat()}" if previous else ""
    opening = alert_id(event.event_id, kind, state.controller, replaced)
    change = ControlChange(
        event=event,
        previous_controller=state.controller,
        since=day,
        stated=event.occurred_on,
        floor=previous.as_of if previous else None,
        sources=(source,),
        outlets=(source.outlet,),
        alert_ids=(opening,),
    )
    change, held = _fold_held(change, state.held, source.article_id)
    history = state.history
    if previous is not None:
        history = (*history, HistoryEntry(
            Outcome.SUPERSEDED, previous.event.event_id, previous.event.gained_by, previous.event.lost_by,
            previous.since, previous.as_of, previous.sources[0].article_id, previous.corroboration,
            tuple(dict.fromkeys((previous.alert_ids[0], previous.alert_ids[-1]))),
        ))[-HISTORY_LIMIT:]
    return replace(state, current=change, history=history, held=held), _alert(opening, kind, change)


def _corroborate(
    state: PlaceState, current: ControlChange, event: TerritorialEvent, source: SourceRef, day: date
) -> tuple[PlaceState, Alert | None]:
    """Another report of the change in force: a source more, and an update when it brings an outlet."""
    if any(s.article_id == source.article_id for s in current.sources):
        return state, None  # the same article again (another of its events): nothing new
    change = _with_source(current, event, source, day)
    change, held = _fold_held(change, state.held, source.article_id)
    if change.corroboration == current.corroboration:
        return replace(state, current=change, held=held), None
    update = alert_id(change.event.event_id, AlertKind.UPDATE, change.previous_controller,
                      f"{change.alert_ids[0]}|{source.article_id}")
    ids = (*change.alert_ids, update)
    if len(ids) > ALERT_IDS_LIMIT:
        ids = (ids[0], *ids[len(ids) - ALERT_IDS_LIMIT + 1 :])  # the opening alert's id stays: updates' ids depend on it
    change = replace(change, alert_ids=ids)
    return replace(state, current=change, held=held), _alert(update, AlertKind.UPDATE, change)


def _with_source(change: ControlChange, event: TerritorialEvent, source: SourceRef, day: date) -> ControlChange:
    """The change with one more report: its source, its outlet, its dates and a stronger status."""
    if any(s.article_id == source.article_id for s in change.sources):
        return change
    outlets = change.outlets
    if source.outlet not in outlets and len(outlets) < OUTLETS_LIMIT:
        outlets = tuple(sorted((*outlets, source.outlet)))
    sources = (*change.sources, source) if len(change.sources) < SOURCES_LIMIT else change.sources
    since = change.since
    if day < since and (change.floor is None or day >= change.floor):
        since = day
    stated = max(change.stated, event.occurred_on) if change.stated and event.occurred_on else (
        change.stated or event.occurred_on)
    best = change.event
    if event.gained_by == best.gained_by and _STRENGTH.get(event.status, 0) > _STRENGTH.get(best.status, 0):
        # Keep the change's identity (event id, date, actors); take the words that state it more firmly.
        best = replace(best, status=event.status, evidence=event.evidence, confidence=event.confidence)
    return replace(change, event=best, since=since, stated=stated, sources=sources, outlets=outlets)


def _fold_held(change: ControlChange, held: tuple[HeldCopy, ...], original_id: str) -> tuple[ControlChange, tuple[HeldCopy, ...]]:
    """Copies of ``original_id`` that were waiting join the change as its sources."""
    waiting = tuple(h for h in held if h.duplicate_of != original_id)
    for copy in held:
        if copy.duplicate_of == original_id:
            change = _with_source(change, copy.event, copy.source, effective_date(copy.event, copy.source))
    return change, waiting


def _set_aside(state: PlaceState, outcome: Outcome, event: TerritorialEvent, source: SourceRef, day: date) -> PlaceState:
    """The report kept in the history without changing who holds the place."""
    entry = HistoryEntry(outcome, event.event_id, event.gained_by, event.lost_by, day, day, source.article_id, 1)
    return replace(state, history=(*state.history, entry)[-HISTORY_LIMIT:])


def _same_change(change: ControlChange, event: TerritorialEvent) -> bool:
    """Whether the event tells the change in force: same gainer; for a vacated place, the same loser."""
    if event.gained_by != change.event.gained_by:
        return False
    return event.gained_by is not None or event.lost_by == change.event.lost_by


def _alert(identifier: str, kind: AlertKind, change: ControlChange) -> Alert:
    sources = tuple(sorted(change.sources, key=lambda s: (s.published_at, s.article_id)))
    return Alert(
        alert_id=identifier,
        kind=kind,
        event=change.event,
        previous_controller=change.previous_controller,
        sources=sources,
        first_reported_at=sources[0].published_at,
        corroboration=change.corroboration,
    )


def _seen_key(article_id: str, event_identifier: str) -> str:
    return hashlib.sha256(f"{article_id}|{event_identifier}".encode()).hexdigest()[:16]
