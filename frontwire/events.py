"""Territorial-change detection: which sentences say a place changed hands, between whom, and how sure.

Rule-based and explainable, over the entities the enrich stage found. For each sentence that
holds a trigger from ``data/triggers.toml`` and a resolved place in the trigger's slot:

1. the role of the trigger fixes where the place and the actors stand (active: ACTOR trigger
   PLACE; passive: PLACE trigger ACTOR; expel: ACTOR pushed LOSER out of PLACE; ...);
2. markers around it set the status: intention or future -> expected, negation -> contested,
   recalled history (an earlier year, "anniversary", "including") -> background, attribution to a
   party -> claimed (to a neutral witness -> reported), a denial -> contested;
3. the mentions of one change in one article are merged into one event with the strongest
   status (reported > claimed > contested > expected > background) and that sentence as evidence.

A sentence with no armed actor anywhere near it yields nothing: that is what keeps "took control
of the House" and "police seized heroin in Kandahar" out.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

from frontwire.dates import resolve_date
from frontwire.errors import DataFileError
from frontwire.models import (
    ActorKind,
    Change,
    Entity,
    EntityType,
    Evidence,
    Place,
    PlaceKind,
    Status,
    TerritorialEvent,
)
from frontwire.sentences import Sentence, split_sentences

__all__ = ["TriggerLexicon", "acled_sub_event_type", "detect_events", "event_id"]

TRIGGERS_PATH = Path(__file__).resolve().parent / "data" / "triggers.toml"
_ROLES = frozenset({"active", "expel", "passive", "nominal", "withdraw", "contest", "nochange"})
_STRENGTH = {Status.REPORTED: 4, Status.CLAIMED: 3, Status.CONTESTED: 2, Status.EXPECTED: 1, Status.BACKGROUND: 0}
_YEAR = re.compile(r"\b(19[4-9]\d|20\d\d)\b")
_PRONOUN_START = re.compile(r"^\W*(they|it|the group|the militants|the rebels|the fighters|the jihadists|its fighters|"
                            r"their fighters|the insurgents|the army|the troops|the forces)\b", re.IGNORECASE)
_LIST_JOINER = re.compile(
    r"^\s*(,\s*(and\s+)?|\s+and\s+|\s+as well as\s+|,?\s+including\s+)(the\s+)?((key|strategic|nearby|border)\s+)?"
    r"((town|city|village|district|province|region)s?\s+of\s+)?$",
    re.IGNORECASE,
)
_CONTAINER = re.compile(
    r"^,?\s+(in|near)\s+(the\s+)?((north|south|east|west|central|northern|southern|eastern|western|"
    r"northeastern|northwestern|southeastern|southwestern)\s+)?$",
    re.IGNORECASE,
)
_INCLUDING_ANYWHERE = re.compile(
    r"\bincluding\s+(the\s+)?(((key|strategic)\s+)?(city|town|village)\s+of\s+)?", re.IGNORECASE
)
_QUOTE = re.compile(r"[\"“”]")
_NEUTRAL = "<neutral>"
_REFERENCE_POINT = re.compile(
    r"\b(north|south|east|west|northeast|northwest|southeast|southwest)(ern)?\s+of\s+(the\s+)?([\w-]+\s+){0,3}$|"
    r"\b(km|kilometers|kilometres|miles)\b[^,.;]*$|\b(near|outside|from|towards?)\s+(the\s+)?([\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_AFTER_THE = re.compile(r"\b(after|following|since|before|despite)\s+(the\s+)?([\w’'-]+\s+){0,2}$", re.IGNORECASE)
_RELATIVE_PAST = re.compile(
    r"^\s*(which|who|that)\b.*\b(last\s+(week|month|year)|earlier\s+this\s+(week|month|year)|ago|previously)\b",
    re.IGNORECASE,
)
_SINCE = re.compile(r"\b(since|until|till|before)\s+(the\s+)?(end\s+of\s+|early\s+|late\s+|mid-?)?\S*\s*$", re.IGNORECASE)
_WORD = re.compile(r"[\w'’-]+")
# "lost most of its territory, including Mosul and Raqqa": the list names the places of the change.
_INCLUDING = re.compile(r"^[^;:.]{0,220},?\s+including\s+(the\s+)?(((key|strategic)\s+)?(city|town|village)\s+of\s+)?$",
                        re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Trigger:
    """One trigger phrase and how to read the sentence around it."""

    name: str
    role: str
    change: Change | None
    pattern: re.Pattern[str]
    first_word: str  # a sentence without this word cannot hold the phrase


@dataclass(frozen=True, slots=True)
class TriggerLexicon:
    """The compiled trigger dictionary (see data/triggers.toml for the format)."""

    triggers: tuple[Trigger, ...]
    expected: re.Pattern[str]
    negation: re.Pattern[str]
    background: re.Pattern[str]
    claim: re.Pattern[str]
    neutral: re.Pattern[str]
    denial: re.Pattern[str]
    gap_words: frozenset[str]

    @classmethod
    def load(cls, path: Path = TRIGGERS_PATH) -> TriggerLexicon:
        """Read and compile a trigger file; raise DataFileError naming file and line on a fault."""
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DataFileError(path, getattr(exc, "lineno", None), str(exc)) from None
        triggers: list[Trigger] = []
        seen: dict[str, str] = {}
        for name, table in data.get("pattern", {}).items():
            role = table.get("role")
            if role not in _ROLES:
                raise DataFileError(path, _line_of(text, f"[pattern.{name}]"), f"unknown role {role!r}")
            change_name = table.get("change")
            try:
                change = Change(change_name) if change_name is not None else None
            except ValueError:
                raise DataFileError(path, _line_of(text, f"[pattern.{name}]"), f"unknown change {change_name!r}") from None
            for phrase in table.get("phrases", []):
                if phrase != phrase.strip().lower() or not phrase:
                    raise DataFileError(path, _line_of(text, f'"{phrase}"'), f"phrase {phrase!r} must be lower-case, trimmed")
                if phrase in seen:
                    raise DataFileError(path, _line_of(text, f'"{phrase}"'), f"phrase {phrase!r} is in {seen[phrase]} too")
                seen[phrase] = name
                triggers.append(Trigger(name, role, change, _phrase_pattern(phrase), phrase.split()[0]))
        markers = data.get("markers", {})
        return cls(
            triggers=tuple(triggers),
            expected=_alternation(markers.get("expected", [])),
            negation=_alternation(markers.get("negation", [])),
            background=_alternation(markers.get("background", []), prefix_only=True),
            claim=_alternation(markers.get("claim", [])),
            neutral=_alternation(markers.get("neutral", [])),
            denial=_alternation(markers.get("denial", [])),
            gap_words=frozenset(data.get("gap", {}).get("words", [])),
        )


@cache
def _default_lexicon() -> TriggerLexicon:
    return TriggerLexicon.load()


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(word) if word != "*" else r"(?P<gap>(?:\S+\s+){0,4}?\S+)" for word in phrase.split()]
    return re.compile(r"(?<![\w-])" + r"\s+".join(parts) + r"(?![\w-])", re.IGNORECASE)


def _alternation(words: Iterable[str], *, prefix_only: bool = False) -> re.Pattern[str]:
    ordered = sorted({w for w in words}, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    tail = "" if prefix_only else r"(?![\w-])"
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in ordered) + ")" + tail, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Candidate:
    place: Place
    gained_by: str | None
    lost_by: str | None
    change: Change
    status: Status
    sentence: Sentence
    confidence: float


def event_id(place_id: str, gained_by: str | None, lost_by: str | None, change: Change, occurred_on: date | None) -> str:
    """A pure function of the change itself, so a replay or another article gives the same id."""
    key = "|".join([place_id, gained_by or "", lost_by or "", change.value, occurred_on.isoformat() if occurred_on else ""])
    return "evt-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def acled_sub_event_type(change: Change, status: Status, gained_kind: ActorKind | None) -> str | None:
    """ACLED's sub-event type where the actors allow it (ACLED codebook 2023, 'Battles' and 'Strategic developments')."""
    if status is Status.CONTESTED:
        return "Armed clash"
    if status not in (Status.REPORTED, Status.CLAIMED):
        return None
    if change is Change.WITHDRAWAL and gained_kind is None:
        return "Non-violent transfer of territory"
    if gained_kind in (ActorKind.STATE_FORCE, ActorKind.FOREIGN_STATE):
        return "Government regains territory"
    if gained_kind in (ActorKind.NON_STATE_ARMED_GROUP, ActorKind.MILITIA):
        return "Non-state actor overtakes territory"
    return None


