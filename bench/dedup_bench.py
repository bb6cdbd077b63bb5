"""Near-duplicate detection on syndicated copies of real articles: precision, recall and speed.

Run: ``.venv/bin/python bench/dedup_bench.py [--sweep] [--runs 3]``.

The originals are the texts of the gold corpus (tests/gold/*.jsonl). From each, the benchmark
makes what syndication does to a story, alone and combined: another headline line, a byline and
dateline, a copyright or newsletter footer, the last paragraph trimmed, an extra paragraph. Those
copies must be found as duplicates of their original. It also makes distinct articles about the
same event, which must not be: a follow-up that reuses the original's lead sentence and one quote
over a body of its own, a round-up that carries the original's first paragraph among others (a
third of its words at most), and a rewrite that words every sentence differently. Every original
is itself a distinct article for the others.

Half the gold texts are the originals; the other half (and rewrites of it), cut in halves, is
only fresh material for the distinct articles' own bodies, each half used once. The stream:
originals first (each checked, then stored), then copies and distinct articles in a shuffled
order, each checked and stored the way the enrich stage would (a copy with its
``original_id``). A detection is right when it names the copy's original (or a copy of it that
was itself missed); any other detection is a false positive. Precision = right / detections,
recall = right / copies.

Default: the figures for the module's defaults (and per kind of copy). ``--sweep``: the same for
shingle sizes 3-5, several band layouts and thresholds, to choose the defaults.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gold import load_gold
from frontwire.dedup import (
    DEFAULT_BANDS,
    DEFAULT_NUM_PERM,
    DEFAULT_SHINGLE_SIZE,
    DEFAULT_THRESHOLD,
    Deduplicator,
    IndexEntry,
    Signature,
    shingles,
)

HEADLINES = [
    "UPDATE 2-{w} fighting: what we know so far",
    "{w}: forces make gains as fighting rages",
    "LIVE: latest on the {w} offensive",
    "Analysis - Why {w} matters in this war",
    "{w} changes hands, officials say",
]
BYLINES = [
    "By Sarah Dadouch and Liz Sly\n\nBEIRUT (Reuters) -",
    "By Associated Press\n\nPublished 7:42 AM EST",
    "Staff and agencies\n\nLast updated: 14:05 GMT",
    "From our correspondent. Reporting by Tom Perry; Editing by Alex Richardson",
]
FOOTERS = [
    "Copyright 2024 The Associated Press. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed without permission.",
    "Sign up for our daily briefing and get the most important world news in your inbox every morning. "
    "Read more about our editorial standards and how we report from conflict zones.",
    "Our Standards: The Thomson Reuters Trust Principles. Additional reporting by the Beirut and Cairo "
    "newsrooms; writing by a staff correspondent; editing by the world desk.",
]
EXTRAS = [
    "The conflict has killed tens of thousands of people and driven millions from their homes, according to "
    "United Nations figures, and aid agencies say access to the worst-hit areas remains limited.",
    "Journalists are rarely able to reach the front line independently, and the claims of both sides could not "
    "be verified. Officials did not respond to requests for comment on Saturday.",
    "Editor's note: this story has been updated with a statement from the defence ministry and with details "
    "of the fighting around the town.",
]
VARIANT_KINDS = [
    ("headline",), ("byline",), ("footer",), ("trimmed",), ("extra",),
    ("headline", "byline"), ("byline", "footer"), ("headline", "trimmed"), ("trimmed", "footer"),
    ("extra", "byline"), ("headline", "byline", "footer", "trimmed"), ("headline", "byline", "footer", "trimmed", "extra"),
]
# Word swaps of a rewrite desk: every sentence keeps its facts but not its wording.
REWRITE = {
    "said": "stated", "says": "states", "forces": "troops", "troops": "soldiers", "city": "town", "town": "city",
    "captured": "seized", "seized": "took", "took": "captured", "fighters": "militants", "militants": "fighters",
    "attack": "assault", "control": "hold", "government": "state", "army": "military", "military": "army",
    "killed": "left dead", "region": "area", "area": "zone", "spokesman": "spokesperson", "after": "following",
    "on": "upon", "in": "inside", "of": "from", "to": "toward", "with": "alongside", "by": "through",
    "and": "as well as", "from": "out of", "was": "had been", "were": "had been", "has": "had", "have": "had",
    "is": "remains", "are": "remain", "at": "near", "near": "close to", "its": "their", "their": "its",
}
DROPPED = {"the", "a", "an", "that", "also", "which", "who", "had", "been"}


@dataclass(frozen=True)
class Doc:
    """One text of the stream and what it should be found to duplicate."""

    doc_id: str
    text: str
    published_at: datetime
    expected: str | None  # the original's id for a copy, None for an original or a distinct article
    kind: str


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def syndicated_variant(text: str, kinds: tuple[str, ...], rng: random.Random) -> str:
    """The text as another outlet runs it."""
    paras = _paragraphs(text)
    if "trimmed" in kinds and len(paras) >= 3:  # a desk trims a story's tail, not half of a two-paragraph item
        paras = paras[:-1]
    if "extra" in kinds:
        paras.insert(rng.randrange(1, len(paras) + 1), rng.choice(EXTRAS))
    if "footer" in kinds:
        paras.append(rng.choice(FOOTERS))
    if "byline" in kinds:
        paras.insert(0, rng.choice(BYLINES))
    if "headline" in kinds:
        word = max(paras[-1].split(), key=len).strip(".,;:\"'()")
        paras.insert(0, rng.choice(HEADLINES).format(w=word))
    return "\n\n".join(paras)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?\"”])\s+(?=[A-Z“\"])", text) if s.strip()]


def _follow_up(text: str, fresh: str) -> str:
    """Another outlet's story of the same event: this one's lead sentence and one quote over its own body."""
    own = _sentences(text)
    quote = next((s for s in own[1:] if '"' in s or "“" in s), own[-1])
    return "\n\n".join([own[0], fresh, quote])


def _roundup(text: str, body: list[str]) -> str:
    """A round-up that carries this story's first paragraph among others' (a third of its words at most)."""
    return "\n\n".join([body[0], _paragraphs(text)[0], *body[1:]])


def _halves(text: str) -> list[str]:
    """The text's sentences in two halves: two bodies of fresh material."""
    sentences = _sentences(text)
    middle = len(sentences) // 2
    return [" ".join(part) for part in (sentences[:middle], sentences[middle:]) if part]


