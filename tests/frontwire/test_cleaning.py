"""Article cleaning: the seed, hand-written pages, the boilerplate rules and their file."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from frontwire.cleaning import (
    BOILERPLATE_PATH,
    RuleAction,
    clean_text,
    default_boilerplate_rules,
    load_boilerplate_rules,
    normalize_text,
    strip_boilerplate,
    text_from_html,
)
from frontwire.models import Article

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
SEED_END = "This story was reported by The Associated Press."
PUBLISHED = datetime(2017, 11, 3, tzinfo=UTC)


def _article(*, text: str | None = None, html: str | None = None, title: str | None = None) -> Article:
    return Article(id="a1", url="https://example.com/a1", published_at=PUBLISHED, title=title, text=text, html=html)


def _seed() -> dict[str, str]:
    seed: dict[str, str] = json.loads((FIXTURES / "seed-article.json").read_text(encoding="utf-8"))
    return seed


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _sentences(text: str) -> list[str]:
    """Sentences of a source text, spaces collapsed as the cleaner collapses them."""
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[\"“A-Z])|(?<=[.!?][\"”])\s+", flat) if s]


def _seed_story() -> str:
    """The seed's story as the source has it: up to the AP credit, without the caption credit lines."""
    text = _seed()["text"]
    story = text[: text.index(SEED_END) + len(SEED_END)]
    return "\n".join(line for line in story.split("\n") if line.strip() not in {"|", "SANA/AP"})


# --- the seed -------------------------------------------------------------------------------


def test_seed_keeps_the_story_whole_and_drops_the_pitch() -> None:
    seed = _seed()
    cleaned = clean_text(_article(text=seed["text"], title=seed["title"]))
    assert cleaned.endswith(SEED_END)
    assert "Kenya" not in cleaned
    assert "free articles" not in cleaned
    assert "Subscribe" not in cleaned
    lines = cleaned.split("\n")
    assert "SANA/AP" not in lines
    assert "|" not in lines
    # Paragraph for paragraph the source, with its spaces normalised: nothing lost, nothing moved.
    expected = "\n\n".join(" ".join(p.split()) for p in _seed_story().split("\n\n"))
    assert cleaned == expected


def test_seed_every_sentence_survives_verbatim() -> None:
    seed = _seed()
    cleaned = clean_text(_article(text=seed["text"], title=seed["title"]))
    sentences = _sentences(_seed_story())
    assert len(sentences) == 25  # the seed story has 25 sentences, the caption among them
    missing = [s for s in sentences if s not in cleaned]
    assert missing == []
    assert sentences[0] == cleaned[: len(sentences[0])]


def test_seed_text_file_gives_the_same_text_without_its_title_line() -> None:
    seed = _seed()
    from_txt = clean_text(_article(text=_fixture("seed-article.txt"), title=seed["title"]))
    assert from_txt == clean_text(_article(text=seed["text"], title=seed["title"]))
    assert not from_txt.startswith(seed["title"])


def test_seed_has_no_control_or_odd_spaces_left() -> None:
    cleaned = clean_text(_article(text=_seed()["text"]))
    assert "\xa0" not in cleaned
    assert "  " not in cleaned
    assert "\n\n\n" not in cleaned
    assert unicodedata.is_normalized("NFC", cleaned)


# --- HTML pages -------------------------------------------------------------------------------

NEWS_PAGE_BODY = [
    "BAGHDAD (AP) — Iraqi forces pushed into the western town of Qaim on Friday, the last significant urban area "
    "still held by the Islamic State group in Iraq, the country's joint operations command said.",
    "Troops from the army's 7th Division and the elite Counter-Terrorism Service entered the town's eastern "
    "neighborhoods at dawn after a two-week advance along the Euphrates River valley, Brig. Gen. Yahya Rasool said.",
    "Prime Minister Haider al-Abadi pledged the battle would be finished within days, and said the army would "
    "then secure the desert border with Syria.",
    "In a related development, Kurdish-led forces across the border in Syria said they had cut a road used by the "
    "militants to move fighters between the two countries.",
    "A photo released by the Iraqi military showed troops raising the national flag over the town's hospital.",
    "The militants have lost more than 90 percent of the territory they once held in Iraq and Syria, including "
    "Mosul, which Iraqi forces retook in July.",
    "Associated Press writer Bassem Mroue in Beirut contributed to this report.",
]
NEWS_PAGE_CHROME = [
    "cookies",
    "Middle East",
    "Subscribe",
    "Sign in",
    "Kherson",
    "Facebook",
    "Twitter",
    "Share",
    "AP Photo",
    "Khalid Mohammed",
    "Advertisement",
    "Read more",
    "one year after",
    "Raqqa stadium",
    "Idlib",
    "Kirkuk",
    "newsletter",
    "inbox",
    "email",
    "Terms of Use",
    "Comments",
    "Boukamal",
    "Tal Afar",
    "Report abuse",
    "More from",
    "Aleppo",
    "Donetsk",
    "About us",
    "Copyright",
]


