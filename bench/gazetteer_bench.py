"""Benchmark of frontwire's gazetteer: load time, peak resident memory, find_places per 4 KB article.

Run by hand (CI does not): ``python bench/gazetteer_bench.py [--runs N]``. The article is
the seed article's text cut to 4,096 characters; figures are medians of N runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontwire.gazetteer import Gazetteer  # noqa: E402

SEED = ROOT.parent / "shared" / "seed" / "seed-article.json"


def _rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--article", type=Path, default=SEED, help="JSON with a 'text' field, or a .txt file")
    args = parser.parse_args()
    raw = args.article.read_text(encoding="utf-8")
    text = json.loads(raw)["text"] if args.article.suffix == ".json" else raw
    article = text[:4096]

    before = _current_rss_mb()
    started = time.perf_counter()
    gazetteer = Gazetteer()
    load_s = time.perf_counter() - started
    print(f"load: {load_s:.2f} s, {len(gazetteer):,} places, {gazetteer.key_count:,} keys")
    print(f"resident: {_current_rss_mb():.0f} MB after load ({before:.0f} MB before), peak {_rss_mb():.0f} MB")

    times = []
    mentions = []
    for _ in range(args.runs):
        started = time.perf_counter()
        mentions = gazetteer.find_places(article, countries=())
        times.append(time.perf_counter() - started)
    print(
        f"find_places, {len(article):,}-character article: median {statistics.median(times) * 1000:.2f} ms"
        f" over {args.runs} runs (first {times[0] * 1000:.2f} ms), {len(mentions)} mentions"
    )
    for _ in range(args.runs):
        gazetteer.find_places(article, countries=("SY", "IQ"))
    print(f"peak resident after matching: {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