def _rewrite(text: str) -> str:
    """The same facts in another outlet's words: clauses turned around, common words replaced, asides dropped."""
    out = []
    for para in _paragraphs(text):
        sentences = []
        for sentence in _sentences(para):
            clauses = [c.strip() for c in sentence.rstrip(".").split(",") if c.strip()]
            clauses = clauses[1:] + clauses[:1] if len(clauses) > 1 else clauses
            words = " ".join(clauses).split()
            kept = [REWRITE.get(w.lower(), w) for w in words if w.lower() not in DROPPED]
            sentences.append(" ".join(kept) + ".")
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def build_stream(seed: int = 7) -> tuple[list[Doc], list[Doc]]:
    """The originals (in gold order) and the shuffled copies and distinct articles.

    Every other gold text is an original; the rest (and rewrites of them), cut in halves, are
    fresh material for the distinct articles, each half used once.
    """
    rng = random.Random(seed)
    gold = load_gold()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    pool = [g.record["text"] for i, g in enumerate(gold) if i % 2]
    originals = [Doc(g.doc_id, g.record["text"], start, None, "original") for i, g in enumerate(gold) if not i % 2]
    # Fresh material is used once: two articles sharing a body would be copies of each other.
    units = [half for text in [*pool, *map(_rewrite, pool)] for half in _halves(text)]
    rng.shuffle(units)
    later: list[Doc] = []
    for original in originals:
        when = original.published_at + timedelta(hours=2)
        for n, kinds in enumerate(VARIANT_KINDS):
            later.append(Doc(f"{original.doc_id}~copy{n}", syndicated_variant(original.text, kinds, rng), when, original.doc_id,
                             "+".join(kinds)))
        later.append(Doc(f"{original.doc_id}~rewrite", _rewrite(original.text), when, None, "distinct:rewrite"))
        if units:
            later.append(Doc(f"{original.doc_id}~follow-up", _follow_up(original.text, units.pop()), when, None,
                             "distinct:follow-up"))
        lead_words = len(_paragraphs(original.text)[0].split())
        body: list[str] = []
        while units and sum(len(u.split()) for u in body) < 2 * lead_words:
            body.append(units.pop())
        if body:
            later.append(Doc(f"{original.doc_id}~roundup", _roundup(original.text, body), when, None, "distinct:roundup"))
    rng.shuffle(later)
    return originals, later


@dataclass
class Outcome:
    """Counts for one configuration."""

    copies: int = 0
    right: int = 0
    wrong: int = 0  # detections that name the wrong article or flag a distinct one
    missed_by_kind: Counter[str] | None = None
    copies_by_kind: Counter[str] | None = None
    false_by_kind: Counter[str] | None = None

    @property
    def precision(self) -> float:
        """Right detections among all detections."""
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0

    @property
    def recall(self) -> float:
        """Copies found as copies of their original."""
        return self.right / self.copies if self.copies else 1.0


