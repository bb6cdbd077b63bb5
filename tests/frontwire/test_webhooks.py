"""Webhook signing (Standard Webhooks), the retry policy and the delivery record."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from standardwebhooks import Webhook, WebhookVerificationError

from frontwire.schemas import load_schema, schema_registry
from frontwire.subscriptions import InvalidSubscription, subscription_from_request
from frontwire.webhooks import (
    USER_AGENT,
    Decision,
    InvalidSignature,
    Outcome,
    RetryPolicy,
    delivery_record,
    sign,
    verify,
    webhook_request,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
# The example secret of the Svix / Standard Webhooks documentation.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"alert_id":"alert-5f1c0e","kind":"new","place":{"name":"Deir ez-Zor"}}'


def rng(seed: int = 0) -> random.Random:
    return random.Random(seed)


# --- signing -------------------------------------------------------------------------------------


def test_headers_follow_the_standard_webhooks_spec() -> None:
    headers = sign(SPEC_SECRET, "alert-5f1c0e", TS, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "alert-5f1c0e"
    assert headers["webhook-timestamp"] == str(TS)
    key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"alert-5f1c0e.{TS}.".encode() + BODY, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()


def test_the_spec_example_signature_is_reproduced() -> None:
    # The worked example of the Svix / Standard Webhooks documentation: secret, id, timestamp, payload, signature.
    headers = sign(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("seed", range(5))
def test_signatures_agree_byte_for_byte_with_the_standardwebhooks_library(seed: int) -> None:
    random_source = rng(seed)
    secret = "whsec_" + base64.b64encode(random_source.randbytes(32)).decode()
    msg_id = f"alert-{random_source.getrandbits(64):016x}"
    timestamp = random_source.randrange(1_500_000_000, 2_000_000_000)
    # Non-ASCII text: the body is signed as UTF-8 bytes, exactly as sent.
    sentence = "Dayr az-Zawr \u2014 \u062f\u064a\u0631 \u0627\u0644\u0632\u0648\u0631"
    body = orjson.dumps({"alert_id": msg_id, "evidence": {"sentence": sentence}})
    theirs = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode())
    assert sign(secret, msg_id, timestamp, body)["webhook-signature"] == theirs


def test_the_standardwebhooks_library_verifies_our_headers() -> None:
    # The library checks the timestamp against its own clock, so this one test signs at the real time.
    now = int(time.time())
    headers = sign(SPEC_SECRET, "alert-5f1c0e", now, BODY)
    assert Webhook(SPEC_SECRET).verify(BODY, headers) == orjson.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(SPEC_SECRET).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another key, 24+ bytes long").decode()).verify(BODY, headers)


def test_our_verify_accepts_our_signature_and_refuses_changes() -> None:
    headers = sign(SPEC_SECRET, "alert-5f1c0e", TS, BODY)
    verify(SPEC_SECRET, headers, BODY, now=TS + 299)
    verify(SPEC_SECRET, {k.upper(): v for k, v in headers.items()}, BODY, now=TS)  # header names are case-insensitive
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SPEC_SECRET, headers, BODY.replace(b"new", b"old"), now=TS)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SPEC_SECRET, {**headers, "webhook-id": "alert-other"}, BODY, now=TS)
    with pytest.raises(InvalidSignature, match="tolerance is 300 s"):
        verify(SPEC_SECRET, headers, BODY, now=TS + 301)
    with pytest.raises(InvalidSignature, match="tolerance is 300 s"):
        verify(SPEC_SECRET, headers, BODY, now=TS - 301)
    with pytest.raises(InvalidSignature, match="missing"):
        verify(SPEC_SECRET, {"webhook-id": "a"}, BODY, now=TS)
    for bad in ("1e9", "\u00b2", "-5", "9" * 40):
        with pytest.raises(InvalidSignature, match="not integer seconds"):
            verify(SPEC_SECRET, {**headers, "webhook-timestamp": bad}, BODY, now=TS)


def test_verify_accepts_any_of_several_signatures_for_secret_rotation() -> None:
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    new_sig = sign(SPEC_SECRET, "alert-1", TS, BODY)["webhook-signature"]
    old_sig = sign(old, "alert-1", TS, BODY)["webhook-signature"]
    headers = {"webhook-id": "alert-1", "webhook-timestamp": str(TS), "webhook-signature": f"v2,xyz v1,!!! {old_sig} {new_sig}"}
    verify(SPEC_SECRET, headers, BODY, now=TS)
    verify(old, headers, BODY, now=TS)


@pytest.mark.parametrize(
    ("secret", "msg_id", "timestamp", "error", "message"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a", TS, InvalidSubscription, "whsec_"),
        ("whsec_not base64!", "a", TS, InvalidSubscription, "not valid base64"),
        ("whsec_", "a", TS, ValueError, "the secret is empty"),
        (SPEC_SECRET, "", TS, ValueError, "webhook id"),
        (SPEC_SECRET, "alert 1", TS, ValueError, "webhook id"),
        (SPEC_SECRET, "alert\r\nX-Injected: 1", TS, ValueError, "webhook id"),
        (SPEC_SECRET, "a", -1, ValueError, "non-negative integer"),
        (SPEC_SECRET, "a", 1.5, ValueError, "non-negative integer"),
        (SPEC_SECRET, "a", True, ValueError, "non-negative integer"),
    ],
)
def test_sign_refuses_what_would_make_a_bad_header(secret: str, msg_id: str, timestamp: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        sign(secret, msg_id, timestamp, BODY)


def test_a_webhook_request_carries_the_alert_signed_with_the_subscription_secret() -> None:
    random_source = rng(3)
    sub = subscription_from_request(
        {"url": "https://hooks.example.org/in"}, now=NOW, make_secret=random_source.randbytes, make_id=random_source.randbytes
    )
    alert = {"kind": "new", "alert_id": "alert-5f1c0e", "place": {"name": "Deir ez-Zor", "country": "SY"}}
    request = webhook_request(sub, alert, timestamp=TS)
    assert request.url == "https://hooks.example.org/in"
    assert orjson.loads(request.body) == alert
    assert request.body == webhook_request(sub, dict(reversed(alert.items())), timestamp=TS + 60).body  # same bytes every try
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["webhook-id"] == "alert-5f1c0e"  # the idempotency key
    verify(sub.secret, request.headers, request.body, now=TS)
    assert sub.secret not in repr(request)
    with pytest.raises(ValueError, match="no alert_id"):
        webhook_request(sub, {"kind": "new"}, timestamp=TS)


# --- retry policy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be an integer of at least 1"),
        ({"max_attempts": 2.0}, "max_attempts must be an integer"),
        ({"max_attempts": True}, "max_attempts must be an integer"),
        ({"base_delay_s": 0}, "base_delay_s must be a positive, finite number"),
        ({"base_delay_s": -1.0}, "base_delay_s must be a positive"),
        ({"max_delay_s": float("inf")}, "max_delay_s must be a positive, finite"),
        ({"timeout_s": float("nan")}, "timeout_s must be a positive, finite"),
        ({"timeout_s": "10"}, "timeout_s must be a positive"),
        ({"base_delay_s": 10, "max_delay_s": 5}, r"max_delay_s \(5\) must be at least base_delay_s \(10\)"),
    ],
)
def test_a_retry_policy_is_checked_when_made(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**settings)


def test_the_default_policy_is_valid_and_keyword_only() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_delay_s, policy.max_delay_s, policy.timeout_s) == (8, 1.0, 300.0, 10.0)
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg]  # keyword-only on purpose


def decide(policy: RetryPolicy, attempt: int = 1, seed: int = 0, **outcome: Any) -> Decision:
    outcome.setdefault("status", None)
    outcome.setdefault("error", None)
    outcome.setdefault("retry_after", None)
    return policy.decide(attempt, rng=rng(seed), now=NOW, **outcome)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    decision = decide(RetryPolicy(), status=status)
    assert decision == Decision(Outcome.DELIVERED, f"HTTP {status}")


@pytest.mark.parametrize(
    "outcome",
    [
        {"error": "connection refused"},
        {"error": "timeout after 10 s"},
        {"error": "DNS: no such host"},
        {"status": 500},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"status": 408},
        {"status": 429},
    ],
)
def test_network_errors_timeouts_and_server_errors_are_retried(outcome: dict[str, Any]) -> None:
    decision = decide(RetryPolicy(), **outcome)
    assert decision.outcome is Outcome.RETRY
    assert decision.delay_s is not None and 0 <= decision.delay_s <= 1.0
    assert decision.reason == (f"HTTP {outcome['status']}" if "status" in outcome else f"no response: {outcome['error']}")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 413, 422])
def test_other_4xx_end_the_delivery(status: int) -> None:
    decision = decide(RetryPolicy(), status=status, retry_after="5")
    assert decision.outcome is Outcome.DEAD_LETTER and decision.delay_s is None
    assert decision.reason.startswith(f"HTTP {status}: the receiver refused the request")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed_and_end_the_delivery(status: int) -> None:
    decision = decide(RetryPolicy(), status=status)
    assert decision.outcome is Outcome.DEAD_LETTER
    assert "redirects are not followed" in decision.reason


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=100, base_delay_s=2.0, max_delay_s=60.0)
    assert [policy.backoff_ceiling_s(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert policy.backoff_ceiling_s(10_000) == 60  # no overflow on absurd attempt numbers
    for attempt in range(1, 8):
        delays = [decide(policy, attempt, seed, status=500).delay_s for seed in range(300)]
        assert all(d is not None and 0 <= d <= policy.backoff_ceiling_s(attempt) for d in delays)
        # Full jitter: spread over the whole range, not bunched at the ceiling.
        values = [d for d in delays if d is not None]
        assert min(values) < 0.1 * policy.backoff_ceiling_s(attempt) and max(values) > 0.9 * policy.backoff_ceiling_s(attempt)


def test_the_jitter_comes_from_the_given_rng() -> None:
    policy = RetryPolicy()
    assert decide(policy, 4, seed=11, status=500) == decide(policy, 4, seed=11, status=500)
    assert decide(policy, 4, seed=11, status=500) != decide(policy, 4, seed=12, status=500)


def test_give_up_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert decide(policy, 1, error="timeout").outcome is Outcome.RETRY
    assert decide(policy, 2, error="timeout").outcome is Outcome.RETRY
    last = decide(policy, 3, error="timeout")
    assert last == Decision(Outcome.DEAD_LETTER, "no response: timeout; gave up after 3 attempts")
    assert decide(policy, 3, status=429, retry_after="1").outcome is Outcome.DEAD_LETTER
    assert decide(policy, 3, status=200).outcome is Outcome.DELIVERED  # the last try can still succeed
    assert decide(RetryPolicy(max_attempts=1), 1, status=503).outcome is Outcome.DEAD_LETTER


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_respected_on_429_and_503(status: int) -> None:
    decision = decide(RetryPolicy(), status=status, retry_after="120")
    assert decision == Decision(Outcome.RETRY, f"HTTP {status}, Retry-After 120", delay_s=120.0)
    assert decide(RetryPolicy(), status=status, retry_after=" 0 ").delay_s == 0.0


def test_retry_after_as_an_http_date_is_respected() -> None:
    in_90_s = format_datetime(NOW + timedelta(seconds=90), usegmt=True)  # "Tue, 24 Nov 2026 12:01:30 GMT"
    assert decide(RetryPolicy(), status=503, retry_after=in_90_s).delay_s == 90.0
    past = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert decide(RetryPolicy(), status=429, retry_after=past).delay_s == 0.0
    assert decide(RetryPolicy(), status=429, retry_after="Tue, 24 Nov 2026 12:00:30 -0000").delay_s == 30.0


def test_retry_after_is_capped_by_max_delay() -> None:
    decision = decide(RetryPolicy(max_delay_s=60), status=429, retry_after="86400")
    assert decision.delay_s == 60.0
    assert decision.reason == "HTTP 429, Retry-After 86400 (capped at 60 s)"
    assert decide(RetryPolicy(max_delay_s=60), status=429, retry_after="9" * 400).delay_s == 60.0
    tomorrow = format_datetime(NOW + timedelta(days=1), usegmt=True)
    assert decide(RetryPolicy(max_delay_s=60), status=503, retry_after=tomorrow).delay_s == 60.0


@pytest.mark.parametrize(
    "retry_after", [None, "", "soon", "-5", "1.5", "\u00b2", "Blursday, 99 Nov 2026", "Tue, 24 Nov 99999 12:00:00 GMT"]
)
def test_an_absent_or_unreadable_retry_after_falls_back_to_backoff(retry_after: str | None) -> None:
    decision = decide(RetryPolicy(base_delay_s=4), status=503, retry_after=retry_after)
    assert decision.outcome is Outcome.RETRY and decision.reason == "HTTP 503"
    assert decision.delay_s is not None and 0 <= decision.delay_s <= 4


def test_retry_after_is_ignored_on_other_statuses() -> None:
    decision = decide(RetryPolicy(base_delay_s=1), status=500, retry_after="3600")
    assert decision.reason == "HTTP 500" and decision.delay_s is not None and decision.delay_s <= 1


@pytest.mark.parametrize(
    ("attempt", "outcome", "message"),
    [
        (0, {"status": 200}, "attempt is 1-based"),
        (1, {}, "exactly one of status"),
        (1, {"status": 500, "error": "timeout"}, "exactly one of status"),
        (1, {"status": 700}, "not an HTTP status"),
        (1, {"status": 42}, "not an HTTP status"),
    ],
)
def test_decide_refuses_impossible_inputs(attempt: int, outcome: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decide(RetryPolicy(), attempt, **outcome)


def test_decide_needs_an_aware_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RetryPolicy().decide(1, status=503, error=None, retry_after="5", rng=rng(), now=datetime(2026, 11, 24))


def test_a_decision_has_a_delay_exactly_when_it_retries() -> None:
    with pytest.raises(ValueError, match="delay_s is set exactly when"):
        Decision(Outcome.RETRY, "HTTP 500")
    with pytest.raises(ValueError, match="delay_s is set exactly when"):
        Decision(Outcome.DELIVERED, "HTTP 200", delay_s=1.0)
    with pytest.raises(ValueError, match="finite number of seconds"):
        Decision(Outcome.RETRY, "HTTP 500", delay_s=-1.0)


def test_a_long_error_is_cut_in_the_reason() -> None:
    decision = decide(RetryPolicy(), error="x" * 5000)
    assert len(decision.reason) < 1100 and decision.reason.endswith("…")


# --- delivery record -----------------------------------------------------------------------------


def record_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("webhook-delivery"), registry=schema_registry())


SUB_ID = "sub_" + "ab" * 16


def record(decision: Decision, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "subscription_id": SUB_ID,
        "alert_id": "alert-5f1c0e",
        "attempt": 1,
        "attempted_at": NOW,
        "status": 200,
        "latency_ms": 41.25,
        "error": None,
        "decision": decision,
    }
    values.update(changes)
    return delivery_record(**values)


def test_a_delivered_attempt_is_recorded() -> None:
    document = record(Decision(Outcome.DELIVERED, "HTTP 200"))
    assert document == {
        "subscription_id": SUB_ID,
        "alert_id": "alert-5f1c0e",
        "attempt": 1,
        "attempted_at": "2026-11-24T12:00:00Z",
        "status": 200,
        "latency_ms": 41.25,
        "error": None,
        "outcome": "delivered",
        "reason": "HTTP 200",
        "retry_in_s": None,
    }
    record_validator().validate(document)


def test_every_decision_gives_a_valid_record() -> None:
    policy = RetryPolicy(max_attempts=3)
    cases: list[tuple[int, dict[str, Any]]] = [
        (1, {"status": 200}),
        (1, {"status": 503, "retry_after": "30"}),
        (2, {"error": "connection reset by peer"}),
        (3, {"error": "timeout after 10 s"}),
        (1, {"status": 404}),
        (1, {"error": "e" * 5000}),
    ]
    for attempt, outcome in cases:
        decision = decide(policy, attempt, **outcome)
        document = record(
            decision,
            attempt=attempt,
            status=outcome.get("status"),
            error=outcome.get("error"),
            latency_ms=None if "error" in outcome else 12.0,
        )
        record_validator().validate(document)
        assert document["outcome"] == decision.outcome.value
        assert (document["retry_in_s"] is None) == (decision.outcome is not Outcome.RETRY)


def test_a_record_never_carries_the_secret_or_the_url() -> None:
    random_source = rng(5)
    sub = subscription_from_request(
        {"url": "https://hooks.example.org/T0KEN-in-path"},
        now=NOW,
        make_secret=random_source.randbytes,
        make_id=random_source.randbytes,
    )
    document = record(Decision(Outcome.DELIVERED, "HTTP 200"), subscription_id=sub.id)
    text = orjson.dumps(document).decode()
    assert sub.secret not in text and sub.secret.removeprefix("whsec_") not in text and "T0KEN" not in text
    record_validator().validate(document)


def test_the_schema_refuses_an_inconsistent_record() -> None:
    document = record(Decision(Outcome.DELIVERED, "HTTP 200"))
    assert not record_validator().is_valid({**document, "retry_in_s": 5})
    assert not record_validator().is_valid({**document, "status": 500})
    assert not record_validator().is_valid({**document, "secret": "whsec_x"})
    retry = record(Decision(Outcome.RETRY, "HTTP 500", delay_s=1.5), status=500)
    assert retry["retry_in_s"] == 1.5
    assert not record_validator().is_valid({**retry, "retry_in_s": None})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attempt": 0}, "attempt is 1-based"),
        ({"latency_ms": -1.0}, "latency_ms must be a finite number"),
        ({"latency_ms": float("nan")}, "latency_ms must be a finite number"),
        ({"attempted_at": datetime(2026, 11, 24, 12, 0)}, "timezone-aware"),
    ],
)
def test_delivery_record_refuses_impossible_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record(Decision(Outcome.DELIVERED, "HTTP 200"), **changes)
