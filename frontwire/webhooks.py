"""Webhook delivery, without the network: signing, the retry policy and the delivery record.

Signing follows the Standard Webhooks specification (https://www.standardwebhooks.com/,
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):

    webhook-id         the alert id: the same alert redelivered carries the same id, so a
                       receiver that remembers ids processes it once (DESIGN.md, delivery semantics)
    webhook-timestamp  integer seconds since the epoch, of this attempt (receivers reject old ones,
                       so every retry is signed anew)
    webhook-signature  "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), where key is
                       the base64-decoded part of the "whsec_" secret

The retry policy is exponential backoff with full jitter (Marc Brooker, "Exponential Backoff
And Jitter", AWS Architecture Blog, 2015): the n-th retry waits a uniformly random time in
``[0, min(max_delay_s, base_delay_s * 2 ** (n - 1))]``, so receivers that fail together are not
hit again together. A 429 or 503 with Retry-After (RFC 9110 section 10.2.3) waits what it asks,
capped by ``max_delay_s``. :meth:`RetryPolicy.decide` only decides; the delivery agent schedules
the retry so that a slow receiver never blocks the stream, and writes one
:func:`delivery_record` per attempt on ``webhooks.deliveries``
(``schemas/webhook-delivery.schema.json``). The last failed attempt's record says
``dead_letter``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import orjson

from frontwire.subscriptions import Subscription, secret_key

__all__ = [
    "USER_AGENT",
    "Decision",
    "InvalidSignature",
    "Outcome",
    "RetryPolicy",
    "WebhookRequest",
    "delivery_record",
    "sign",
    "verify",
    "webhook_request",
]

USER_AGENT = "frontwire-webhooks/0.1"
_MAX_ERROR_CHARS = 1000  # an error message longer than this is a stack dump, not a reason
_MAX_EXPONENT = 62  # 2 ** 62 seconds is beyond any cap; keeps the arithmetic finite
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, no CR/LF to split a header
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit, which also takes "²" and other digits int() refuses
_FOREVER_S = 10**9  # a Retry-After beyond 30 years is read as this, so the float stays finite


class InvalidSignature(ValueError):
    """Headers that do not carry a valid, fresh Standard Webhooks signature for the body."""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One signed POST, ready for an HTTP client: send ``body`` as is, it is what was signed."""

    url: str
    headers: dict[str, str]
    body: bytes


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed with the ``whsec_`` secret."""
    if not _HEADER_SAFE.fullmatch(msg_id):
        raise ValueError(f"a webhook id must be non-empty visible ASCII without spaces, got {msg_id!r}")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError(f"timestamp must be a non-negative integer of seconds, got {timestamp!r}")
    key = secret_key(secret)
    if not key:
        raise ValueError("the secret is empty")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + _signature(key, msg_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: int, tolerance_s: int = 300) -> None:
    """Raise InvalidSignature unless the headers sign ``body`` with ``secret`` within ``tolerance_s`` of ``now``.

    What a receiver does (and what the Standard Webhooks libraries do): any of the space-separated
    ``v1`` signatures may match, which is how a secret is rotated; the timestamp must lie within
    five minutes of the receiver's clock by default, which bounds replays.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id")
    raw_timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (msg_id and raw_timestamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    if not _DIGITS.fullmatch(raw_timestamp) or len(raw_timestamp) > 12:
        raise InvalidSignature(f"webhook-timestamp {raw_timestamp!r} is not integer seconds")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature(f"webhook-timestamp is {now - timestamp} s from now; the tolerance is {tolerance_s} s")
    expected = base64.b64decode(_signature(secret_key(secret), msg_id, timestamp, body))
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(expected, given):
            return
    raise InvalidSignature("no signature matches the body")


def webhook_request(subscription: Subscription, alert: Mapping[str, Any], *, timestamp: int) -> WebhookRequest:
    """The signed POST of one alert to one subscription, at ``timestamp`` (the attempt's, in seconds).

    The body is the alert's JSON with sorted keys, so every attempt sends the same bytes; the
    webhook id is the alert id, the receiver's idempotency key.
    """
    alert_id = alert.get("alert_id")
    if not isinstance(alert_id, str) or not alert_id:
        raise ValueError("the alert has no alert_id to use as the webhook id")
    body = orjson.dumps(alert, option=orjson.OPT_SORT_KEYS)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **sign(subscription.secret, alert_id, timestamp, body),
    }
    return WebhookRequest(url=subscription.url, headers=headers, body=body)


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii")