def run(dedup: Deduplicator, originals: list[Doc], later: list[Doc], signatures: dict[str, Signature]) -> Outcome:
    """Stream every document through find_duplicate and entries_for over a dict."""
    table: dict[str, IndexEntry] = {}
    outcome = Outcome(missed_by_kind=Counter(), copies_by_kind=Counter(), false_by_kind=Counter())
    assert outcome.missed_by_kind is not None and outcome.copies_by_kind is not None and outcome.false_by_kind is not None
    for doc in [*originals, *later]:
        signature = signatures[doc.doc_id]
        found = dedup.find_duplicate(doc.doc_id, doc.published_at, signature, table.get)
        if doc.expected is not None:
            outcome.copies += 1
            outcome.copies_by_kind[doc.kind] += 1
        # A copy matched to an earlier, missed copy of the same story is still a copy found.
        if found is not None and doc.expected is not None and found.split("~")[0] == doc.expected:
            outcome.right += 1
        elif found is not None:
            outcome.wrong += 1
            outcome.false_by_kind[doc.kind] += 1
        elif doc.expected is not None:
            outcome.missed_by_kind[doc.kind] += 1
        for key, entry in dedup.entries_for(doc.doc_id, doc.published_at, signature, original_id=found, lookup=table.get).items():
            table[key] = entry
    return outcome


def signatures_for(dedup: Deduplicator, docs: list[Doc]) -> dict[str, Signature]:
    """Every document's signature under this deduplicator."""
    return {doc.doc_id: dedup.signature(doc.text) for doc in docs}


def jaccard(a: str, b: str, size: int) -> float:
    """The exact Jaccard similarity of two texts' shingles."""
    x, y = shingles(a, size), shingles(b, size)
    return len(x & y) / len(x | y) if x | y else 1.0


def similarity_table(originals: list[Doc], later: list[Doc], size: int) -> None:
    """Exact Jaccard of each kind of document to its source text: where the threshold must fall."""
    text_of = {d.doc_id: d.text for d in originals}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for doc in later:
        by_kind[doc.kind].append(jaccard(doc.text, text_of[doc.doc_id.split("~")[0]], size))
    others = [jaccard(a.text, b.text, size) for i, a in enumerate(originals) for b in originals[i + 1 :]]
    print(f"exact Jaccard to the source text, word {size}-grams: min / median / max")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:42s} {min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}")
    print(f"  {'distinct gold pairs':42s} {min(others):.2f} / {statistics.median(others):.2f} / {max(others):.2f}")


def speed(dedup: Deduplicator, texts: list[str], runs: int) -> float:
    """Signatures per second over the originals (median of ``runs`` passes)."""
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in texts:
            dedup.signature(text)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _report(name: str, outcome: Outcome) -> str:
    counts = f"({outcome.right}/{outcome.copies}, {outcome.wrong} false)"
    return f"{name:38s} precision {outcome.precision:.3f}  recall {outcome.recall:.3f}  {counts}"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="compare shingle sizes, band layouts and thresholds")
    parser.add_argument("--runs", type=int, default=3, help="timed passes for signatures per second (default 3)")
    args = parser.parse_args()
    originals, later = build_stream()
    docs = [*originals, *later]
    print(f"{len(originals)} originals, {sum(d.expected is not None for d in later)} copies, "
          f"{sum(d.expected is None for d in later)} distinct articles")
    if args.sweep:
        for size in (3, 4, 5):
            similarity_table(originals, later, size)
            for num_perm, bands in ((128, 32), (128, 16), (64, 16), (256, 64)):
                base = Deduplicator(num_perm, bands, 1.0, shingle_size=size)
                sigs = signatures_for(base, docs)
                for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
                    dedup = Deduplicator(num_perm, bands, threshold, shingle_size=size)
                    outcome = run(dedup, originals, later, sigs)
                    print(_report(f"w{size} p{num_perm} b{bands} t{threshold}", outcome))
        return
    dedup = Deduplicator()
    print(repr(dedup))
    similarity_table(originals, later, DEFAULT_SHINGLE_SIZE)
    outcome = run(dedup, originals, later, signatures_for(dedup, docs))
    print(_report(f"defaults (w{DEFAULT_SHINGLE_SIZE} p{DEFAULT_NUM_PERM} b{DEFAULT_BANDS} t{DEFAULT_THRESHOLD})", outcome))
    assert outcome.copies_by_kind is not None and outcome.missed_by_kind is not None and outcome.false_by_kind is not None
    for kind, count in sorted(outcome.copies_by_kind.items()):
        print(f"  recall {kind:42s} {1 - outcome.missed_by_kind[kind] / count:.3f}")
    for kind, count in sorted(outcome.false_by_kind.items()):
        print(f"  false positives on {kind}: {count}")
    texts = [d.text for d in originals]
    words = statistics.median(len(t.split()) for t in texts)
    rate = speed(dedup, texts, args.runs)
    print(f"signatures per second: {rate:,.0f} (median text {words:.0f} words; {1000 / rate:.2f} ms each)")


if __name__ == "__main__":
    main()
