"""The dead-letter record every stage writes when it rejects a message."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from frontwire.models import rfc3339

__all__ = ["MAX_ORIGINAL_BYTES", "dead_letter_record"]

# A 20 MB rejected message must not become a 27 MB dead letter the producer cannot send; the
# full original stays at topic/partition/offset for as long as the topic keeps it.
MAX_ORIGINAL_BYTES = 1024 * 1024


def dead_letter_record(
    *,
    error: Exception,
    stage: str,
    received_at: datetime,
    original: bytes | None,
    topic: str,
    partition: int,
    offset: int,
) -> dict[str, Any]:
    """The JSON record of schemas/dead-letter.schema.json for one rejected message."""
    kept = None if original is None else original[:MAX_ORIGINAL_BYTES]
    return {
        "error": str(error) or type(error).__name__,
        "error_type": type(error).__name__,
        "stage": stage,
        "received_at": rfc3339(received_at),
        "original": None if kept is None else base64.b64encode(kept).decode("ascii"),
        "original_size": 0 if original is None else len(original),
        "original_truncated": original is not None and len(original) > MAX_ORIGINAL_BYTES,
        "topic": topic,
        "partition": partition,
        "offset": offset,
    }