def detect_events(
    text: str,
    entities: Sequence[Entity],
    places: Mapping[str, Place],
    published: date,
    *,
    actor_kind: Callable[[str], ActorKind | None],
    lexicon: TriggerLexicon | None = None,
) -> tuple[TerritorialEvent, ...]:
    """Every territorial change the text tells, one event per change, in order of first mention."""
    lexicon = lexicon or _default_lexicon()
    sentences = split_sentences(text)
    candidates: list[_Candidate] = []
    previous_actors: list[Entity] = []
    for sentence in sentences:
        inside = [e for e in entities if sentence.start <= e.start and e.end <= sentence.end]
        actors = [e for e in inside if e.type is EntityType.ACTOR]
        place_mentions = [e for e in inside if e.type is EntityType.PLACE and e.canonical_id in places]
        if place_mentions and (actors or previous_actors):
            candidates.extend(_sentence_candidates(sentence, place_mentions, actors, previous_actors, places,
                                                   published, lexicon))
        if actors:
            previous_actors = actors
    return _merge(candidates, published, actor_kind)


def _sentence_candidates(
    sentence: Sentence,
    place_mentions: list[Entity],
    actors: list[Entity],
    previous_actors: list[Entity],
    places: Mapping[str, Place],
    published: date,
    lexicon: TriggerLexicon,
) -> list[_Candidate]:
    found: list[_Candidate] = []
    taken: set[str] = set()
    text = sentence.text
    offset = sentence.start
    # Only the phrases whose first word the sentence holds can match: most of 240 patterns never run.
    words = set(_WORD.findall(text.lower()))
    present = [t for t in lexicon.triggers if t.first_word in words]
    no_change = [m.span() for t in present if t.role == "nochange" for m in t.pattern.finditer(text)]
    for trigger in present:
        if trigger.role == "nochange":
            continue
        for match in trigger.pattern.finditer(text):
            t_start, t_end = match.start() + offset, match.end() + offset
            fixed_words = _fixed_spans(match, offset)
            if any(_overlaps_entity(a, b, place_mentions + actors) for a, b in fixed_words):
                continue
            if trigger.role == "passive":
                targets = _places_before(text, offset, t_start, place_mentions, lexicon)
            else:
                targets = _places_after(text, offset, t_end, place_mentions, lexicon, places)
            # A whole country changing hands is told as a seizure of power, not of a place: not an event here.
            targets = [t for t in targets if places[t.canonical_id or ""].kind is not PlaceKind.COUNTRY]
            if not targets:
                continue
            gained, lost = _actors_for(trigger, match, text, offset, t_start, t_end, targets, actors, previous_actors)
            if trigger.role == "withdraw":
                gained, lost = None, gained  # the subject of "withdrew from" is the side that lost it
            if trigger.role == "contest" or (no_change and _near_nochange(match.span(), no_change)):
                status = Status.CONTESTED
                if trigger.role != "contest":
                    continue  # "repelled an attack on X": the text says nothing changed
            else:
                status = _status(text, offset, match, gained, lost, actors, published, lexicon, trigger.role)
            change = trigger.change or Change.CAPTURE
            for place_entity in targets:
                if place_entity.canonical_id in taken and trigger.role in ("nominal", "contest"):
                    continue
                assert place_entity.canonical_id is not None
                taken.add(place_entity.canonical_id)
                found.append(_Candidate(
                    place=places[place_entity.canonical_id],
                    gained_by=gained,
                    lost_by=lost,
                    change=change,
                    status=status,
                    sentence=sentence,
                    confidence=_confidence(trigger.role, status, gained, lost),
                ))
    return found


