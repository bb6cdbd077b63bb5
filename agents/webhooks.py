"""Webhook delivery: subscriptions in a global table, alerts fanned out to signed POSTs, retries and dead letters.

How an alert travels::

    alerts.territorial --webhooks agent--> match subscriptions --> pending table (what is owed)
                                                        |
                                                        v
                               one queue + N sender tasks per subscription --POST--> receiver
                                       |            |                 |
                          retry timers (call_later) |                 `--> webhooks.deliveries (every attempt)
                                                    `--> articles.deadletter, stage "webhook" (given up or shed)

The agent only matches and enqueues; it never waits on a receiver. Each subscription has its own
bounded queue and its own sender tasks, so a slow or dead receiver fills its own queue and no
other. A failed attempt asks :class:`frontwire.webhooks.RetryPolicy` what to do and, for a retry,
schedules the delivery back onto its queue with ``loop.call_later``: nothing sleeps.

State in Kafka:

- ``webhook-subscriptions``: a GlobalTable (compacted changelog) keyed by subscription id, the
  value being ``Subscription.to_dict(include_secret=True)``. Every worker reads every partition,
  so every worker delivers to every subscription and sees a new one as soon as the changelog
  carries it; a restart reads it back. The secret must be stored to sign; it never leaves this
  table except in the response that created it.
- ``webhook-pending``: keyed by alert id, partitioned like the alerts topic: the alert, where it
  came from, and the attempts made so far for each subscription still owed it. Written when an
  alert is matched, rewritten (coalesced, every ``FLUSH_INTERVAL_S``) as deliveries finish, deleted
  when none is left. After a restart or a rebalance the worker that owns the partition resumes
  every delivery still listed, from the attempt count it last wrote.

Delivery is at least once: an attempt in flight when a worker stops is made again by whoever
resumes it, and the alert id (the ``webhook-id`` header) lets the receiver drop the copy.

Targets are checked by :func:`frontwire.subscriptions.check_target` at every connection, through
the HTTP client's resolver, so a name that later resolves into the operator's network (DNS
rebinding) is refused at the moment it would be used; redirects are never followed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult

from agents.deadletter import dead_letter_record
from agents.settings import Settings
from frontwire.subscriptions import InvalidSubscription, Subscription, UnsafeTarget, check_target, matches
from frontwire.webhooks import Decision, Outcome, RetryPolicy, delivery_record, webhook_request

if TYPE_CHECKING:
    import faust

    from agents.app import Pipeline

__all__ = [
    "FLUSH_INTERVAL_S",
    "PENDING_TABLE",
    "SUBSCRIPTIONS_TABLE",
    "Delivery",
    "Dispatcher",
    "SubscriptionCache",
    "WebhookConfig",
    "WebhookService",
    "WebhookUndeliverable",
    "register_webhooks",
    "subscriptions_table",
]

log = logging.getLogger("frontwire.webhooks")

SUBSCRIPTIONS_TABLE = "webhook-subscriptions"
PENDING_TABLE = "webhook-pending"
FLUSH_INTERVAL_S = 0.5  # how often finished deliveries are written to the pending table
_SHED_LOG_INTERVAL_S = 10.0  # one log line per subscription per interval while it sheds
_MAX_RESPONSE_BYTES = 64 * 1024  # the answer's body is read (to time the whole exchange) but not kept


class WebhookUndeliverable(Exception):
    """An alert that could not be delivered to a subscription: the dead-letter reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookConfig:
    """The delivery settings, checked once at start."""

    policy: RetryPolicy
    allow_private: bool  # True only in development and tests: receivers on localhost
    concurrency: int  # requests in flight at once per subscription
    queue_size: int  # deliveries a subscription may have outstanding; beyond it new ones are shed

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"FRONTWIRE_WEBHOOK_CONCURRENCY must be at least 1, not {self.concurrency}")
        if self.queue_size < 1:
            raise ValueError(f"FRONTWIRE_WEBHOOK_QUEUE_SIZE must be at least 1, not {self.queue_size}")

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        """The configuration the FRONTWIRE_WEBHOOK_* settings give; ValueError names a bad one."""
        if settings.webhook_allow_private not in (0, 1):
            raise ValueError(f"FRONTWIRE_WEBHOOK_ALLOW_PRIVATE must be 0 or 1, not {settings.webhook_allow_private}")
        try:
            policy = RetryPolicy(
                max_attempts=settings.webhook_max_attempts,
                base_delay_s=settings.webhook_base_delay_s,
                max_delay_s=settings.webhook_max_delay_s,
                timeout_s=settings.webhook_timeout_s,
            )
        except ValueError as exc:
            raise ValueError(f"FRONTWIRE_WEBHOOK_* settings: {exc}") from None
        return cls(
            policy=policy,
            allow_private=settings.webhook_allow_private == 1,
            concurrency=settings.webhook_concurrency,
            queue_size=settings.webhook_queue_size,
        )


