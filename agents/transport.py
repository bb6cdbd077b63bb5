"""Faust's Kafka transport with end offsets taken from Fetch responses, not from ListOffsets.

Measured on the embedded broker (FACTS.md): ListOffsets(latest) answers the start of the last
record batch + 1 instead of the end, while the high watermark in a Fetch response is right.
Faust's table recovery reads a changelog up to ``Consumer.highwaters()``, which asks
ListOffsets, so after a restart a table silently misses the last batch of its updates
(tests/integration/test_table_recovery.py shows it). The fix lives where the number is made:
``highwaters()`` here fetches from each partition and keeps the larger of the two answers. On
Apache Kafka both answers agree and the extra fetch costs one round trip per recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import cast

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.types.transports import TransportT

__all__ = ["FrontwireApp", "fetch_highwaters"]


async def fetch_highwaters(
    bootstrap: str, listed: Mapping[TP, int], *, isolation_level: str = "read_uncommitted", timeout_s: float = 10.0
) -> dict[TP, int]:
    """The end offset of each partition as a Fetch response reports it (never below ``listed``)."""
    result = {tp: offset for tp, offset in listed.items()}
    if not listed:
        return result
    consumer = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level=isolation_level,
        max_partition_fetch_bytes=1,  # one batch is enough: only the watermark is wanted
    )
    await consumer.start()
    try:
        partitions = [aiokafka.TopicPartition(tp.topic, tp.partition) for tp in listed]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, max(listed[TP(tp.topic, tp.partition)] - 1, 0))
        pending = set(partitions)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while pending and asyncio.get_running_loop().time() < deadline:
            await consumer.getmany(*pending, timeout_ms=200, max_records=1)
            for tp in list(pending):
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    key = TP(tp.topic, tp.partition)
                    result[key] = max(result[key], highwater)
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return result


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        listed = await super()._highwaters(partitions)
        if self.consumer.in_transaction:
            return listed
        transport = cast(faust_aiokafka.Transport, self.transport)
        bootstrap = ",".join(faust_aiokafka.server_list(transport.url, transport.default_port))
        return await fetch_highwaters(bootstrap, listed)


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class FrontwireApp(faust.App):
    """faust.App on the transport above."""

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> TransportT:
        return _Transport(self.conf.broker_producer, self)