def _fixed_spans(match: re.Match[str], offset: int) -> list[tuple[int, int]]:
    """The trigger's own words; the * of an expel phrase holds the loser and may be an entity."""
    if "gap" not in match.re.groupindex or match.start("gap") < 0:
        return [(match.start() + offset, match.end() + offset)]
    return [(match.start() + offset, match.start("gap") + offset), (match.end("gap") + offset, match.end() + offset)]


def _overlaps_entity(start: int, end: int, entities: Iterable[Entity]) -> bool:
    return any(e.start < end and start < e.end for e in entities)


def _near_nochange(span: tuple[int, int], no_change: list[tuple[int, int]]) -> bool:
    return any(abs(span[0] - other[1]) < 60 or abs(other[0] - span[1]) < 60 for other in no_change)


def _gap_ok(gap: str, lexicon: TriggerLexicon) -> bool:
    words = re.findall(r"[\w'’-]+", gap.lower())
    if len(words) > 9 or re.search(r"[;:()]", gap):
        return False
    return all(word in lexicon.gap_words for word in words)


def _is_region(mention: Entity, places: Mapping[str, Place]) -> bool:
    place = places.get(mention.canonical_id or "")
    return place is not None and place.kind in (PlaceKind.COUNTRY, PlaceKind.ADMIN1)