def test_news_page_keeps_the_body_in_paragraphs_and_loses_the_chrome() -> None:
    cleaned = clean_text(_article(html=_fixture("news-article-page.html")))
    assert cleaned.split("\n\n") == NEWS_PAGE_BODY
    assert [c for c in NEWS_PAGE_CHROME if c in cleaned] == []


def test_paywalled_page_is_cut_at_the_pitch() -> None:
    cleaned = clean_text(_article(html=_fixture("paywalled-page.html")))
    assert cleaned.startswith("BEIRUT — The Syrian army announced on Friday it had liberated the eastern city of")
    assert cleaned.endswith("including the border town of Boukamal.")
    assert len(cleaned.split("\n\n")) == 4
    for chrome in [
        "SANA/AP",
        "Advertisement",
        "free articles",
        "Kabul",
        "Kenya",
        "subscriber",
        "Most read",
        "Taliban",
        "Houthis",
        "Mosul",
        "Recommended",
        "Daily Ledger",
        "Share",
        "Tweet",
    ]:
        assert chrome not in cleaned


def test_cms_page_loses_the_boxes_inside_the_post_body() -> None:
    cleaned = clean_text(
        _article(html=_fixture("blog-cms-page.html"), title="Ukrainian troops enter Kherson as Russian forces withdraw")
    )
    assert cleaned.split("\n\n") == [
        "KYIV — Ukrainian troops entered the southern city of Kherson on Friday after Russian forces completed "
        "their withdrawal to the eastern bank of the Dnipro River, Ukraine's defence ministry said.",
        "Residents gathered in the central square waving Ukrainian flags, according to videos verified by the "
        "regional administration.",
        "Russia's defence ministry said more than 30,000 troops and about 5,000 pieces of military equipment had "
        "been moved across the river.",
        "Kherson was the only regional capital Russia had captured since the start of its full-scale invasion in February.",
    ]
    for chrome in [
        "Photo",
        "AFP",
        "READ MORE",
        "Snihurivka",
        "Nova Kakhovka",
        "Share",
        "newsletter",
        "Related",
        "Zaporizhzhia",
        "Melitopol",
        "Bakhmut",
        "WordPress",
        "Donate",
        "Comments",
    ]:
        assert chrome not in cleaned


def test_script_rendered_page_falls_back_to_the_embedded_article_body() -> None:
    cleaned = text_from_html(_fixture("script-rendered-page.html"))
    assert cleaned.startswith("KABUL — Taliban fighters seized the centre of the northern Afghan city of Kunduz")
    assert cleaned.endswith("preparing a counteroffensive with support from NATO air power.")
    assert "JavaScript" not in cleaned


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<html><body><div>Kyiv, 3 May.</div></body></html>", "Kyiv, 3 May."),
        ("<html><body><p>Short one.</p><p>Second short para.</p></body></html>", "Short one.\n\nSecond short para."),
        ("Plain text sent as html: Mosul &amp; Raqqa.", "Plain text sent as html: Mosul & Raqqa."),
        ("", ""),
        ("<html><body></body></html>", ""),
    ],
)
def test_short_and_odd_html_still_gives_its_text(html: str, expected: str) -> None:
    assert text_from_html(html) == expected


# --- clean_text: which input, the title ---------------------------------------------------------


def test_text_wins_over_html_when_both_are_given() -> None:
    article = _article(text="The army retook the town on Friday, officials said.", html=_fixture("paywalled-page.html"))
    assert clean_text(article) == "The army retook the town on Friday, officials said."


