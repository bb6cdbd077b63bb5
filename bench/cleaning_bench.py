"""Cost per article of frontwire.cleaning: HTML extraction, boilerplate removal, the whole clean_text.

Run: ``.venv/bin/python bench/cleaning_bench.py [--runs 300]``. Prints the median and 90th
percentile per call, in milliseconds, over the given number of runs after a warm-up, for
the test fixtures (the seed text, a plain-text scrape, hand-written HTML pages) and for a
"heavy" page: the news fixture padded to the weight of a real article page (inline
scripts and JSON state, a mega-menu, a wall of teaser cards; about 300 KB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from frontwire.cleaning import clean_text, load_boilerplate_rules, normalize_text, strip_boilerplate, text_from_html
from frontwire.models import Article

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "frontwire" / "fixtures" / "cleaning"


def _heavy_page(page: str) -> str:
    """The news page with the weight real pages carry around the same story."""
    script = "<script>window.__STATE__ = " + json.dumps({"items": [{"id": i, "t": "x" * 200} for i in range(600)]})
    menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(300))
    cards = "".join(
        f'<div class="card"><a href="/story/{i}"><img src="/i/{i}.jpg">'
        f"<h3>Teaser headline number {i} about the war</h3>"
        f"<p>A short teaser of another story, number {i}, with a few words.</p></a></div>"
        for i in range(120)
    )
    page = page.replace("</head>", script + "</script></head>", 1)
    page = page.replace('<ul>\n        <li><a href="/world">', f'<ul>{menu}\n        <li><a href="/world">', 1)
    return page.replace("</main>", f'<section class="teasers">{cards}</section></main>', 1)


def _time(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 90th percentile of one call, in milliseconds."""
    for _ in range(min(20, runs)):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed runs per case (default 300)")
    runs = parser.parse_args().runs

    seed = json.loads((FIXTURES / "seed-article.json").read_text(encoding="utf-8"))
    scraped = (FIXTURES / "scraped-page.txt").read_text(encoding="utf-8")
    pages = {path.name: path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.html"))}
    pages["heavy news page (synthetic)"] = _heavy_page(pages["news-article-page.html"])

    def article(*, text: str | None = None, html: str | None = None, title: str | None = None) -> Article:
        return Article("bench", "https://example.com/bench", datetime.now(UTC), title=title, text=text, html=html)

    seed_article = article(text=seed["text"], title=seed["title"])
    cases: list[tuple[str, int, Callable[[], object]]] = [
        ("load_boilerplate_rules (packaged file)", 0, load_boilerplate_rules),
        ("normalize_text: seed text", len(seed["text"]), lambda: normalize_text(seed["text"])),
        ("strip_boilerplate: seed text", len(seed["text"]), lambda: strip_boilerplate(seed["text"])),
        ("strip_boilerplate: scraped-page.txt", len(scraped), lambda: strip_boilerplate(scraped)),
        ("clean_text: seed article (text)", len(seed["text"]), lambda: clean_text(seed_article)),
    ]
    for name, html in pages.items():
        cases.append((f"text_from_html: {name}", len(html), partial(text_from_html, html)))
        cases.append((f"clean_text: {name}", len(html), partial(clean_text, article(html=html))))

    print(f"frontwire.cleaning, {runs} runs per case (ms per call)")
    print(f"{'case':<62} {'input':>9} {'median':>8} {'p90':>8}")
    for name, size, call in cases:
        median, p90 = _time(call, runs)
        print(f"{name:<62} {size:>8,}c {median:>8.3f} {p90:>8.3f}")


if __name__ == "__main__":
    main()