def _places_after(
    text: str, offset: int, t_end: int, mentions: list[Entity], lexicon: TriggerLexicon, places: Mapping[str, Place]
) -> list[Entity]:
    following = sorted((m for m in mentions if m.start >= t_end), key=lambda m: m.start)
    if not following:
        return []
    gap = text[t_end - offset:following[0].start - offset]
    if not _gap_ok(gap, lexicon) and not _INCLUDING.match(gap):
        # "lost most of the territory it held in Iraq and Syria, including Mosul and Raqqa"
        including = _INCLUDING_ANYWHERE.search(text, t_end - offset, min(len(text), t_end - offset + 260))
        if including is None:
            return []
        following = [m for m in following if m.start - offset >= including.end()]
        if not following or following[0].start - offset != including.end():
            return []
    chosen = [following[0]]
    anchor = following[0].end
    for mention in following[1:]:
        between = text[anchor - offset:mention.start - offset]
        if _CONTAINER.match(between) or (between.strip() == "," and _is_region(mention, places)):
            anchor = mention.end  # "Mosul in Iraq and Raqqa", "Qaim, Iraq": the second only says where
            continue
        if not _LIST_JOINER.match(between):
            break
        chosen.append(mention)
        anchor = mention.end
    return chosen


def _places_before(text: str, offset: int, t_start: int, mentions: list[Entity], lexicon: TriggerLexicon) -> list[Entity]:
    preceding = sorted((m for m in mentions if m.end <= t_start), key=lambda m: m.start, reverse=True)
    if not preceding:
        return []
    between = text[preceding[0].end - offset:t_start - offset]
    # "Kunduz, the provincial capital, fell to ..." / "the town of Sangin has fallen to ..."
    if len(between) > 60 or re.search(r"[;:]", between) or re.search(r"\b(after|when|while|before|as)\b", between):
        return []
    # "The town, 50 kilometers south of Baghdad, was captured": Baghdad only says where the town is.
    if _REFERENCE_POINT.search(text[max(0, preceding[0].start - offset - 60):preceding[0].start - offset]):
        return []
    chosen = [preceding[0]]
    for mention in preceding[1:]:
        gap = text[mention.end - offset:chosen[-1].start - offset]
        if not _LIST_JOINER.match(gap):
            break
        chosen.append(mention)
    return list(reversed(chosen))


