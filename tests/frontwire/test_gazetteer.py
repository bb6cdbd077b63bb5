"""The gazetteer and name folding: seed article, transliteration variants, data-file invariants."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path

import pycountry
import pytest

from frontwire import gazetteer as gz
from frontwire.gazetteer import (
    DATA_DIR,
    Gazetteer,
    GazetteerDataError,
    PlaceMention,
    latin_names,
    load_admin1,
    load_country_names,
    load_place_words,
    strip_division_words,
)
from frontwire.models import PlaceKind
from frontwire.transliteration import _levenshtein, fold, fold_many, normalize, normalize_many, similarity

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "seed-article.json"

DEIR_EZ_ZOR = "geonames:170794"
AL_QAIM = "geonames:92138"
ABU_KAMAL = "geonames:174448"
CONFLICT_COUNTRIES = {"SY", "IQ", "UA", "AF", "SD", "SO", "CD", "MM", "ML", "YE", "LY", "NG", "ET", "BF", "NE", "MZ"}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.shared()


def _seed_body() -> str:
    assert SEED.exists(), f"the seed article must sit at {SEED} (../shared beside the project)"
    text: str = json.loads(SEED.read_text(encoding="utf-8"))["text"]
    # The subscription pitch after the byline is boilerplate the cleaning stage removes.
    return text[: text.index("This story was reported by")]


def _found(gazetteer: Gazetteer, text: str, countries: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(m.surface, m.place.id) for m in gazetteer.find_places(text, countries=countries)]


# -- transliteration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        ["Deir el-Zour", "Deir ez-Zor", "Deir Ezzor", "Dayr az-Zawr", "Deir al-Zour", "Dayr az Zawr"],
        ["Qaim", "Al-Qaim", "Al Qā’im", "al-Qa'im"],
        ["Boukamal", "Al-Bukamal", "Bukamal"],
        ["Kharkiv", "Kharkov"],
        ["Avdiivka", "Avdeyevka", "Avdiyivka", "Avdijivka"],
        ["Zaporizhzhia", "Zaporozhye", "Zaporizhzhya"],
        ["Mazar-i-Sharif", "Mazar-e Sharif", "Mazār-e Sharīf"],
        ["El Fasher", "Al-Fashir", "El-Fasher"],
        ["Wad Madani", "Wad Medani"],
        ["Kismayo", "Kismaayo"],
        ["Raqqa", "Ar Raqqah", "Raqqah", "ar-Raqqa"],
        ["Mosul", "Mawsil"],
        ["Dhi Qar", "Thi Qar", "Zi Qar"],
    ],
)
def test_spelling_variants_fold_to_one_key(spellings: list[str]) -> None:
    assert len({fold(s) for s in spellings}) == 1, {s: fold(s) for s in spellings}


def test_normalize_keeps_a_readable_light_form() -> None:
    assert normalize("Deir ez-Zor") == "deir zor"
    assert normalize("Al Qā’im") == "qaim"
    assert normalize("Mazār-e Sharīf") == "mazar sharif"
    assert normalize("Deir Ezzor") == "deir zor"  # fused article after the first word
    assert normalize("Assad") == "assad"  # but not on the first word
    assert normalize("Al") == "al"  # a lone article stays
    assert normalize("Dar‘ā") == "dara"


def test_folding_does_not_merge_different_names() -> None:
    assert fold("Iraq") != fold("Iran")
    assert fold("Niger") != fold("Nigeria")
    assert fold("Mosul") != fold("Homs")


def test_bulk_and_single_forms_agree() -> None:
    names = ["Deir el-Zour", "Al Qā’im", "Zaporizhzhia", "", "Ras al-Ain", "Tall Abyad", "Ĥalab", "Kyiv\nOblast"]
    assert normalize_many(names) == [normalize(n) for n in names]
    assert fold_many(names) == [fold(n) for n in names]


def test_similarity_is_one_minus_relative_edit_distance() -> None:
    assert similarity("deir zor", "deirzor") == 1.0
    assert similarity("kharkov", "kharkiv") == pytest.approx(1 - 1 / 7)
    assert 0.0 <= similarity("abc", "xyz") < 0.01


def test_bit_vector_levenshtein_matches_the_textbook_programme() -> None:
    def reference(a: str, b: str) -> int:
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            current = [i]
            for j, cb in enumerate(b, 1):
                current.append(min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb)))
            row = current
        return row[-1]

    rng = random.Random(7)
    for _ in range(2000):
        a = "".join(rng.choice("abz ") for _ in range(rng.randint(0, 10)))
        b = "".join(rng.choice("abz ") for _ in range(rng.randint(0, 10)))
        assert _levenshtein(a, b) == reference(a, b)


# -- the seed article ---------------------------------------------------------------------


def test_seed_places(gazetteer: Gazetteer) -> None:
    text = _seed_body()
    mentions = gazetteer.find_places(text)
    by_surface: dict[str, set[str]] = {}
    for m in mentions:
        assert text[m.start : m.end] == m.surface
        assert m.place.mentions == 1
        by_surface.setdefault(m.surface, set()).add(m.place.id)
    assert by_surface["Qaim"] == {AL_QAIM}
    assert by_surface["Boukamal"] == {ABU_KAMAL}
    assert by_surface["Deir al-Zour"] == {DEIR_EZ_ZOR}
    assert by_surface["Mosul"] == {"geonames:99072"}
    assert by_surface["Raqqa"] == {"geonames:172955"}
    assert by_surface["Baghdad"] == {"geonames:98182"}
    assert by_surface["Astana"] == {"geonames:1526273"}
    assert by_surface["Syria"] == {"geonames:163843"}
    assert by_surface["Iraq"] == {"geonames:99237"}
    assert by_surface["Kazakhstan"] == {"geonames:1522867"}
    # The city, except where the text says "the ... province of Deir el-Zour".
    deir = [m for m in mentions if m.surface == "Deir el-Zour"]
    assert len(deir) == text.count("Deir el-Zour")
    province = [m for m in deir if m.place.id == "iso3166-2:SY-DY"]
    assert len(province) == 1 and text[province[0].start - 12 : province[0].start] == "province of "
    city = [m.place for m in deir if m.place.id == DEIR_EZ_ZOR]
    assert len(city) == len(deir) - 1
    assert city[0].kind is PlaceKind.CITY and city[0].country == "SY"
    assert math.isclose(city[0].lat, 35.34, abs_tol=0.05) and math.isclose(city[0].lon, 40.14, abs_tol=0.05)
    assert city[0].admin1 == "Dayr az Zawr"
    kinds = {m.surface: m.place.kind for m in mentions}
    assert kinds["Syria"] is PlaceKind.COUNTRY and kinds["Iraq"] is PlaceKind.COUNTRY
    assert kinds["Anbar region"] is PlaceKind.ADMIN1  # "Iraq's western Anbar region"


def test_seed_names_nothing_else(gazetteer: Gazetteer) -> None:
    surfaces = {m.surface for m in gazetteer.find_places(_seed_body())}
    expected = {
        "Deir el-Zour", "Deir al-Zour", "Syria", "Iraq", "Qaim", "Boukamal", "Mosul", "Raqqa", "Baghdad",
        "Anbar region", "Astana", "Kazakhstan", "Moscow", "Russia", "Iran", "Turkey", "United States",
    }  # fmt: skip
    assert surfaces <= expected, surfaces - expected
    for word in ("Friday", "President", "Army", "Euphrates", "Euphrates River", "Assad", "Kenya", "SANA"):
        assert word not in surfaces


def test_seed_places_with_the_actors_countries(gazetteer: Gazetteer) -> None:
    plain = _found(gazetteer, _seed_body())
    assert _found(gazetteer, _seed_body(), ("SY", "IQ")) == plain


# -- variants across conflicts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "countries", "surface", "place_id"),
    [
        ("Russian forces shelled Kharkiv overnight.", (), "Kharkiv", "geonames:706483"),
        ("Russian forces shelled Kharkov overnight.", (), "Kharkov", "geonames:706483"),
        ("Wagner fighters claimed Bakhmut.", ("UA",), "Bakhmut", "geonames:713174"),
        ("Wagner fighters claimed Artemovsk.", ("UA",), "Artemovsk", "geonames:713174"),
        ("The battle for Avdiivka went on.", ("UA",), "Avdiivka", "geonames:713122"),
        ("The battle for Avdeyevka went on.", ("UA", "RU"), "Avdeyevka", "geonames:713122"),
        ("Missiles hit Zaporizhzhia.", (), "Zaporizhzhia", "geonames:687700"),
        ("Missiles hit Zaporozhye.", ("UA",), "Zaporozhye", "geonames:687700"),
        ("The Taliban entered Kunduz.", ("AF",), "Kunduz", "geonames:1135689"),
        ("Fighting raged in Lashkar Gah.", ("AF",), "Lashkar Gah", "geonames:1134720"),
        ("The Taliban took Mazar-i-Sharif.", ("AF",), "Mazar-i-Sharif", "geonames:1133616"),
        ("The Taliban took Mazar-e Sharif.", ("AF",), "Mazar-e Sharif", "geonames:1133616"),
        ("The RSF seized El Fasher.", ("SD",), "El Fasher", "geonames:379555"),
        ("The RSF seized Al-Fashir.", ("SD",), "Al-Fashir", "geonames:379555"),
        ("The RSF entered Wad Madani.", ("SD",), "Wad Madani", "geonames:364103"),
        ("The RSF entered Wad Medani.", ("SD",), "Wad Medani", "geonames:364103"),
        ("M23 rebels captured Goma.", ("CD",), "Goma", "geonames:216281"),
        ("M23 rebels captured Bukavu.", ("CD",), "Bukavu", "geonames:217831"),
        ("The MNDAA took Lashio.", ("MM",), "Lashio", "geonames:1314759"),
        ("Resistance forces took Myawaddy.", ("MM",), "Myawaddy", "geonames:1308052"),
        ("The army entered Kidal.", ("ML",), "Kidal", "geonames:2455290"),
        ("Al-Shabaab attacked Kismayo.", ("SO",), "Kismayo", "geonames:55671"),
        ("Al-Shabaab attacked Kismaayo.", ("SO",), "Kismaayo", "geonames:55671"),
        ("Troops reached Qaim, Iraq, on Friday.", (), "Qaim", AL_QAIM),
        ("Militants fled towards the Syrian town of Boukamal.", (), "Boukamal", ABU_KAMAL),
    ],
)
def test_variants_across_conflicts(
    gazetteer: Gazetteer, text: str, countries: tuple[str, ...], surface: str, place_id: str
) -> None:
    assert (surface, place_id) in _found(gazetteer, text, countries)


@pytest.mark.parametrize(
    ("text", "surface", "place_id"),
    [  # a division word right after the name belongs to the mention's surface
        ("Rebels advanced in Idlib province.", "Idlib province", "iso3166-2:SY-ID"),
        ("Rebels advanced in the province of Idlib.", "Idlib", "iso3166-2:SY-ID"),
        ("Shelling went on in the Donetsk region.", "Donetsk region", "iso3166-2:UA-14"),
        ("Shelling went on in Donetsk oblast.", "Donetsk oblast", "iso3166-2:UA-14"),
        ("Shelling went on in Donetsk Oblast.", "Donetsk Oblast", "iso3166-2:UA-14"),
        ("Drones struck the Kharkiv region.", "Kharkiv region", "iso3166-2:UA-63"),
        ("Forces moved through Deir el-Zour province.", "Deir el-Zour province", "iso3166-2:SY-DY"),
        ("An officer in Iraq's western Anbar region said so.", "Anbar region", "iso3166-2:IQ-AN"),
        ("Clashes spread in Kachin State.", "Kachin State", "iso3166-2:MM-11"),
        ("Herat, Kunduz and Sar-e Pul provinces fell.", "Kunduz", "iso3166-2:AF-KDZ"),
        ("Fighting in the provinces of Idlib and Hama.", "Hama", "iso3166-2:SY-HM"),
        ("M23 holds parts of North Kivu province.", "North Kivu province", "iso3166-2:CD-NK"),
        ("Donetsk was shelled again.", "Donetsk", "geonames:709717"),  # the city, no division word
        ("Idlib was shelled again.", "Idlib", "geonames:169389"),
    ],
)
def test_divisions_resolve_to_themselves_only_with_a_division_word(
    gazetteer: Gazetteer, text: str, surface: str, place_id: str
) -> None:
    assert (surface, place_id) in _found(gazetteer, text)


def test_countries_resolve_to_the_country(gazetteer: Gazetteer) -> None:
    found = dict(_found(gazetteer, "Talks between the United States, Russia and the DRC stalled in Turkey."))
    assert found["United States"] == "geonames:6252001"
    assert found["Russia"] == "geonames:2017370"
    assert found["DRC"] == "geonames:203312"
    assert found["Turkey"] == "geonames:298795"


def test_possessive_is_left_out_of_the_surface(gazetteer: Gazetteer) -> None:
    text = "Syria's army said Moscow's support helped."
    mentions = gazetteer.find_places(text)
    assert [(m.surface, m.start, m.end) for m in mentions] == [("Syria", 0, 5), ("Moscow", 18, 24)]


def test_one_mention_per_occurrence(gazetteer: Gazetteer) -> None:
    text = "Mosul fell. Iraqi troops retook Mosul, and Mosul was quiet."
    assert [m.start for m in gazetteer.find_places(text) if m.surface == "Mosul"] == [0, 32, 43]


def test_a_mention_is_a_frozen_value(gazetteer: Gazetteer) -> None:
    mention = gazetteer.find_places("Fighting in Mosul.")[0]
    assert isinstance(mention, PlaceMention)
    with pytest.raises(AttributeError):
        mention.start = 0  # type: ignore[misc]


# -- nothing from ordinary prose ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The committee met on Friday. President Smith said the Army would review the plan with the Navy.",
        "After lunch, Sarah Walker and Tom Baker drove to the Harvard Business School to discuss Shakespeare.",
        "Reading the report, the Minister said that March would be busy. Independence Day falls in July.",
        "Start your subscription today. Subscribe to continue. Read more about Apple and Google.",
        "The Islamic State group claimed the attack in a statement posted by its Aamaq news agency.",
        "Mary Baker Eddy founded the Monitor in 1908, and the Church publishes it to this day.",
        "The Euphrates River Valley was green. Lake Success and Mount Pleasant were quiet.",
        "Prime Minister Haider al-Abadi pledged victory. Later, Abadi spoke to General Dynamics.",
        "Christian Science is in our name. Explore values journalism About us.",
        "It was a Good Friday, said Dr. Brown, as the Red Cross and the United Nations met.",
    ],
)
def test_ordinary_prose_names_no_place(gazetteer: Gazetteer, text: str) -> None:
    assert _found(gazetteer, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian President Vladimir Putin hailed the capture.", []),
        ("The leader Abu Bakr al-Baghdadi was killed.", []),
        ("Hayat Tahrir al-Sham fighters entered Aleppo.", [("Aleppo", "geonames:170063")]),
        ("Agence France-Presse reported it from Kyiv.", [("Kyiv", "geonames:703448")]),
        ("President Bashar Assad spoke. Assad's forces advanced.", []),
        ("BAGHDAD (AP) \u2014 Iraqi forces advanced on Friday.", [("BAGHDAD", "geonames:98182")]),
        ("Fighting in Congo and Rwanda went on.", [("Congo", "geonames:203312"), ("Rwanda", "geonames:49518")]),
        ("Voters in Indiana went to the polls.", [("Indiana", "iso3166-2:US-IN")]),
    ],
)
def test_people_organisations_datelines_and_homonyms(gazetteer: Gazetteer, text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(gazetteer, text) == expected


def test_no_match_inside_a_word_or_in_lower_case(gazetteer: Gazetteer) -> None:
    assert _found(gazetteer, "the mosul-bound convoy and the baghdadi dishes in Mosulian style") == []


def test_urls_name_no_place(gazetteer: Gazetteer) -> None:
    assert _found(gazetteer, "See https://www.example.com/World/Middle-East/Damascus/story today.") == []


# -- lookups ------------------------------------------------------------------------------


def test_get_and_country(gazetteer: Gazetteer) -> None:
    city = gazetteer.get(DEIR_EZ_ZOR)
    assert city is not None and city.name == "Deir ez-Zor" and city.kind is PlaceKind.CITY
    province = gazetteer.get("iso3166-2:SY-DY")
    assert province is not None and province.kind is PlaceKind.ADMIN1 and province.country == "SY"
    syria = gazetteer.country("sy")
    assert syria is not None and syria.id == "geonames:163843" and syria.kind is PlaceKind.COUNTRY
    assert gazetteer.get("geonames:1") is None and gazetteer.get("nonsense") is None
    assert gazetteer.demonym_country("Syrian") == "SY"
    assert gazetteer.population(DEIR_EZ_ZOR) == 271800
    assert (gazetteer.population("iso3166-2:SY-DY") or 0) > 271800
    assert gazetteer.population("geonames:1") is None


def test_lookup_prefers_the_given_countries(gazetteer: Gazetteer) -> None:
    assert gazetteer.lookup("Donetsk", countries=("RU",))[0].country == "RU"
    assert gazetteer.lookup("Donetsk")[0].id == "geonames:709717"  # the larger one
    assert gazetteer.lookup("Donetsk", kinds=(PlaceKind.ADMIN1,))[0].id == "iso3166-2:UA-14"


def test_loaded_once_per_process() -> None:
    assert Gazetteer.shared() is Gazetteer.shared()


# -- data files ---------------------------------------------------------------------------


def test_place_words_invariants() -> None:
    words = load_place_words()
    assert {"friday", "president", "army", "the"} <= words.common
    assert {"president", "minister"} <= words.title
    assert {"mary", "haider"} <= words.first_name
    assert {"river", "lake"} <= words.feature
    names = load_country_names()
    countries = {n.lower() for c in names.values() for n in c.aliases}
    # A country's name must never be a stop word, or the country could not be found.
    assert not (words.common | words.first_name) & {"jordan", "chad", "georgia", "israel", "niger"}
    assert not words.first_name & countries


def test_country_names_invariants() -> None:
    names = load_country_names()
    demonyms = Counter(d.lower() for c in names.values() for d in c.demonyms)
    assert [d for d, n in demonyms.items() if n > 1] == []
    for code in names:
        assert code == "XK" or pycountry.countries.get(alpha_2=code) is not None
    assert names["SY"].demonyms == ("Syrian", "Syrians")


def test_admin1_table_invariants(gazetteer: Gazetteer) -> None:
    rows = load_admin1()
    codes = Counter(r.iso_code for r in rows if r.iso_code)
    assert [c for c, n in codes.items() if n > 1] == []
    groups = Counter((r.country, r.geonames_code) for r in rows if r.geonames_code)
    assert [g for g, n in groups.items() if n > 1] == []
    for row in rows:
        if row.iso_code is not None:
            sub = pycountry.subdivisions.get(code=row.iso_code)
            assert sub is not None and sub.country_code == row.country, row
        country = gazetteer.country(row.country)
        if country is not None and row.geonames_code is not None and row.country in CONFLICT_COUNTRIES:
            # A division lies in its country: near its centre, in these compact countries.
            assert gz._km(row.lat, row.lon, country.lat, country.lon) < 1500, row
    mapping = {r.iso_code: r.geonames_code for r in rows if r.iso_code}
    assert mapping["SY-DY"] == "07" and mapping["SY-ID"] == "12" and mapping["IQ-AN"] == "01"
    assert mapping["UA-14"] == "05" and mapping["UA-63"] == "07" and mapping["AF-HEL"] == "10"
    assert sum(1 for r in rows if r.country == "SY" and r.iso_code and r.geonames_code) == 14


def test_every_city_in_a_mapped_group_has_its_division_name(gazetteer: Gazetteer) -> None:
    place = gazetteer.get("geonames:99072")  # Mosul
    assert place is not None and place.admin1 == "Nīnawá"


def test_strip_division_words() -> None:
    assert strip_division_words("Kharkivska oblast") == "Kharkivska"
    assert strip_division_words("Muhafazat Kirkuk") == "Kirkuk"
    assert strip_division_words("Northern State") == "Northern State"
    assert strip_division_words("Wales [Cymru GB-CYM]") == "Wales"


def test_latin_names_drop_other_scripts_and_machine_romanisations() -> None:
    record = {"name": "Deir ez-Zor", "alternatenames": ["Deir el-Zor", "dyr alzwr", "دير الزور", "Dajr ez-Zaur"]}
    assert latin_names(record) == ["Deir ez-Zor", "Deir el-Zor", "Dajr ez-Zaur"]


# -- loaders report file and line ---------------------------------------------------------


def test_place_words_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "words.txt"
    bad.write_text("# comment\n[common]\nfriday\ntwo words\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"words\.txt:4: 'two words' is not a single word"):
        load_place_words(bad)
    bad.write_text("[nouns]\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"words\.txt:1: unknown section"):
        load_place_words(bad)
    bad.write_text("[common]\nfriday\nFriday\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"words\.txt:3: 'Friday' is listed twice"):
        load_place_words(bad)


def test_country_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "countries.tsv"
    bad.write_text("# header\nSY\t\tSyrian\nZZ\t\t\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"countries\.tsv:3: 'ZZ' is not an ISO 3166-1"):
        load_country_names(bad)
    bad.write_text("SY\tSyria\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"countries\.tsv:1: expected 3 tab-separated columns"):
        load_country_names(bad)


def test_admin1_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "admin1.tsv"
    bad.write_text("# header\nSY-DY\tSY\t07\tDayr az Zawr\tnorth\t40.1\t0\t\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"admin1\.tsv:2: could not convert"):
        load_admin1(bad)
    bad.write_text("IQ-AN\tSY\t01\tAnbar\t33.9\t42.2\t0\t\n", encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"admin1\.tsv:1: IQ-AN is not a division of SY"):
        load_admin1(bad)


def test_index_cache_round_trip(gazetteer: Gazetteer, tmp_path: Path) -> None:
    cache = tmp_path / "gazetteer.marshal"
    gz._write_state(cache, gazetteer._state())
    state = gz._read_state(cache)
    assert state is not None
    restored = Gazetteer.__new__(Gazetteer)
    restored.words = gazetteer.words
    restored._cache = {}
    restored._restore(state)
    text = _seed_body()
    assert restored.find_places(text) == gazetteer.find_places(text)
    assert restored.get("iso3166-2:SY-DY") == gazetteer.get("iso3166-2:SY-DY")
    cache.write_bytes(b"\x00truncated")
    assert gz._read_state(cache) is None  # a broken cache is rebuilt, never trusted
    assert gz._read_state(tmp_path / "absent") is None


def test_cache_directory_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRONTWIRE_CACHE_DIR", str(tmp_path))
    assert gz.default_cache_dir() == tmp_path
    monkeypatch.setenv("FRONTWIRE_CACHE_DIR", "off")
    assert gz.default_cache_dir() is None
    monkeypatch.delenv("FRONTWIRE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gz.default_cache_dir() == tmp_path / "frontwire"


def test_gazetteer_reports_a_bad_city_file(tmp_path: Path) -> None:
    cities = tmp_path / "cities.json"
    cities.write_text('{"1": {"geonameid": 1, "name": "X"}}', encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"cities\.json:1: bad city record near byte 6"):
        Gazetteer(cities_path=cities, data_dir=DATA_DIR)
    cities.write_text('{"1": {"geonameid": 1, "name": "X",}}', encoding="utf-8")
    with pytest.raises(GazetteerDataError, match=r"cities\.json:1: bad JSON"):
        Gazetteer(cities_path=cities, data_dir=DATA_DIR)


def test_a_small_gazetteer_from_its_own_files(tmp_path: Path) -> None:
    cities = tmp_path / "cities.json"
    record = {
        "geonameid": 170794, "name": "Deir ez-Zor", "latitude": 35.33588, "longitude": 40.14084,
        "countrycode": "SY", "population": 271800, "admin1code": "07", "alternatenames": ["Deir el-Zor"],
    }  # fmt: skip
    cities.write_text(json.dumps({"170794": record}), encoding="utf-8")
    small = Gazetteer(cities_path=cities)
    assert len(small) > 1
    assert [(m.surface, m.place.id) for m in small.find_places("Syrian troops entered Deir el-Zour.")] == [
        ("Deir el-Zour", DEIR_EZ_ZOR)
    ]
