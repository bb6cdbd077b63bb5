"""Convert part of GeoWebNews (GWN.xml, Gritta et al. 2019) to frontwire's gold record format.

    python tests/gold/geoparsing/convert_gwn.py GWN.xml [--docs 100] [--chars 2000] > tests/gold/geoparsing/geowebnews.jsonl

GWN.xml comes from https://github.com/milangritta/Pragmatic-Guide-to-Geoparsing-Evaluation
(data/GWN.xml; the README next to this script names the commit and the licence). For each of
the first ``--docs`` articles: the text is cut to an excerpt of about ``--chars`` characters at a
paragraph or sentence end, and the toponyms kept are the locational place names inside it
(GWN types Literal, Mixed, Literal_Modifier, Embedded_Literal, adjectives such as "Syrian"
or "Kurdish" aside; not metonyms, demonyms, languages, homonyms or expressions such as "the
area"), each distinct surface once, with its coordinates. ``place_id`` follows frontwire's id
scheme only when it names the same place: GWN's GeoNames id is in the gazetteer and lies
within 10 km of GWN's point (a country: the id alone), or, without that, a gazetteer place
of a similar name lies within 10 km; otherwise it is null and the toponym counts for
distance only.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from frontwire.gazetteer import Gazetteer
from frontwire.models import Place

KEPT_TYPES = frozenset({"Literal", "Mixed", "Literal_Modifier", "Embedded_Literal"})
MATCH_KM = 10.0
DEFAULT_DAY = "2018-04-01"  # GWN has no dates; its URLs date it to January-April 2018
MODIFIER_TYPES = frozenset({"Literal_Modifier", "Embedded_Literal"})
# Adjectives GWN tags as modifiers ("Kurdish fighters", "European leaders"): frontwire reads
# demonyms as signals, not places, and the gold corpus lists none, so they are left out.
_ADJECTIVE = re.compile(r"(?:ian|ish|ese|ean)$", re.IGNORECASE)
_URL_DAY = re.compile(r"(20\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def excerpt_end(text: str, chars: int) -> int:
    """Where the excerpt ends: the last paragraph break, else sentence end, before ``chars``."""
    if len(text) <= chars:
        return len(text)
    cut = text.rfind("\n", chars // 2, chars)
    if cut < 0:
        cut = max(text.rfind(". ", chars // 2, chars) + 1, 0) or chars
    return cut


def place_id(gazetteer: Gazetteer, surface: str, geonames: str, lat: float, lon: float) -> Place | None:
    """The gazetteer place GWN's toponym names, or None when none is within MATCH_KM."""
    if geonames.isdigit():
        place = gazetteer.get(f"geonames:{geonames}")
        if place is not None and (place.kind.value == "country" or _km(lat, lon, place.lat, place.lon) <= MATCH_KM):
            return place
    for place in gazetteer.lookup(surface):
        if place.kind.value != "country" and _km(lat, lon, place.lat, place.lon) <= MATCH_KM:
            return place
    return None


def convert(article: ET.Element, gazetteer: Gazetteer, chars: int) -> dict[str, Any]:
    """One GWN article as a frontwire gold record (toponyms only; actors and events are not labelled)."""
    text = article.findtext("text") or ""
    end = excerpt_end(text, chars)
    link = (article.findtext("link") or "").strip()
    day = _URL_DAY.search(link)
    doc_id = f"geowebnews-{article.get('file')}"
    toponyms: list[dict[str, Any]] = []
    seen: set[str] = set()
    for node in sorted(article.iter("toponym"), key=lambda n: int(n.findtext("start") or 0)):
        start, stop = int(node.findtext("start") or 0), int(node.findtext("end") or 0)
        surface = node.findtext("extractedName") or ""
        lat, lon = node.findtext("latitude"), node.findtext("longitude")
        if (node.findtext("type") not in KEPT_TYPES or node.findtext("nonLocational") == "Yes" or stop > end
                or not lat or not lon or text[start:stop] != surface or surface in seen):
            continue
        if node.findtext("type") in MODIFIER_TYPES and (gazetteer.demonym_country(surface) or _ADJECTIVE.search(surface)):
            continue
        seen.add(surface)
        geonames = (node.findtext("geonamesID") or "").strip()
        place = place_id(gazetteer, surface, geonames, float(lat), float(lon))
        toponyms.append({
            "surface": surface,
            "place_id": place.id if place else None,
            "kind": place.kind.value if place else None,
            "lat": float(lat),
            "lon": float(lon),
            "geonames_id": int(geonames) if geonames.isdigit() else None,
            "gwn_type": node.findtext("type"),
        })
    heldout = int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16) % 10 < 3
    return {
        "doc_id": doc_id,
        "url": link,
        "published_at": f"{day.group(1)}-{day.group(2)}-{day.group(3)}" if day else DEFAULT_DAY,
        "source": re.sub(r"^www\.", "", link.split("/")[2]) if link.count("/") >= 2 else None,
        "conflict": "geowebnews",
        "split": "heldout" if heldout else "dev",
        "title": (article.findtext("title") or "").strip() or None,
        "text": text[:end],
        "toponyms": toponyms,
        "actors": [],
        "events": [],
        "negative": True,
        "notes": f"GeoWebNews article {article.get('file')}, excerpt of {end} of {len(text)} characters",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("xml", type=Path)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--chars", type=int, default=2000)
    args = parser.parse_args()
    gazetteer = Gazetteer.shared()
    articles = ET.parse(args.xml).getroot().findall("article")[: args.docs]
    for article in articles:
        sys.stdout.buffer.write(orjson.dumps(convert(article, gazetteer, args.chars)) + b"\n")


if __name__ == "__main__":
    main()