def _actors_for(
    trigger: Trigger,
    match: re.Match[str],
    text: str,
    offset: int,
    t_start: int,
    t_end: int,
    targets: list[Entity],
    actors: list[Entity],
    previous_actors: list[Entity],
) -> tuple[str | None, str | None]:
    """(gained_by, lost_by) by where the actors stand relative to the trigger and the places."""
    last_place_end = targets[-1].end
    if trigger.role == "passive":
        after = [a for a in actors if t_end <= a.start <= t_end + 40]
        gained = after[0].canonical_id if after else None
        lost = _from_actor(text, offset, last_place_end, actors)
        return gained, lost
    before = [a for a in actors if a.end <= t_start and t_start - a.end <= 120]
    subject = before[-1].canonical_id if before else None
    if subject is None and not before and _PRONOUN_START.match(text):
        resolved = [a for a in previous_actors if a.canonical_id]
        subject = resolved[0].canonical_id if resolved else None
    if trigger.role == "expel":
        gap_start = match.start("gap") + offset
        gap_end = match.end("gap") + offset
        inside = [a for a in actors if gap_start <= a.start and a.end <= gap_end]
        return subject, (inside[0].canonical_id if inside else None)
    lost = _from_actor(text, offset, last_place_end, actors)
    return subject, lost


def _from_actor(text: str, offset: int, after: int, actors: list[Entity]) -> str | None:
    for actor in actors:
        if after <= actor.start <= after + 60:
            between = text[after - offset:actor.start - offset].lower()
            if re.search(r"\b(from|of)\b", between) and not re.search(r"[;]", between):
                return actor.canonical_id
    return None


def _status(
    text: str,
    offset: int,
    match: re.Match[str],
    gained: str | None,
    lost: str | None,
    actors: list[Entity],
    published: date,
    lexicon: TriggerLexicon,
    role: str,
) -> Status:
    before = text[max(0, match.start() - 45):match.start()]
    clause_before = re.split(r"[,;]", before)[-1]
    if lexicon.negation.search(clause_before):
        return Status.CONTESTED
    if lexicon.expected.search(clause_before) or re.search(r"\bto\s*$", clause_before):
        return Status.EXPECTED
    # History is told in the trigger's own clause ("Mosul, which fell to IS in 2014"); a year or a
    # "had been held" in a neighbouring clause describes something else ("Kidal, ... held since 2012").
    clause = _clause_around(text, match)
    years = [int(m.group(1)) for m in _YEAR.finditer(clause) if not _SINCE.search(clause[:m.start()])]
    if any(y < published.year for y in years) or lexicon.background.search(clause):
        return Status.BACKGROUND
    if role == "nominal" and (not _mentions_recent(text) or _AFTER_THE.search(text[:match.start()])):
        return Status.BACKGROUND  # "a gain after the loss of Khartoum": the loss is the backdrop
    if _RELATIVE_PAST.search(clause):
        return Status.BACKGROUND  # "Moscow, which last week took over Avdiivka": recalled, not reported
    if lexicon.denial.search(text):
        return Status.CONTESTED
    if lexicon.claim.search(text) or _QUOTE.search(text):
        speaker = _speaker(text, offset, actors, lexicon)
        if speaker == _NEUTRAL or (speaker is not None and speaker == lost and lost != gained):
            return Status.REPORTED  # a witness, a monitor, or the losing side conceding it
        return Status.CLAIMED
    return Status.REPORTED


def _clause_around(text: str, match: re.Match[str]) -> str:
    """The part of the sentence between the clause breaks around the trigger (a comma, a semicolon, a dash)."""
    start = max(text.rfind(mark, 0, match.start()) for mark in (",", ";", " - ", " – ", " — ", "(")) + 1
    ends = [i for i in (text.find(mark, match.end()) for mark in (",", ";", " - ", " – ", " — ", ")")) if i >= 0]
    return text[start:min(ends) if ends else len(text)]