def test_html_is_used_when_the_text_is_blank_or_only_boilerplate() -> None:
    html = _fixture("paywalled-page.html")
    from_html = clean_text(_article(html=html))
    assert clean_text(_article(text=" \n\xa0", html=html)) == from_html
    assert clean_text(_article(text="Share\nAdvertisement\nSANA/AP", html=html)) == from_html


def test_no_input_gives_empty_text() -> None:
    assert clean_text(_article()) == ""
    assert clean_text(_article(text="")) == ""


def test_title_is_kept_apart_and_a_repeated_first_line_goes() -> None:
    body = "Rebels seize Goma airport, witnesses say.\n\nM23 fighters entered the city on Monday, residents said."
    assert clean_text(_article(text=body, title="Rebels seize Goma airport")) == body
    headed = "REBELS SEIZE GOMA AIRPORT\n\n" + body
    assert clean_text(_article(text=headed, title="Rebels  seize Goma airport")) == body
    # Only a first line that repeats the title goes; the same words later are story.
    later = body + "\n\nRebels seize Goma airport"
    assert clean_text(_article(text=later, title="Rebels seize Goma airport")) == later


def test_scraped_text_page_becomes_exactly_its_story() -> None:
    article = _article(text=_fixture("scraped-page.txt"), title="Kabul falls to the Taliban as president flees")
    assert clean_text(article) == _fixture("scraped-page.expected.txt").rstrip("\n")


# --- boilerplate rules ------------------------------------------------------------------------

STORY_BEFORE = "Ukrainian forces entered the village of Robotyne on Monday, the general staff said."
STORY_AFTER = "Russian troops had held the village since the first weeks of the invasion in 2022."

DROPPED_LINES = [
    "SANA/AP",
    "|",
    "—",
    "* * *",
    "REUTERS/Ammar Awad",
    "AP Photo/Hussein Malla",
    "(AP Photo/Bilal Hussein, File)",
    "Ahmad al-Rubaye/AFP via Getty Images",
    "AFP via Getty Images",
    "Getty Images",
    "Photo: AFP",
    "(photo credit: Reuters)",
    "Image: Reuters",
    "Credit: Sergei Supinsky/AFP",
    "1 of 12",
    "View gallery",
    "Advertisement",
    "ADVERTISEMENT",
    "Story continues below advertisement",
    "Sponsored content",
    "Share this article",
    "Share",
    "Share on Facebook",
    "Facebook | Twitter | Email",
    "Tweet",
    "Print",
    "Copy link",
    "Sign up for our newsletter",
    "Subscribe to our newsletter",
    "Sign up to receive the morning briefing.",
    "Enter your email address",
    "By signing up, you agree to our Terms of Use and Privacy Policy.",
    "We use cookies to improve your experience.",
    "This website uses cookies.",
    "Accept all cookies",
    "Cookie settings",
    "Manage preferences",
    "Report abuse",
    "Reply",
    "23 Comments",
    "Comments (4)",
    "Already a subscriber? Log in",
    "Subscribe",
    "Copyright 2017 The Associated Press. All rights reserved.",
    "© 2022 Frontline Dispatch",
    "All Rights Reserved.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "Terms of Use | Privacy Policy | Contact us",
    "SOURCE: Agencies",
    "Interactive: How does your country vote at the UN?",
    "Share it:",
    "4 Min Read",
    "Click here",
    "GO BACK",
    "https://p.dw.com/p/1A9Fe",
    "Your email address will not be published. Required fields are marked *",
    "0",
]


@pytest.mark.parametrize("line", DROPPED_LINES)
def test_boilerplate_line_is_dropped_and_the_story_around_it_kept(line: str) -> None:
    text = f"{STORY_BEFORE}\n{line}\n{STORY_AFTER}"
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n{STORY_AFTER}"


def test_a_line_repeated_by_the_scraper_is_kept_once() -> None:
    caption = "Voters line up at a polling place in Doylestown, Pa., Nov. 6, 2018."
    text = f"{STORY_BEFORE}\n\n{caption}\n{caption}\n\n{caption}\n\n{STORY_AFTER}\n\n{caption}"
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n\n{caption}\n\n{STORY_AFTER}\n\n{caption}"


