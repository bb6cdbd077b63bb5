"""Entity quality on the gold corpus, per split (dev is tuned on; heldout never is): places and actors.

Figures, each with the counts behind it:

* toponym recall / precision, document level: the set of the record's non-null gold place ids
  against the set of ids in the enriched article's ``places``, summed over documents;
* accuracy within 161 km (100 miles, the usual geoparsing measure, as in Gritta et al. 2018,
  "What's missing in geographical parsing?"): of the gold toponyms with a place (an id, or
  coordinates in the geoparsing set) whose surface frontwire found as a PLACE entity
  (case-insensitive, a trailing division word aside: "Idlib" = "Idlib province"), the share
  whose resolved point lies within 161 km of the gold point (the gold id looked up with
  ``Gazetteer.get``); and the median error in km over the same toponyms;
* actor precision / recall, document level: the set of non-null gold actor ids against the
  ids of the enriched article's ``actors``; and, entity level, the share of gold actor
  surfaces (non-null id) that frontwire found as an ACTOR entity with that id (an entity
  overlapping the surface where the text has it: "insurgents" answers for "the insurgents");
* per-conflict toponym recall on dev.

``tests/gold/geoparsing/`` (a converted public geoparsing corpus, its README says which), when
present, is reported as its own set after the splits.

    python bench/eval_entities.py [--split dev|heldout|all|both] [--show-errors]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gold import GOLD_DIR, GoldDoc, enriched, load_gold
from frontwire.gazetteer import Gazetteer
from frontwire.models import EnrichedArticle, EntityType

GEOPARSING_DIR = GOLD_DIR / "geoparsing"
ACCURACY_KM = 161.0  # 100 miles
EARTH_RADIUS_KM = 6371.0088
_DIVISION_WORD = re.compile(r"\s+(?:region|province|state|governorate|oblast|district)$", re.IGNORECASE)


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def surface_key(surface: str) -> str:
    """How a gold surface and an entity's surface are compared: case-folded, no trailing division word."""
    return _DIVISION_WORD.sub("", surface.strip()).casefold()


@dataclass
class Tally:
    """Counts for one set of documents; the figures are ratios of these."""

    docs: int = 0
    gold_places: int = 0  # distinct non-null gold place ids, summed over documents
    found_places: int = 0  # ... of which frontwire output
    predicted_places: int = 0  # distinct predicted place ids, summed over documents
    correct_places: int = 0  # ... of which are gold place ids
    located: int = 0  # gold toponyms with a point whose surface frontwire found as a PLACE
    within: int = 0  # ... resolved within ACCURACY_KM of the gold point
    errors_km: list[float] = field(default_factory=list)
    gold_actors: int = 0
    found_actors: int = 0
    predicted_actors: int = 0
    correct_actors: int = 0
    actor_surfaces: int = 0  # gold actor surfaces with a non-null id
    actor_surfaces_seen: int = 0  # ... found as an ACTOR entity, whatever its id
    actor_surfaces_right: int = 0  # ... found with the gold id


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _gold_point(toponym: dict[str, Any], gazetteer: Gazetteer) -> tuple[float, float] | None:
    if toponym.get("place_id"):
        place = gazetteer.get(toponym["place_id"])
        if place is not None:
            return place.lat, place.lon
    if toponym.get("lat") is not None and toponym.get("lon") is not None:
        return float(toponym["lat"]), float(toponym["lon"])
    return None


