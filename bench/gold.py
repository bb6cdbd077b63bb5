"""Load the gold corpus (tests/gold/*.jsonl) and run frontwire's enrichment on it, for the evaluations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from frontwire.enrich import Enricher
from frontwire.models import Article, EnrichedArticle

GOLD_DIR = Path(__file__).resolve().parents[1] / "tests" / "gold"


@dataclass(frozen=True)
class GoldDoc:
    """One labelled article."""

    doc_id: str
    split: str  # "dev" or "heldout"
    conflict: str
    record: dict[str, Any]

    def article(self) -> Article:
        """The raw article frontwire would receive for this document."""
        published = datetime.fromisoformat(self.record["published_at"]).replace(tzinfo=UTC)
        return Article(
            id=self.doc_id,
            url=self.record["url"],
            published_at=published,
            title=self.record.get("title"),
            text=self.record["text"],
            source=self.record.get("source"),
            language="en",
        )


def load_gold(directory: Path = GOLD_DIR) -> list[GoldDoc]:
    """Every gold document, in file order."""
    docs: list[GoldDoc] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = orjson.loads(line)
                docs.append(GoldDoc(record["doc_id"], record["split"], record["conflict"], record))
    return docs


def enriched(docs: list[GoldDoc]) -> Iterator[tuple[GoldDoc, EnrichedArticle]]:
    """Each document with what frontwire makes of it."""
    enricher = Enricher.shared()
    for doc in docs:
        yield doc, enricher.enrich(doc.article())