CAPTIONS_WITH_CREDITS = [
    ("Soldiers rest near Bakhmut on Friday. (AP Photo/Libkos)", "Soldiers rest near Bakhmut on Friday."),
    (
        "Residents walk past M23 fighters in Bukavu on 16 February 2025. M23 fighters and Rwandan troops entered "
        "Bukavu on 14 February 2025, sources said. Picture: Amani Alimasi/AFP",
        "Residents walk past M23 fighters in Bukavu on 16 February 2025. M23 fighters and Rwandan troops entered "
        "Bukavu on 14 February 2025, sources said.",
    ),
    (
        "Iraqi security forces raise an Iraqi flag near the provincial council building in central Ramadi [AP]",
        "Iraqi security forces raise an Iraqi flag near the provincial council building in central Ramadi",
    ),
    (
        "Fighters ride in a pick-up truck in the East Nile district [File: RSF via AFP]",
        "Fighters ride in a pick-up truck in the East Nile district",
    ),
    ("Lebanese army forces have deployed around Khiam. / Photo: AFP / AFP", "Lebanese army forces have deployed around Khiam."),
    (
        "Congolese soldiers man a position some 12 kms from Goma. PHIL MOORE/AFP/Getty Images",
        "Congolese soldiers man a position some 12 kms from Goma.",
    ),
    ("Palestinians inspect their homes in Khan Younis. Alamy Stock Photo", "Palestinians inspect their homes in Khan Younis."),
    (
        "Arakan Army recruits train near Laiza in Kachin state. (Photo: Voice of America via Wikimedia Commons)",
        "Arakan Army recruits train near Laiza in Kachin state.",
    ),
]


@pytest.mark.parametrize(("caption", "kept"), CAPTIONS_WITH_CREDITS)
def test_caption_keeps_its_text_and_loses_its_credit(caption: str, kept: str) -> None:
    text = f"{STORY_BEFORE}\n{caption}\n{STORY_AFTER}"
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n{kept}\n{STORY_AFTER}"


LIST_BOXES = [
    "Related\nKurdish-led fighters seize Raqqa stadium\nRussian jets strike rebel-held Idlib",
    "RELATED STORIES:\n\nKurdish-led fighters seize Raqqa stadium\n\nRussian jets strike Idlib?",
    "Read more: How the Afghan army collapsed in 11 days",
    "READ MORE\n- Ukraine says it recaptured Snihurivka\n- Officials leave Nova Kakhovka",
    "Recommended for you\nDoctors stunned by this one simple trick",
    "More from AP News\nAid convoy reaches besieged eastern Aleppo",
    "You may also like:\nWagner claims advance near Bakhmut",
    "Related: Zaporizhzhia plant loses power again",
]


@pytest.mark.parametrize("box", LIST_BOXES)
def test_link_box_goes_with_its_headlines_and_the_story_after_it_stays(box: str) -> None:
    text = f"{STORY_BEFORE}\n\n{box}\n\n{STORY_AFTER}"
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n\n{STORY_AFTER}"


CUT_MARKERS = [
    "You've read 3 of 3 free articles. Subscribe to continue.",
    "You\u2019ve read 5 of 5 free stories this month.",
    "You have reached your free article limit.",
    "Subscribe to continue reading",
    "To continue reading, please subscribe.",
    "This article is for subscribers only.",
    "soundoff (23 Responses)",
    "Comments are closed.",
    "Leave a Reply",
    "3 responses to “Ukrainian troops enter Kherson”",
]


@pytest.mark.parametrize("marker", CUT_MARKERS)
def test_cut_marker_removes_everything_after_it(marker: str) -> None:
    text = f"{STORY_BEFORE}\n\n{STORY_AFTER}\n\n{marker}\nDear reader, my work in Kenya was shaped by an article."
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n\n{STORY_AFTER}"


def test_cut_marker_inside_a_line_keeps_the_sentence_before_it() -> None:
    text = f"{STORY_BEFORE}\n\n{SEED_END} You've read 3 of 3 free articles. Subscribe to continue. Kenya."
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n\n{SEED_END}"


def test_cut_marker_inside_a_sentence_is_not_a_marker() -> None:
    text = f"{STORY_BEFORE}\n\nThe officer told us you have reached your limit of questions for today, and left."
    assert strip_boilerplate(text) == text


def test_cut_marker_above_the_story_removes_only_its_own_line() -> None:
    text = f"You have reached your free article limit.\nShare\n\n{STORY_BEFORE}\n\n{STORY_AFTER}"
    assert strip_boilerplate(text) == f"{STORY_BEFORE}\n\n{STORY_AFTER}"