class Outcome(StrEnum):
    """What became of one delivery attempt; the values are the wire format."""

    DELIVERED = "delivered"  # the receiver answered 2xx: done
    RETRY = "retry"  # failed, try again after Decision.delay_s
    DEAD_LETTER = "dead_letter"  # failed for good: a permanent error or the last attempt


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after an attempt, and why, in words for the delivery log."""

    outcome: Outcome
    reason: str
    delay_s: float | None = None  # seconds until the next attempt; set only for RETRY

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.RETRY) != (self.delay_s is not None):
            raise ValueError("delay_s is set exactly when the outcome is retry")
        if self.delay_s is not None and not (math.isfinite(self.delay_s) and self.delay_s >= 0):
            raise ValueError(f"delay_s must be a finite number of seconds >= 0, got {self.delay_s!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently to deliver one alert to one subscription.

    Suggested settings (agents/settings.py): FRONTWIRE_WEBHOOK_MAX_ATTEMPTS (8),
    FRONTWIRE_WEBHOOK_BASE_DELAY_S (1), FRONTWIRE_WEBHOOK_MAX_DELAY_S (300),
    FRONTWIRE_WEBHOOK_TIMEOUT_S (10). With the defaults the eight attempts span at most
    1 + 2 + ... + 64 = 127 s of backoff plus Retry-After waits: an alert is news for minutes, not days.
    """

    max_attempts: int = 8  # attempts in all, the first included; 1 means never retry
    base_delay_s: float = 1.0  # ceiling of the first retry's random wait; doubles per retry
    max_delay_s: float = 300.0  # no wait is longer, Retry-After included
    timeout_s: float = 10.0  # per attempt, connect to last body byte; then it counts as a network error

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer of at least 1, got {self.max_attempts!r}")
        for name in ("base_delay_s", "max_delay_s", "timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")
        if self.max_delay_s < self.base_delay_s:
            raise ValueError(f"max_delay_s ({self.max_delay_s}) must be at least base_delay_s ({self.base_delay_s})")

    def backoff_ceiling_s(self, attempt: int) -> float:
        """The longest wait after failed attempt number ``attempt`` (1-based): base * 2**(attempt-1), capped."""
        exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
        return min(self.max_delay_s, self.base_delay_s * 2.0**exponent)

    def decide(
        self,
        attempt: int,
        *,
        status: int | None,
        error: str | None,
        retry_after: str | None,
        rng: random.Random,
        now: datetime,
    ) -> Decision:
        """Delivered, retry after N seconds, or dead letter, after attempt number ``attempt`` (1-based).

        Give exactly one of ``status`` (the HTTP status, when a response arrived) and ``error``
        (what went wrong when none did: refused connection, DNS failure, timeout). ``retry_after``
        is the response's Retry-After header, read only on 429 and 503; ``now`` turns its
        HTTP-date form into seconds. 2xx is done; network errors, 408, 429 and 5xx are retried;
        3xx (redirects are not followed: a redirect could point inside the network) and any other
        4xx end the delivery, since sending the same request again cannot help.
        """
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            raise ValueError(f"attempt is 1-based, got {attempt!r}")
        if (status is None) == (error is None):
            raise ValueError("give exactly one of status (a response arrived) and error (none did)")
        if status is not None and not 100 <= status <= 599:
            raise ValueError(f"{status} is not an HTTP status")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

        if error is not None:
            return self._retry(attempt, f"no response: {_truncate(error)}", rng)
        assert status is not None  # for mypy: exactly one of the two is set
        if 200 <= status <= 299:
            return Decision(Outcome.DELIVERED, f"HTTP {status}")
        if status in (429, 503):
            wait = _retry_after_s(retry_after, now)
            if wait is not None:
                capped = min(wait, self.max_delay_s)
                note = f"HTTP {status}, Retry-After {_truncate(str(retry_after).strip(), 80)}"
                if capped < wait:
                    note += f" (capped at {self.max_delay_s:g} s)"
                return self._retry(attempt, note, rng, delay_s=capped)
            return self._retry(attempt, f"HTTP {status}", rng)
        if status == 408 or status >= 500 or status < 200:
            return self._retry(attempt, f"HTTP {status}", rng)
        if 300 <= status <= 399:
            return Decision(
                Outcome.DEAD_LETTER, f"HTTP {status}: redirects are not followed; the subscription's URL needs updating"
            )
        return Decision(Outcome.DEAD_LETTER, f"HTTP {status}: the receiver refused the request; retrying cannot help")

    def _retry(self, attempt: int, why: str, rng: random.Random, *, delay_s: float | None = None) -> Decision:
        if attempt >= self.max_attempts:
            return Decision(Outcome.DEAD_LETTER, f"{why}; gave up after {attempt} attempts")
        if delay_s is None:
            delay_s = rng.uniform(0.0, self.backoff_ceiling_s(attempt))
        return Decision(Outcome.RETRY, why, delay_s=delay_s)


def _retry_after_s(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date), or None when it is neither."""
    if value is None:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return float(min(int(value), _FOREVER_S))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def delivery_record(
    *,
    subscription_id: str,
    alert_id: str,
    attempt: int,
    attempted_at: datetime,
    status: int | None,
    latency_ms: float | None,
    error: str | None,
    decision: Decision,
) -> dict[str, Any]:
    """One attempt's entry on webhooks.deliveries (schemas/webhook-delivery.schema.json); never the secret or URL.

    The URL stays out too: some receivers put a token in it, and the subscription id finds it.
    """
    if attempt < 1:
        raise ValueError(f"attempt is 1-based, got {attempt}")
    if latency_ms is not None and not (math.isfinite(latency_ms) and latency_ms >= 0):
        raise ValueError(f"latency_ms must be a finite number >= 0, got {latency_ms!r}")
    if attempted_at.tzinfo is None:
        raise ValueError("attempted_at must be timezone-aware")
    return {
        "subscription_id": subscription_id,
        "alert_id": alert_id,
        "attempt": attempt,
        "attempted_at": attempted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "status": status,
        "latency_ms": None if latency_ms is None else round(latency_ms, 3),
        "error": None if error is None else _truncate(error),
        "outcome": decision.outcome.value,
        "reason": decision.reason,
        "retry_in_s": None if decision.delay_s is None else round(decision.delay_s, 3),
    }


def _truncate(text: str, limit: int = _MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