def _mentions_recent(text: str) -> bool:
    return bool(re.search(r"\b(on (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|yesterday|today|"
                          r"this week|overnight|hours|announced|completed|marking|follows|followed|after)\b",
                          text, re.IGNORECASE))


def _speaker(text: str, offset: int, actors: list[Entity], lexicon: TriggerLexicon) -> str | None:
    """Who the sentence attributes its claim to: an actor id, _NEUTRAL for a witness or monitor, or None.

    The speaker stands right before the attribution verb ("the army said", "residents said")
    or right after "according to"; an unnamed official or ministry is None (a party's claim).
    """
    for claim in lexicon.claim.finditer(text):
        according = claim.group().lower().startswith("according")
        # "according to information obtained by the Anadolu Agency reporter": the source can be a long phrase.
        low, high = (claim.end(), claim.end() + 90) if according else (max(0, claim.start() - 45), claim.start())
        if lexicon.neutral.search(text[low:high]):
            return _NEUTRAL
        near = [a for a in actors if a.canonical_id and low <= a.start - offset and a.end - offset <= high + 1]
        if near:
            return (near[0] if according else near[-1]).canonical_id
    return None

def _confidence(role: str, status: Status, gained: str | None, lost: str | None) -> float:
    base = {"active": 0.85, "expel": 0.85, "passive": 0.85, "withdraw": 0.75, "nominal": 0.6, "contest": 0.6}[role]
    if gained is None:
        base -= 0.15
    if lost is None:
        base -= 0.05
    if status is Status.CLAIMED:
        base -= 0.1
    return round(max(0.05, min(1.0, base)), 2)


def _merge(
    candidates: list[_Candidate], published: date, actor_kind: Callable[[str], ActorKind | None]
) -> tuple[TerritorialEvent, ...]:
    """One event per (place, gainer): the strongest status, its sentence, actors filled from the others."""
    groups: dict[tuple[str, str | None], list[_Candidate]] = {}
    for candidate in candidates:
        if candidate.gained_by is not None:
            groups.setdefault((candidate.place.id, candidate.gained_by), []).append(candidate)
    for candidate in candidates:
        if candidate.gained_by is not None:
            continue
        # An unattributed mention tells the place's attributed change again: the strongest one.
        attributed = [k for k in groups if k[0] == candidate.place.id and k[1] is not None]
        key = max(attributed, key=lambda k: max(_STRENGTH[c.status] for c in groups[k])) if attributed else (
            candidate.place.id, None)
        groups.setdefault(key, []).append(candidate)
    events: list[TerritorialEvent] = []
    for group in groups.values():
        best = max(group, key=lambda c: (_STRENGTH[c.status], c.confidence))
        gained = best.gained_by or next((c.gained_by for c in group if c.gained_by), None)
        lost = next((c.lost_by for c in [best, *group] if c.lost_by and c.lost_by != gained), None)
        strong = [c for c in group if c.status in (Status.REPORTED, Status.CLAIMED)] if best.status in (
            Status.REPORTED, Status.CLAIMED) else [best]
        occurred = resolve_date(best.sentence.text, published)
        if occurred is None:
            occurred = next((d for c in strong if (d := resolve_date(c.sentence.text, published))), None)
        if occurred is not None and occurred > published:
            occurred = None
        # A government retaking its own town is told as "liberated", "pushed out", "recapture":
        # one recapture among the strong mentions names the change.
        change = Change.RECAPTURE if any(c.change is Change.RECAPTURE for c in strong) else best.change
        gained_kind = actor_kind(gained) if gained else None
        events.append(TerritorialEvent(
            event_id=event_id(best.place.id, gained, lost, change, occurred),
            place=replace(best.place),
            gained_by=gained,
            lost_by=lost,
            change=change,
            status=best.status,
            occurred_on=occurred,
            evidence=Evidence(best.sentence.text, best.sentence.start, best.sentence.end),
            confidence=best.confidence,
            acled_sub_event_type=acled_sub_event_type(change, best.status, gained_kind),
        ))
    return tuple(events)
