"""Benchmark of ``frontwire extract``: load time, articles per second per core, peak memory, profile.

Run by hand (CI does not)::

    python bench/extract_bench.py [--articles 3000] [--runs 3] [--profile-articles 3000]

The corpus is the gold texts (tests/gold/*.jsonl) replicated to ``--articles`` raw-article
JSON lines, each copy with its own id and URL, written to a temporary file. What is timed:

1. load: ``python -m agents.cli extract`` on one article, as a real subprocess (interpreter
   start, imports, ``Enricher.shared()`` from the gazetteer's index cache, one article), the
   median of ``--runs`` runs after one warm-up run that also makes sure the gazetteer cache
   exists; and ``Enricher.shared()`` alone, in this process;
2. throughput: ``python -m agents.cli extract FILE > /dev/null`` on the whole corpus, ``--runs``
   times; articles per second = articles / (wall time - load time). ``extract`` enriches one
   article after another in one thread, so the rate per process is the rate per core (the
   CPU seconds of each run, printed beside it, match its wall time); scale out with processes;
3. peak resident memory of each run: ``/usr/bin/time -f %M`` when present, else
   ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the largest child so far);
4. in process: the enrich rate on the distinct gold texts seen for the first time, then again
   (the copies of the corpus hit warm caches, the gazetteer's span cache above all, so the
   subprocess figure leans to the second), and a cProfile of ``extract`` over the corpus
   (load excluded): the top 10 functions by cumulative time, and by own time.

Every copy after a text's first is flagged ``duplicate_of`` by the batch's near-duplicate
index (enrichment still runs in full), as a syndicated wire story would be.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gold import GoldDoc, load_gold  # noqa: E402

TIME = shutil.which("time", path="/usr/bin:/bin")


def raw_article(doc: GoldDoc, copy: int) -> dict[str, object]:
    """The raw-article message for one copy of a gold document, with its own id and URL."""
    record = doc.record
    return {
        "id": f"{doc.doc_id}~{copy}",
        "url": f"https://bench.frontwire.invalid/{copy}/{doc.doc_id}",
        "title": record["title"],
        "text": record["text"],
        "published_at": f"{record['published_at']}T12:00:00Z",
        "source": record["source"],
        "language": "en",
    }


def write_corpus(path: Path, docs: list[GoldDoc], articles: int) -> None:
    """``articles`` JSON lines: the gold documents in turn, copy after copy."""
    with path.open("wb") as out:
        for n in range(articles):
            out.write(orjson.dumps(raw_article(docs[n % len(docs)], n // len(docs))) + b"\n")


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """Route sys.stdout (text and .buffer, which ``extract`` writes to) to /dev/null."""
    saved = sys.stdout
    with open(os.devnull, "wb") as sink:
        sys.stdout = io.TextIOWrapper(sink)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stdout = saved


def run_extract(path: Path) -> tuple[float, float, float]:
    """One ``python -m agents.cli extract PATH > /dev/null``: (wall s, CPU s, peak RSS MiB)."""
    command = [sys.executable, "-m", "agents.cli", "extract", str(path)]
    if TIME:
        command = [TIME, "-f", "maxrss_kib=%M", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"extract failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kib = float(after.ru_maxrss)  # Linux: KiB; the largest child so far
    for line in done.stderr.splitlines():
        if line.startswith("maxrss_kib="):
            peak_kib = float(line.split("=", 1)[1])
    return wall, cpu, peak_kib / 1024


def in_process(corpus: Path, docs: list[GoldDoc], profile_articles: int) -> None:
    """Load time, first-seen and repeat rates, and the cProfile of ``extract``, in this process."""
    from agents.cli import main as cli
    from frontwire.enrich import Enricher

    started = time.perf_counter()
    enricher = Enricher.shared()
    print(f"in-process Enricher.shared() load: {time.perf_counter() - started:.3f} s (gazetteer from its cache)")
    articles = [doc.article() for doc in docs]
    for label in ("distinct texts, first seen", "the same texts again"):
        started = time.perf_counter()
        for article in articles:
            enricher.enrich(article)
        seconds = time.perf_counter() - started
        print(f"in-process enrich, {label}: {len(articles) / seconds:.1f} articles/s ({len(articles)} articles)")

    subset = corpus.with_name("profile.jsonl")
    with corpus.open("rb") as src, subset.open("wb") as dst:
        for n, line in enumerate(src):
            if n >= profile_articles:
                break
            dst.write(line)
    profiler = cProfile.Profile()
    with _stdout_to_devnull(), contextlib.redirect_stderr(io.StringIO()):
        profiler.enable()
        with contextlib.suppress(SystemExit):
            cli(["extract", str(subset)], standalone_mode=False)
        profiler.disable()
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        # click's dispatch frames are left out: they only wrap ``extract`` and would fill the top 10.
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(r"^(?!.*[/\\]click[/\\])", 10)
        body = text.getvalue()
        table = body[body.index("   ncalls") :] if "   ncalls" in body else body
        for prefix in sorted({str(ROOT) + os.sep, *(p + os.sep for p in sys.path if p)}, key=len, reverse=True):
            table = table.replace(prefix, "")
        print(f"\ncProfile of extract on {min(profile_articles, _lines(corpus))} articles, top 10 by {order} time:")
        print(table.rstrip())


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000, help="articles in the corpus [3000]")
    parser.add_argument("--runs", type=int, default=3, help="subprocess runs of each measurement [3]")
    parser.add_argument("--profile-articles", type=int, default=3000, help="articles in the profiled run [3000]")
    parser.add_argument("--no-profile", action="store_true", help="skip the in-process part")
    args = parser.parse_args()
    if args.articles < 1 or args.runs < 1:
        parser.error("--articles and --runs must be at least 1")

    docs = load_gold()
    with tempfile.TemporaryDirectory(prefix="frontwire-extract-bench-") as tmp:
        corpus, one = Path(tmp) / "corpus.jsonl", Path(tmp) / "one.jsonl"
        write_corpus(corpus, docs, args.articles)
        write_corpus(one, docs, 1)
        size_mb = corpus.stat().st_size / 1e6
        print(f"corpus: {args.articles} articles ({len(docs)} gold texts replicated), {size_mb:.1f} MB; "
              f"{os.cpu_count()} cores; peak RSS by {'/usr/bin/time' if TIME else 'getrusage'}")

        run_extract(one)  # warm-up: builds the gazetteer's index cache if this code has none yet
        loads = [run_extract(one) for _ in range(args.runs)]
        load = statistics.median(wall for wall, _, _ in loads)
        print(f"load (extract on 1 article, subprocess): median {load:.3f} s; runs "
              + ", ".join(f"{wall:.3f} s" for wall, _, _ in loads)
              + f"; peak RSS {max(peak for _, _, peak in loads):.0f} MiB")

        rates: list[float] = []
        for n in range(1, args.runs + 1):
            wall, cpu, peak = run_extract(corpus)
            rate = args.articles / (wall - load)
            rates.append(rate)
            print(f"run {n}: {wall:.2f} s wall, {cpu:.2f} s CPU ({cpu / wall:.2f} cores busy), "
                  f"{rate:.1f} articles/s after load, peak RSS {peak:.0f} MiB")
        print(f"extract throughput: median {statistics.median(rates):.1f} articles/s per process = per core "
              f"(single-threaded), over {args.runs} runs of {args.articles} articles, load time subtracted")

        if not args.no_profile:
            print()
            in_process(corpus, docs, args.profile_articles)


if __name__ == "__main__":
    main()