NEWS_LINES = [
    "Related fighting killed 12 people in Idlib province on Sunday, the monitor said.",
    "In a related development, the army said it had retaken two villages near Qaim.",
    "Read more into the statement and the army conceded it had lost the town.",
    "More from the ministry is expected on Monday, a spokesman said.",
    "Advertisement boards in Donetsk were replaced with posters of the new authorities.",
    "A photo released by the army showed soldiers raising the flag over the town hall.",
    "The AP/NORC poll was taken in May.",
    "Reuters/Ipsos polling showed support for the offensive falling to 40 percent.",
    "Kyiv/Moscow",
    "Share prices in Moscow fell after the withdrawal from Kherson was announced.",
    "Comments by the governor suggested the city would be handed over within days.",
    "The ministry published the photo: it showed troops in the square of Kupiansk",
    "Photo: soldiers raised the flag on Friday.",
    "Source: the army took the town on Friday, two officers said.",
    "Commanders said the unit had been photographed by AP",
    "The strike was recorded at 14:05 (local time) [UTC+3]",
    "Sign language interpreters were among those evacuated from Mariupol, officials said.",
    "Subscribers to the channel said the video showed fighters in the centre of Marawi.",
    "Like many towns on the front, Avdiivka had been shelled for years.",
    "Print shops in Goma closed as M23 rebels approached the city.",
    "Recommended evacuation routes were cut when the rebels took the highway.",
    "Copyright disputes aside, the footage was verified by three outlets.",
    "You have read the statement, the minister told reporters, now judge the army by its actions.",
    "BEIRUT (AP) — The Syrian army announced on Friday it liberated Deir el-Zour.",
    "By QASSIM ABDUL-ZAHRA and SUSANNAH GEORGE",
    "November 3, 2017",
    "KYIV, Ukraine (Reuters) -",
]


@pytest.mark.parametrize("line", NEWS_LINES)
def test_news_line_with_boilerplate_words_survives(line: str) -> None:
    text = f"{STORY_BEFORE}\n\n{line}\n\n{STORY_AFTER}"
    assert strip_boilerplate(text) == text


def test_no_rule_fires_on_any_sentence_of_the_stories() -> None:
    """Every sentence of the seed story and the fixtures' bodies, alone on a line, is left alone by every rule."""
    stories = [_seed_story(), "\n".join(NEWS_PAGE_BODY), _fixture("scraped-page.expected.txt")]
    lines = {s for story in stories for s in _sentences(story)}
    lines |= {line for story in stories for line in normalize_text(story).split("\n") if line}
    lines |= set(NEWS_LINES)
    # Each rule alone, as strip_boilerplate applies it: a line it changes is a line it fired on.
    fired = [
        (rule.origin, line)
        for rule in default_boilerplate_rules()
        for line in sorted(lines)
        if strip_boilerplate(line, rules=(rule,)) != line
    ]
    assert fired == []


GOLD = Path(__file__).parents[1] / "gold"


