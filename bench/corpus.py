"""A syndicated news stream built from the gold corpus's real texts, for load, crash and scale tests.

Each gold article appears as its original and as copies other outlets ran (another headline,
a byline, a footer, a trimmed or an extra paragraph: bench/dedup_bench.py's variants), published
over the following days. Deterministic for a given seed, so two runs see the same stream.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.dedup_bench import VARIANT_KINDS, syndicated_variant
from bench.gold import load_gold

__all__ = ["gold_articles", "syndicated_stream"]

OUTLETS = [f"{name}.example" for name in (
    "wire", "herald", "tribune", "courier", "gazette", "post", "times", "chronicle", "observer", "monitor",
    "journal", "dispatch", "ledger", "sentinel", "express", "star", "record", "review", "bulletin", "echo",
)]


def gold_articles() -> list[dict[str, Any]]:
    """Every gold text as the raw article its outlet would have sent (published at 06:00 UTC that day)."""
    return [
        {
            "id": doc.doc_id,
            "url": doc.record["url"],
            "source": doc.record["source"],
            "title": doc.record.get("title"),
            "text": doc.record["text"],
            "published_at": datetime.fromisoformat(doc.record["published_at"]).replace(tzinfo=UTC, hour=6).isoformat(),
        }
        for doc in load_gold()
    ]


def syndicated_stream(count: int, *, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` raw articles: every gold original, then copies of them, in publication order."""
    rng = random.Random(seed)
    originals = gold_articles()
    articles = list(originals)
    copy_number = 0
    while len(articles) < count:
        original = originals[copy_number % len(originals)]
        outlet = OUTLETS[(copy_number // len(originals)) % len(OUTLETS)]
        copy_number += 1
        kinds = VARIANT_KINDS[rng.randrange(len(VARIANT_KINDS))]
        published = datetime.fromisoformat(original["published_at"]) + timedelta(hours=rng.randrange(1, 96))
        articles.append({
            "id": f"{original['id']}-{outlet}",
            "url": f"https://{outlet}/{original['id']}",
            "source": outlet,
            "title": None,
            "text": syndicated_variant(original["text"], kinds, rng),
            "published_at": published.isoformat(),
        })
    # A copy may arrive before its original; the stream is ordered by publication time only.
    return sorted(articles[:count], key=lambda a: (a["published_at"], a["id"]))