def score(doc: GoldDoc, article: EnrichedArticle, tally: Tally, gazetteer: Gazetteer, show_errors: bool) -> None:
    """Add one document's counts to ``tally``; with ``show_errors``, print what went wrong."""
    record = doc.record
    tally.docs += 1

    gold_places = {t["place_id"] for t in record["toponyms"] if t["place_id"]}
    predicted_places = {p.id: p for p in article.places}
    tally.gold_places += len(gold_places)
    tally.found_places += len(gold_places & predicted_places.keys())
    tally.predicted_places += len(predicted_places)
    tally.correct_places += len(predicted_places.keys() & gold_places)
    if show_errors:
        for t in record["toponyms"]:
            if t["place_id"] and t["place_id"] not in predicted_places:
                print(f"PLACE MISS   {doc.doc_id} {t['surface']!r} ({t['place_id']}, {t['kind']})")
        for pid, place in predicted_places.items():
            if pid not in gold_places:
                surfaces = sorted({e.surface for e in article.entities if e.canonical_id == pid})
                print(f"PLACE FALSE  {doc.doc_id} {place.name} ({pid}, {place.country}) from {surfaces}")

    # Entity level: the first PLACE entity with the gold surface is what frontwire made of it.
    resolved: dict[str, str | None] = {}
    for entity in article.entities:
        if entity.type is EntityType.PLACE:
            resolved.setdefault(surface_key(entity.surface), entity.canonical_id)
    for t in record["toponyms"]:
        gold_point = _gold_point(t, gazetteer)
        key = surface_key(t["surface"])
        if gold_point is None or key not in resolved:
            continue
        tally.located += 1
        resolved_id = resolved[key]
        hit = (predicted_places.get(resolved_id) or gazetteer.get(resolved_id)) if resolved_id else None
        error = km(*gold_point, hit.lat, hit.lon) if hit is not None else math.inf
        tally.errors_km.append(error)
        tally.within += error <= ACCURACY_KM
        if show_errors and error > ACCURACY_KM:
            print(f"PLACE FAR    {doc.doc_id} {t['surface']!r}: {resolved_id} is {error:,.0f} km from gold {t.get('place_id')}")

    gold_actors = {a["actor_id"] for a in record["actors"] if a["actor_id"]}
    predicted_actors = {a.id for a in article.actors}
    tally.gold_actors += len(gold_actors)
    tally.found_actors += len(gold_actors & predicted_actors)
    tally.predicted_actors += len(predicted_actors)
    tally.correct_actors += len(predicted_actors & gold_actors)
    # Entity level by offsets: an ACTOR entity overlapping any occurrence of the gold surface
    # (as written, on word boundaries) is frontwire's reading of it, so span conventions
    # ("the insurgents" in gold, "insurgents" as the entity) do not count as misses.
    actor_spans = [(e.start, e.end, e.canonical_id) for e in article.entities if e.type is EntityType.ACTOR]
    for a in record["actors"]:
        if not a["actor_id"]:
            continue
        tally.actor_surfaces += 1
        ids: set[str | None] = set()
        for found in re.finditer(rf"(?<!\w){re.escape(a['surface'])}(?!\w)", article.text):
            ids |= {i for start, end, i in actor_spans if start < found.end() and found.start() < end}
        seen = bool(ids)
        tally.actor_surfaces_seen += seen
        tally.actor_surfaces_right += a["actor_id"] in ids
        if show_errors and a["actor_id"] not in ids:
            got = f"got {sorted(map(str, ids))}" if seen else "not found"
            print(f"ACTOR MISS   {doc.doc_id} {a['surface']!r} ({a['actor_id']}): {got}")
    if show_errors:
        for actor_id in sorted(predicted_actors - gold_actors):
            surfaces = sorted({e.surface for e in article.entities if e.canonical_id == actor_id})
            print(f"ACTOR FALSE  {doc.doc_id} {actor_id} from {surfaces}")


def report(name: str, tally: Tally, *, places_only: bool = False) -> None:
    """Print one set's figures with their counts (``places_only``: a set that labels no actors)."""
    median = statistics.median(tally.errors_km) if tally.errors_km else math.nan
    print(f"[{name}] docs={tally.docs}")
    lines = [
        ("toponym recall", _ratio(tally.found_places, tally.gold_places),
         f"{tally.found_places}/{tally.gold_places} gold place ids output"),
        ("toponym precision", _ratio(tally.correct_places, tally.predicted_places),
         f"{tally.correct_places}/{tally.predicted_places} output place ids are gold"),
        ("accuracy@161km", _ratio(tally.within, tally.located),
         f"{tally.within}/{tally.located} gold toponyms found by surface; median error {median:,.1f} km"),
        ("actor recall", _ratio(tally.found_actors, tally.gold_actors),
         f"{tally.found_actors}/{tally.gold_actors} gold actor ids output"),
        ("actor precision", _ratio(tally.correct_actors, tally.predicted_actors),
         f"{tally.correct_actors}/{tally.predicted_actors} output actor ids are gold"),
        ("actor surfaces right", _ratio(tally.actor_surfaces_right, tally.actor_surfaces),
         f"{tally.actor_surfaces_right}/{tally.actor_surfaces} gold actor surfaces found with the gold id "
         f"({tally.actor_surfaces_seen} found at all)"),
    ]
    for label, value, counts in lines[:3] if places_only else lines:
        print(f"  {label:<21} {value:.3f}  ({counts})")


def evaluate(docs: Iterable[GoldDoc], show_errors: bool) -> tuple[Tally, dict[str, Tally]]:
    """Score every document: the totals, and the same counts per conflict."""
    gazetteer = Gazetteer.shared()
    total = Tally()
    by_conflict: dict[str, Tally] = defaultdict(Tally)
    for doc, article in enriched(list(docs)):
        score(doc, article, total, gazetteer, show_errors)
        score(doc, article, by_conflict[doc.conflict], gazetteer, False)
    return total, dict(by_conflict)


def report_conflicts(by_conflict: dict[str, Tally]) -> None:
    """Print toponym recall per conflict, one line each."""
    print("  toponym recall by conflict:")
    for conflict, tally in sorted(by_conflict.items()):
        recall = _ratio(tally.found_places, tally.gold_places)
        print(f"    {conflict:<20} {recall:.3f}  ({tally.found_places}/{tally.gold_places} ids, {tally.docs} docs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all", "both"], default="both")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--no-geoparsing", action="store_true", help="skip the tests/gold/geoparsing set")
    args = parser.parse_args()
    docs = load_gold()
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    for split in splits:
        total, by_conflict = evaluate([d for d in docs if split == "all" or d.split == split], args.show_errors)
        report(split, total)
        if split == "dev":
            report_conflicts(by_conflict)
    if not args.no_geoparsing and any(GEOPARSING_DIR.glob("*.jsonl")):
        geo = load_gold(GEOPARSING_DIR)
        total, _ = evaluate(geo, args.show_errors)
        sets = ", ".join(f"{name} {n} docs" for name, n in sorted(Counter(d.conflict for d in geo).items()))
        report(f"geoparsing: {sets}", total, places_only=True)


if __name__ == "__main__":
    main()