@dataclass(slots=True, eq=False)
class Delivery:
    """One alert owed to one subscription, with the attempts made so far."""

    subscription_id: str
    alert: Mapping[str, Any]  # the alert's wire dict (schemas/alert.schema.json)
    alert_id: str
    origin: tuple[str, int, int]  # topic, partition, offset of the alert: where a dead letter points
    key: bytes | None  # the alert's message key (its place id), kept for the dead letter
    attempts: int = 0  # attempts already made, including those before a restart
    cancelled: bool = False  # set when the subscription is deleted or the partition moves to another worker


class SubscriptionCache:
    """Parsed subscriptions from the table's stored dicts, parsed again only when a stored dict changes."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self._table = table
        self._parsed: dict[str, tuple[Any, Subscription | None]] = {}

    def get(self, subscription_id: str) -> Subscription | None:
        """The subscription with this id, or None when there is none (deleted, or never stored)."""
        stored = self._table.get(subscription_id)
        if stored is None:
            self._parsed.pop(subscription_id, None)
            return None
        return self._parse(subscription_id, stored)

    def all(self) -> list[Subscription]:
        """Every valid subscription in the table."""
        out: list[Subscription] = []
        for subscription_id, stored in list(self._table.items()):
            parsed = self._parse(subscription_id, stored)
            if parsed is not None:
                out.append(parsed)
        if len(self._parsed) > len(out) + 64:  # drop what deleted subscriptions left behind
            live = {s.id for s in out}
            self._parsed = {k: v for k, v in self._parsed.items() if k in live}
        return out

    def _parse(self, subscription_id: str, stored: Any) -> Subscription | None:
        cached = self._parsed.get(subscription_id)
        # The same stored object, or an equal one read back from the changelog: no need to validate again.
        if cached is not None and (cached[0] is stored or cached[0] == stored):
            return cached[1]
        try:
            parsed: Subscription | None = Subscription.from_dict(stored)
        except InvalidSubscription as exc:
            # Written by hand or by another version: skip it, say so once per value.
            log.error("unreadable subscription id=%s reason=%s", subscription_id, exc)
            parsed = None
        self._parsed[subscription_id] = (stored, parsed)
        return parsed


class _UnsafeAddress(OSError):
    """Raised inside the HTTP client when a target name resolves to an address webhooks must not reach."""


class _CheckedResolver(AbstractResolver):
    """The system resolver, refusing names that resolve to non-public addresses (check_target's rules)."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """Resolve ``host`` and refuse it unless every address is public."""
        results = await self._inner.resolve(host, port, family)
        addresses = [r["host"] for r in results]
        try:
            check_target(f"http://{host}/", resolve=lambda _host: addresses, allow_private=self._allow_private)
        except UnsafeTarget as exc:
            raise _UnsafeAddress(exc.reason) from None
        return results

    async def close(self) -> None:
        """Release the resolver."""
        await self._inner.close()


@dataclass(slots=True, eq=False)
class _Target:
    """One subscription's queue and sender tasks."""

    subscription_id: str
    queue: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    outstanding: int = 0  # queued + in flight + waiting for a retry timer
    senders: list[asyncio.Task[None]] = field(default_factory=list)
    timers: set[asyncio.TimerHandle] = field(default_factory=set)
    shed: int = 0  # shed since the last log line
    shed_logged_at: float = float("-inf")


RecordSink = Callable[[str, dict[str, Any]], Any]  # (subscription id, delivery record); may return an awaitable
DeadLetterSink = Callable[[Delivery, str], Any]  # (delivery, reason); may return an awaitable
DoneCallback = Callable[[Delivery, bool], None]  # (delivery, finished for good); False = one more attempt made


class Dispatcher:
    """Bounded per-subscription queues, sender tasks and retry timers; knows nothing of Kafka.

    ``submit`` never blocks: it puts the delivery on its subscription's queue or sheds it (a dead
    letter and a log line) when the subscription already has ``queue_size`` outstanding. The
    ``record``, ``dead_letter`` and ``on_attempt`` callbacks say what happened; ``lookup`` gives the
    current subscription (None once deleted, which cancels what is left for it). Clock and
    randomness are parameters.
    """

    def __init__(
        self,
        config: WebhookConfig,
        *,
        lookup: Callable[[str], Subscription | None],
        record: RecordSink,
        dead_letter: DeadLetterSink,
        on_attempt: DoneCallback,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._lookup = lookup
        self._record = record
        self._dead_letter = dead_letter
        self._on_attempt = on_attempt
        self._rng = rng or random.Random()
        self._clock = clock
        self._targets: dict[str, _Target] = {}
        self._active: dict[tuple[str, str], Delivery] = {}  # (alert id, subscription id) -> delivery
        self._session: aiohttp.ClientSession | None = None
        self._stopped = False

    async def start(self) -> None:
        """Open the HTTP client: no redirects (per request), a timeout per attempt, checked addresses."""
        if self._session is not None:
            return
        connector = aiohttp.TCPConnector(
            limit=0,  # the per-subscription sender count is the bound
            resolver=_CheckedResolver(allow_private=self.config.allow_private),
            ttl_dns_cache=10,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.config.policy.timeout_s),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # a receiver's cookies must not follow us to the next one
        )
        self._stopped = False

    async def stop(self) -> None:
        """Cancel every sender and timer and close the client; undelivered work stays in the pending table."""
        self._stopped = True
        tasks: list[asyncio.Task[None]] = []
        for target in self._targets.values():
            for handle in target.timers:
                handle.cancel()
            tasks.extend(target.senders)
            for task in target.senders:
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._targets.clear()
        self._active.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def in_flight(self, alert_id: str, subscription_id: str) -> bool:
        """True while this alert is owed to this subscription here (queued, sending or waiting to retry)."""
        return (alert_id, subscription_id) in self._active

    def submit(self, delivery: Delivery) -> Literal["queued", "duplicate", "shed", "stopped"]:
        """Queue a delivery without waiting; say whether it was queued, already owed, shed, or refused (stopping)."""
        if self._stopped:
            return "stopped"
        slot = (delivery.alert_id, delivery.subscription_id)
        if slot in self._active:
            return "duplicate"  # the same alert again (a replay): the one already owed covers it
        target = self._target(delivery.subscription_id)
        if target.outstanding >= self.config.queue_size:
            self._shed(target, delivery)
            return "shed"
        self._active[slot] = delivery
        target.outstanding += 1
        target.queue.put_nowait(delivery)
        return "queued"

    def cancel(self, predicate: Callable[[Delivery], bool]) -> list[Delivery]:
        """Stop every owed delivery the predicate picks (a revoked partition, a deleted subscription)."""
        picked = [d for d in self._active.values() if predicate(d)]
        for delivery in picked:
            delivery.cancelled = True
            del self._active[(delivery.alert_id, delivery.subscription_id)]
        return picked

    def forget_subscription(self, subscription_id: str) -> list[Delivery]:
        """Cancel what is owed to a deleted subscription and stop its senders."""
        dropped = self.cancel(lambda d: d.subscription_id == subscription_id)
        target = self._targets.pop(subscription_id, None)
        if target is not None:
            for handle in target.timers:
                handle.cancel()
            for task in target.senders:
                task.cancel()
        return dropped

    def subscriptions_with_work(self) -> list[str]:
        """Ids of the subscriptions that have senders running here."""
        return list(self._targets)

    def outstanding(self) -> int:
        """Deliveries owed here: queued, in flight or waiting to retry."""
        return len(self._active)

    def _target(self, subscription_id: str) -> _Target:
        target = self._targets.get(subscription_id)
        if target is None:
            target = self._targets[subscription_id] = _Target(subscription_id)
            for index in range(self.config.concurrency):
                task = asyncio.get_running_loop().create_task(
                    self._sender(target), name=f"webhook-sender {subscription_id} {index}"
                )
                target.senders.append(task)
        return target

    def _shed(self, target: _Target, delivery: Delivery) -> None:
        target.shed += 1
        now = time.monotonic()
        if now - target.shed_logged_at >= _SHED_LOG_INTERVAL_S:
            log.warning(
                "webhook queue full, shedding subscription=%s queue_size=%d shed=%d",
                target.subscription_id, self.config.queue_size, target.shed,
            )
            target.shed_logged_at = now
            target.shed = 0
        reason = (
            f"shed: subscription {delivery.subscription_id} already had {self.config.queue_size} deliveries "
            "outstanding (FRONTWIRE_WEBHOOK_QUEUE_SIZE); its receiver is too slow or down"
        )
        result = self._dead_letter(delivery, reason)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            # submit() must not wait; the dead letter is sent in its own task, and a failure logged.
            asyncio.ensure_future(result).add_done_callback(_log_failure)

    async def _sender(self, target: _Target) -> None:
        while True:
            delivery = await target.queue.get()
            still_owed = False
            try:
                if delivery.cancelled:
                    continue
                subscription = self._lookup(delivery.subscription_id)
                if subscription is None:  # deleted since it was queued
                    self.cancel(lambda d: d.subscription_id == delivery.subscription_id)  # noqa: B023 -- used at once
                    continue
                still_owed = await self._attempt(target, subscription, delivery)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad delivery must not stop a subscription's sender
                log.exception("webhook sender failed subscription=%s alert=%s", delivery.subscription_id, delivery.alert_id)
                self._finish(delivery)
            finally:
                if not still_owed:
                    target.outstanding = max(0, target.outstanding - 1)

    async def _attempt(self, target: _Target, subscription: Subscription, delivery: Delivery) -> bool:
        """Make one attempt; True when a retry is scheduled (the delivery stays outstanding)."""
        assert self._session is not None, "Dispatcher.start() was not called"
        attempt = delivery.attempts + 1
        attempted_at = self._clock()
        status: int | None = None
        error: str | None = None
        retry_after: str | None = None
        started = time.perf_counter()
        decision: Decision | None = None
        try:
            _check_literal_target(subscription.url, allow_private=self.config.allow_private)
            request = webhook_request(subscription, delivery.alert, timestamp=int(attempted_at.timestamp()))
            async with self._session.post(
                request.url, data=request.body, headers=request.headers, allow_redirects=False
            ) as response:
                await response.content.read(_MAX_RESPONSE_BYTES)
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except UnsafeTarget as exc:
            error = f"unsafe target: {exc.reason}"
            decision = Decision(Outcome.DEAD_LETTER, f"{error}; webhooks go only to public hosts")
        except TimeoutError:
            error = f"timed out after {self.config.policy.timeout_s:g} s"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, _UnsafeAddress):
                error = f"unsafe target: {exc.os_error}"
                decision = Decision(Outcome.DEAD_LETTER, f"{error}; webhooks go only to public hosts")
            else:
                error = f"cannot connect: {exc.os_error.strerror or exc.os_error}"
        except (aiohttp.ClientError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency_ms = (time.perf_counter() - started) * 1000.0
        if decision is None:
            decision = self.config.policy.decide(
                attempt, status=status, error=error, retry_after=retry_after, rng=self._rng, now=self._clock()
            )
        delivery.attempts = attempt
        if delivery.cancelled:
            return False  # another worker owns it now, or the subscription is gone: the log is not ours to write
        record = delivery_record(
            subscription_id=delivery.subscription_id,
            alert_id=delivery.alert_id,
            attempt=attempt,
            attempted_at=attempted_at,
            status=status,
            latency_ms=latency_ms,
            error=error,
            decision=decision,
        )
        await _maybe_await(self._record(delivery.subscription_id, record))
        if decision.outcome is Outcome.RETRY:
            assert decision.delay_s is not None
            self._on_attempt(delivery, False)
            self._schedule(target, delivery, decision.delay_s)
            return True
        if decision.outcome is Outcome.DEAD_LETTER:
            await _maybe_await(self._dead_letter(delivery, decision.reason))
        self._finish(delivery)
        return False

    def _schedule(self, target: _Target, delivery: Delivery, delay_s: float) -> None:
        """Put the delivery back on its queue after ``delay_s``: a timer, so no task sleeps."""
        handle: asyncio.TimerHandle | None = None

        def due() -> None:
            if handle is not None:
                target.timers.discard(handle)
            if delivery.cancelled or self._stopped:
                target.outstanding = max(0, target.outstanding - 1)
                return
            target.queue.put_nowait(delivery)

        handle = asyncio.get_running_loop().call_later(delay_s, due)
        target.timers.add(handle)

    def _finish(self, delivery: Delivery) -> None:
        slot = (delivery.alert_id, delivery.subscription_id)
        if self._active.get(slot) is delivery:
            del self._active[slot]
        self._on_attempt(delivery, True)


async def _maybe_await(result: Any) -> None:
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        await result


def _check_literal_target(url: str, *, allow_private: bool) -> None:
    # A host given as an IP address never reaches the resolver, so it is checked here, every attempt.
    host = urlsplit(url).hostname or ""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return  # a name: _CheckedResolver checks what it resolves to
    check_target(url, resolve=lambda _host: [], allow_private=allow_private)


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("webhook bookkeeping failed: %r", task.exception())


# ---- Faust wiring ---------------------------------------------------------------------------

_REGISTERED: weakref.WeakKeyDictionary[Any, WebhookService] = weakref.WeakKeyDictionary()


def subscriptions_table(app: faust.App, settings: Settings) -> Any:
    """The subscriptions GlobalTable of ``app`` (declared on first use), keyed by subscription id."""
    if SUBSCRIPTIONS_TABLE in app.tables:
        return app.tables[SUBSCRIPTIONS_TABLE]
    return app.GlobalTable(
        SUBSCRIPTIONS_TABLE,
        partitions=settings.partitions,
        # Keys and values use the app's serializers (JSON). Written by the REST API, outside any
        # stream, so the producer's partitioner places each key.
        use_partitioner=True,
        help="Webhook subscriptions by id: Subscription.to_dict(include_secret=True).",
    )


class WebhookService:
    """The webhook agent and its state: subscriptions, what is owed, the dispatcher."""

    def __init__(self, pipeline: Pipeline) -> None:
        app, settings = pipeline.app, pipeline.settings
        self.app = app
        self.settings = settings
        self.config = WebhookConfig.from_settings(settings)
        self.subscriptions = subscriptions_table(app, settings)
        self.cache = SubscriptionCache(self.subscriptions)
        self.pending = app.Table(
            PENDING_TABLE,
            partitions=settings.partitions,
            help="Webhook deliveries still owed, by alert id: the alert and attempts made per subscription.",
        )
        self.alerts = app.topic(
            settings.topics.alerts, partitions=settings.partitions, key_serializer="raw", value_serializer="raw"
        )
        self.deliveries = app.topic(
            settings.topics.deliveries, partitions=settings.partitions, key_serializer="raw", value_serializer="orjson"
        )
        self.deadletter = pipeline.deadletter
        self.dispatcher = Dispatcher(
            self.config,
            lookup=self.cache.get,
            record=self._send_record,
            dead_letter=self._send_dead_letter,
            on_attempt=self._on_attempt,
        )
        # alert id -> (partition, {subscription id: attempts made}) for what this worker owes.
        self._owed: dict[str, tuple[int, dict[str, int]]] = {}
        self._entries: dict[str, dict[str, Any]] = {}  # alert id -> the pending entry minus its counts
        self._dirty: set[str] = set()
        self._register()

    # -- agent, tasks, signals

    def _register(self) -> None:
        app = self.app

        @app.agent(self.alerts, name="webhooks")
        async def webhooks(stream: faust.StreamT[Any]) -> None:
            async for event in stream.events():
                await self._on_alert(event)

        async def webhook_flusher() -> None:
            await self.dispatcher.start()
            while True:
                await asyncio.sleep(FLUSH_INTERVAL_S)
                self._flush()
                self._drop_deleted_subscriptions()

        app.task(webhook_flusher)

        @self.pending.on_recover
        async def resume() -> None:
            await self.dispatcher.start()
            self._resume()

        async def revoked(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
            tps = args[0] if args else kwargs.get("revoked", ())
            self._revoke({tp.partition for tp in tps if tp.topic == self.alerts.get_topic_name()})

        async def shutdown(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
            self._flush()
            await self.dispatcher.stop()

        # mode's signal types expect a plain callable; these coroutine receivers are what it awaits.
        app.on_partitions_revoked.connect(cast(Any, revoked))
        app.on_before_shutdown.connect(cast(Any, shutdown))

    async def _on_alert(self, event: Any) -> None:
        message = event.message
        try:
            alert = _alert_of(event.value)
        except ValueError as exc:
            record = dead_letter_record(
                error=exc, stage="webhook", received_at=datetime.now(UTC), original=event.value,
                topic=message.topic, partition=message.partition, offset=message.offset,
            )
            log.warning("dead letter stage=webhook partition=%d offset=%d reason=%s", message.partition, message.offset, exc)
            await self.deadletter.send(key=message.key, value=record)
            return
        alert_id = alert["alert_id"]
        chosen = [s.id for s in self.cache.all() if matches(s, alert)]
        if not chosen:
            return
        partition: int = message.partition
        owed = self._owed.get(alert_id)
        counts = owed[1] if owed is not None else {}
        for subscription_id in chosen:
            counts.setdefault(subscription_id, 0)
        entry = {
            "alert": alert,
            "key": None if message.key is None else bytes(message.key).decode("utf-8", "replace"),
            "topic": message.topic,
            "partition": partition,
            "offset": message.offset,
        }
        self._owed[alert_id] = (partition, counts)
        self._entries[alert_id] = entry
        # In the stream: the table writes its changelog to this alert's partition, which moves with it.
        self.pending[alert_id] = {**entry, "attempts": dict(counts)}
        self._dirty.discard(alert_id)
        for subscription_id in chosen:
            self._submit(alert_id, entry, subscription_id, counts[subscription_id])

    def _submit(self, alert_id: str, entry: Mapping[str, Any], subscription_id: str, attempts: int) -> None:
        key = entry.get("key")
        delivery = Delivery(
            subscription_id=subscription_id,
            alert=entry["alert"],
            alert_id=alert_id,
            origin=(entry["topic"], entry["partition"], entry["offset"]),
            key=None if key is None else str(key).encode(),
            attempts=attempts,
        )
        if self.dispatcher.submit(delivery) == "shed":
            self._on_attempt(delivery, True)  # a dead letter records it; nothing is owed any more

    # -- state of what is owed

    def _on_attempt(self, delivery: Delivery, final: bool) -> None:
        owed = self._owed.get(delivery.alert_id)
        if owed is None or delivery.cancelled:
            return
        counts = owed[1]
        if final:
            counts.pop(delivery.subscription_id, None)
        elif delivery.subscription_id in counts:
            counts[delivery.subscription_id] = delivery.attempts
        self._dirty.add(delivery.alert_id)

    def _flush(self) -> None:
        """Write what changed in the owed deliveries to the pending table, one write per alert."""
        for alert_id in list(self._dirty):
            owed = self._owed.get(alert_id)
            if owed is None:
                continue
            partition, counts = owed
            if counts:
                value = {**self._entries[alert_id], "attempts": dict(counts)}
                # Outside the stream the table cannot tell the partition, so it is named: the alert's.
                self.pending.data[alert_id] = value
                self.pending.send_changelog(partition, alert_id, value)
            else:
                self.pending.data.pop(alert_id, None)
                self.pending.send_changelog(partition, alert_id, None, value_serializer="raw")
                del self._owed[alert_id]
                self._entries.pop(alert_id, None)
        self._dirty.clear()

    def _resume(self) -> None:
        """Queue every delivery the pending table lists for the alert partitions this worker now owns."""
        changelog = self.pending.changelog_topic.get_topic_name()
        mine = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == changelog}
        resumed = 0
        for alert_id, value in list(self.pending.data.items()):
            if not isinstance(value, dict) or value.get("partition") not in mine:
                continue
            entry = {k: value[k] for k in ("alert", "key", "topic", "partition", "offset") if k in value}
            counts = {str(k): int(v) for k, v in dict(value.get("attempts", {})).items()}
            self._entries[alert_id] = entry
            owed = self._owed.setdefault(alert_id, (int(value["partition"]), counts))
            for subscription_id, attempts in counts.items():
                if self.dispatcher.in_flight(alert_id, subscription_id):
                    continue
                if self.cache.get(subscription_id) is None:
                    owed[1].pop(subscription_id, None)
                    self._dirty.add(alert_id)
                    continue
                owed[1].setdefault(subscription_id, attempts)
                self._submit(alert_id, entry, subscription_id, attempts)
                resumed += 1
            if not owed[1]:
                self._dirty.add(alert_id)
        if resumed:
            log.info("resumed webhook deliveries count=%d partitions=%s", resumed, sorted(mine))

    def _revoke(self, partitions: set[int]) -> None:
        """Stop the deliveries of partitions another worker takes over; it resumes them from the pending table."""
        if not partitions:
            return
        self._flush()
        dropped = self.dispatcher.cancel(lambda d: d.origin[1] in partitions)
        for alert_id in {d.alert_id for d in dropped} | {a for a, (p, _c) in self._owed.items() if p in partitions}:
            self._owed.pop(alert_id, None)
            self._entries.pop(alert_id, None)
            self._dirty.discard(alert_id)

    def _drop_deleted_subscriptions(self) -> None:
        for subscription_id in self.dispatcher.subscriptions_with_work():
            if self.cache.get(subscription_id) is None:
                dropped = self.dispatcher.forget_subscription(subscription_id)
                for delivery in dropped:
                    owed = self._owed.get(delivery.alert_id)
                    if owed is not None:
                        owed[1].pop(subscription_id, None)
                        self._dirty.add(delivery.alert_id)
                if dropped:
                    log.info("subscription deleted, dropped deliveries subscription=%s count=%d", subscription_id, len(dropped))

    # -- output

    async def _send_record(self, subscription_id: str, record: dict[str, Any]) -> None:
        await self.deliveries.send(key=subscription_id.encode(), value=record)

    async def _send_dead_letter(self, delivery: Delivery, reason: str) -> None:
        topic, partition, offset = delivery.origin
        error = WebhookUndeliverable(f"webhook {delivery.subscription_id}: {reason}")
        record = dead_letter_record(
            error=error,
            stage="webhook",
            received_at=datetime.now(UTC),
            original=orjson.dumps(delivery.alert, option=orjson.OPT_SORT_KEYS),
            topic=topic,
            partition=partition,
            offset=offset,
        )
        record.update(subscription_id=delivery.subscription_id, alert_id=delivery.alert_id, attempts=delivery.attempts)
        log.warning(
            "dead letter stage=webhook subscription=%s alert=%s attempts=%d reason=%s",
            delivery.subscription_id, delivery.alert_id, delivery.attempts, reason,
        )
        await self.deadletter.send(key=delivery.key, value=record)


def _alert_of(value: object) -> dict[str, Any]:
    """The alert dict of a raw alerts-topic value; ValueError says why it is not one."""
    if value is None:
        raise ValueError("the alert is a tombstone (no value)")
    try:
        alert = orjson.loads(value if isinstance(value, bytes | str) else bytes(value))  # type: ignore[call-overload]
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the alert is not valid JSON: {exc}") from None
    if not isinstance(alert, dict):
        raise ValueError(f"expected an alert object, got {type(alert).__name__}")
    alert_id = alert.get("alert_id")
    if not isinstance(alert_id, str) or not alert_id:
        raise ValueError("the alert has no alert_id")
    return alert


def register_webhooks(pipeline: Pipeline) -> WebhookService:
    """Add the webhook agent, its tables and topics to the pipeline's app (once; later calls return the same)."""
    existing = _REGISTERED.get(pipeline.app)
    if existing is not None:
        return existing
    service = WebhookService(pipeline)
    _REGISTERED[pipeline.app] = service
    return service

