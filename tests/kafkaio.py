"""Test helpers over agents.kafkaio: produce raw messages, read a topic back to a count."""

from __future__ import annotations

import time
from collections.abc import Iterable

import orjson

from agents.kafkaio import iter_topic
from agents.kafkaio import produce as produce_messages

__all__ = ["produce", "read_topic"]


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]) -> int:
    """Send every (key, value) to ``topic`` and wait until the broker has them all; return the count."""
    sent, errors = produce_messages(bootstrap, topic, records)
    assert not errors, errors
    return sent


def read_topic(bootstrap: str, topic: str, *, count: int, timeout_s: float = 60.0) -> list[tuple[bytes | None, object]]:
    """Read ``topic`` from the beginning until it holds ``count`` messages or ``timeout_s`` passed.

    Values are decoded as JSON. Each pass reads until the topic has been quiet for a second, so a
    test also sees it when there are more messages than expected.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        out = [
            (m.key, orjson.loads(m.value) if m.value is not None else None)
            for m in iter_topic(bootstrap, topic, idle_timeout_s=1.0)
        ]
        if len(out) >= count or time.monotonic() > deadline:
            return out
        time.sleep(0.5)
