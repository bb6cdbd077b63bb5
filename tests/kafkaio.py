"""Plain Kafka clients for tests: produce raw messages, read a topic back to a count."""

from __future__ import annotations

import time
from collections.abc import Iterable

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

__all__ = ["Record", "produce", "read_topic"]

Record = tuple[bytes | None, bytes | None]  # (key, value)


def produce(bootstrap: str, topic: str, records: Iterable[Record]) -> int:
    """Send every (key, value) to ``topic`` and wait until the broker has them all; return the count."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=32 * 1024 * 1024, linger_ms=5)
    futures = [producer.send(topic, key=key, value=value) for key, value in records]
    producer.flush()
    for future in futures:
        future.get(timeout=30)
    producer.close()
    return len(futures)


def read_topic(bootstrap: str, topic: str, *, count: int, timeout_s: float = 60.0) -> list[tuple[bytes | None, object]]:
    """Read ``topic`` from the beginning until ``count`` messages came or ``timeout_s`` passed.

    Values are decoded as JSON. Waits one more second after reaching the count, so a test sees
    it when there are more messages than expected.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, max_partition_fetch_bytes=32 * 1024 * 1024
    )
    deadline = time.monotonic() + timeout_s
    partitions: set[int] | None = None
    while not partitions and time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        time.sleep(0.1)
    assert partitions, f"topic {topic} does not exist"
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    out: list[tuple[bytes | None, object]] = []
    settle_until: float | None = None
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            out.extend((r.key, orjson.loads(r.value) if r.value is not None else None) for r in records)
        if len(out) >= count:
            settle_until = settle_until or time.monotonic() + 1.0
            if time.monotonic() >= settle_until:
                break
    consumer.close()
    return out