def test_gold_corpus_keeps_every_evidence_sentence_and_toponym() -> None:
    """The hand-labelled articles (tests/gold/) lose boilerplate, never a labelled sentence or place name."""
    records = [json.loads(line) for path in sorted(GOLD.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    assert len(records) >= 50
    lost = []
    for record in records:
        cleaned = strip_boilerplate(record["text"])
        evidence = [normalize_text(e["evidence"]) for e in record["events"] if e.get("evidence")]
        surfaces = [t["surface"] for t in record["toponyms"]]
        lost += [(record["doc_id"], missing) for missing in evidence + surfaces if missing not in cleaned]
    assert lost == []


@pytest.mark.parametrize(
    "line",
    [
        "a" * 100_000,
        "SANA " * 20_000,
        "AP Photo " * 10_000 + "/",
        "(" * 50_000,
        "Related " * 20_000,
        "photo: " + "x" * 100_000,
        "We use cookies " + "by continuing " * 10_000,
        "The " + "Reuters Ipsos " * 10_000 + "(AP Photo/" + "x" * 5_000,
    ],
)
def test_no_rule_backtracks_badly_on_long_lines(line: str) -> None:
    started = time.perf_counter()
    strip_boilerplate(f"{STORY_BEFORE}\n{line}\n{STORY_AFTER}")
    assert time.perf_counter() - started < 1.0


# --- normalisation ----------------------------------------------------------------------------


def test_whitespace_is_normalised_and_paragraphs_kept() -> None:
    raw = "\r\n  First  line\t here \r\nsecond\xa0line\u2009ok\r\n\r\n\r\n\n  Next   paragraph. \n\n\n"
    assert normalize_text(raw) == "First line here\nsecond line ok\n\nNext paragraph."


def test_control_and_invisible_characters_go_but_joiners_stay() -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mikhaham": the ZWNJ is spelling
    raw = f"Deir\x00 el-\u200bZour\x07 \ufeffand\u00ad Ra\u200eqqa\x85Persian: {persian}"
    assert normalize_text(raw) == f"Deir el-Zour and Raqqa\nPersian: {persian}"


def test_text_is_nfc() -> None:
    assert normalize_text("Deir ez-Zo\u0308r, Sa\u0303o Paulo") == "Deir ez-Z\u00f6r, S\u00e3o Paulo"


def test_line_and_paragraph_separators_become_newlines() -> None:
    assert normalize_text("one\u2028two\u2029three\x0cfour") == "one\ntwo\n\nthree\nfour"


def test_every_space_separator_becomes_a_space_and_no_control_character_survives() -> None:
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Zs":
            assert normalize_text(f"a{char}b") == "a b", hex(code)
        elif category == "Cc":
            assert all(c == "\n" or unicodedata.category(c) != "Cc" for c in normalize_text(f"a{char}b")), hex(code)


def test_cleaning_is_idempotent() -> None:
    for text in [_seed()["text"], _fixture("scraped-page.txt")]:
        once = strip_boilerplate(text)
        assert strip_boilerplate(once) == once
        assert normalize_text(once) == once


# --- the boilerplate file ---------------------------------------------------------------------


def test_packaged_rules_load_and_use_every_action() -> None:
    rules = load_boilerplate_rules()
    assert rules == default_boilerplate_rules()
    assert {r.action for r in rules} == set(RuleAction)
    assert all(r.origin.startswith(f"{BOILERPLATE_PATH}:") for r in rules)
    patterns = [r.pattern.pattern for r in rules]
    assert len(patterns) == len(set(patterns)), "a rule is listed twice"


def _rules_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "boilerplate.txt"
    path.write_text(body, encoding="utf-8")
    return path


def test_loader_reads_a_small_file(tmp_path: Path) -> None:
    body = "# header\n\n# ads\ndrop   advertisement\nlist related\ntrim \\(ad\\)\n\n# paywall\ncut  subscribe now\n"
    path = _rules_file(tmp_path, body)
    rules = load_boilerplate_rules(path)
    assert [(r.action, r.pattern.pattern, r.origin) for r in rules] == [
        (RuleAction.DROP, "(?:advertisement)", f"{path}:4"),
        (RuleAction.LIST, "(?:related)", f"{path}:5"),
        (RuleAction.TRIM, "(?:\\(ad\\))", f"{path}:6"),
        (RuleAction.CUT, "(?:subscribe now)", f"{path}:9"),
    ]
    text = "News of the day here, said the army.\nADVERTISEMENT\nMore. (Ad)\nSubscribe now to read on.\nGone."
    assert strip_boilerplate(text, rules) == "News of the day here, said the army.\nMore."


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("# ads\ndrop advert(isement\n", 2, "bad regex"),
        ("# ads\ndrop ok\nremove advertisement\n", 3, "unknown action 'remove'"),
        ("# ads\ndrop\n", 2, "has no pattern"),
        ("# ads\ndrop ok\n\ndrop advertisement\n", 4, "no comment"),
        ("# ads\ndrop (?:advertisement)?\n", 2, "matches the empty string"),
        ("# ads\ndrop (?s)advertisement.*\n", 2, "bad regex"),
    ],
)
def test_loader_names_file_and_line_of_a_bad_rule(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = _rules_file(tmp_path, body)
    with pytest.raises(ValueError, match=re.escape(f"{path}:{line}: ")) as caught:
        load_boilerplate_rules(path)
    assert message in str(caught.value)


def test_no_rules_only_normalises() -> None:
    assert strip_boilerplate("Share\n\n\nSANA/AP\xa0 ", rules=()) == "Share\n\nSANA/AP"
