"""Webhook subscriptions: request validation, the stored form, filter matching and target safety."""

from __future__ import annotations

import base64
import random
import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from frontwire.errors import FrontwireError
from frontwire.schemas import load_schema, schema_registry
from frontwire.subscriptions import (
    ALERT_KINDS,
    ALERT_STATUSES,
    SECRET_BYTES,
    BBox,
    InvalidSubscription,
    Subscription,
    SubscriptionFilters,
    UnsafeTarget,
    check_target,
    matches,
    secret_key,
    subscription_from_request,
    system_resolve,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DEIR_EZ_ZOR = {
    "id": "geonames:170794",
    "name": "Deir ez-Zor",
    "lat": 35.33588,
    "lon": 40.14084,
    "country": "SY",
    "admin1": "Deir ez-Zor Governorate",
    "kind": "city",
    "mentions": 3,
}


def alert(**changes: Any) -> dict[str, Any]:
    """The seed's alert (Deir ez-Zor to the Syrian government from the Islamic State), with changes."""
    document: dict[str, Any] = {
        "alert_id": "alert-5f1c0e",
        "kind": "new",
        "event_id": "event-9a2b",
        "place": dict(DEIR_EZ_ZOR),
        "gained_by": "sy-saa",
        "lost_by": "isis",
        "change": "recapture",
        "status": "reported",
        "occurred_on": "2017-11-03",
        "evidence": {"sentence": "Syrian government forces took full control of Deir el-Zour.", "start": 0, "end": 59},
        "confidence": 0.9,
        "acled_sub_event_type": "Government regains territory",
        "sources": [
            {
                "article_id": "csm-1",
                "url": "https://www.csmonitor.com/x",
                "source": "csmonitor.com",
                "published_at": "2017-11-03T12:00:00Z",
            }
        ],
        "first_reported_at": "2017-11-03T12:00:00Z",
        "corroboration": 1,
        "previous_controller": "isis",
    }
    document.update(changes)
    return document


def create(body: Any, *, seed: int = 1, **kwargs: Any) -> Subscription:
    rng = random.Random(seed)
    return subscription_from_request(body, now=NOW, make_secret=rng.randbytes, make_id=rng.randbytes, **kwargs)


def subscribe(**filters: Any) -> Subscription:
    return create({"url": "https://hooks.example.org/frontwire", "filters": filters})


def request_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("subscription"), registry=schema_registry())


def resource_validator() -> Draft202012Validator:
    schema = {"$ref": "https://frontwire.dev/schemas/subscription.schema.json#/$defs/subscription"}
    return Draft202012Validator(schema, registry=schema_registry())


# --- creation ------------------------------------------------------------------------------------


def test_a_request_with_only_a_url_accepts_every_alert() -> None:
    sub = create({"url": "https://hooks.example.org/frontwire"})
    assert sub.url == "https://hooks.example.org/frontwire"
    assert sub.filters == SubscriptionFilters()
    assert sub.created_at == NOW
    assert matches(sub, alert())
    assert matches(sub, alert(kind="reversal", status="claimed", place={**DEIR_EZ_ZOR, "country": "IQ"}))


def test_id_and_secret_come_from_the_injected_sources() -> None:
    first, again, other = (
        create({"url": "https://a.example"}),
        create({"url": "https://a.example"}),
        create({"url": "https://a.example"}, seed=2),
    )
    assert first.id == again.id and first.secret == again.secret  # same random source, same values
    assert first.id != other.id and first.secret != other.secret
    assert first.id.startswith("sub_") and len(first.id) == 4 + 32
    assert first.secret.startswith("whsec_")
    assert len(secret_key(first.secret)) == SECRET_BYTES >= 24
    # The production source: the secrets module.
    real = subscription_from_request(
        {"url": "https://a.example"}, now=NOW, make_secret=secrets.token_bytes, make_id=secrets.token_bytes
    )
    assert len(secret_key(real.secret)) == SECRET_BYTES


def test_a_random_source_that_returns_the_wrong_length_is_a_wiring_error() -> None:
    with pytest.raises(ValueError, match="make_secret returned 8 bytes"):
        subscription_from_request(
            {"url": "https://a.example"}, now=NOW, make_secret=lambda n: b"x" * 8, make_id=random.Random(1).randbytes
        )


def test_created_at_is_kept_in_utc() -> None:
    local = datetime(2026, 11, 24, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    sub = subscription_from_request(
        {"url": "https://a.example"}, now=local, make_secret=random.Random(1).randbytes, make_id=random.Random(2).randbytes
    )
    assert sub.created_at == NOW and sub.created_at.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        subscription_from_request(
            {"url": "https://a.example"},
            now=datetime(2026, 11, 24),
            make_secret=random.Random(1).randbytes,
            make_id=random.Random(1).randbytes,
        )


def test_filters_are_normalised() -> None:
    sub = subscribe(
        countries=["sy", "IQ", "SY"],
        actors=["isis", "sy-saa"],
        bbox=[38, 34, 42.5, 37],
        kinds=["new", "reversal"],
        statuses=["reported"],
        min_corroboration=2,
    )
    assert sub.filters.countries == {"SY", "IQ"}
    assert sub.filters.bbox == BBox(38.0, 34.0, 42.5, 37.0)
    assert sub.filters.to_dict() == {
        "countries": ["IQ", "SY"],
        "actors": ["isis", "sy-saa"],
        "bbox": [38.0, 34.0, 42.5, 37.0],
        "kinds": ["new", "reversal"],
        "statuses": ["reported"],
        "min_corroboration": 2,
    }


def test_kinds_and_statuses_are_those_an_alert_can_carry() -> None:
    assert sorted(ALERT_KINDS) == ["new", "reversal", "update"]
    assert sorted(ALERT_STATUSES) == ["claimed", "reported"]


# --- rejection -----------------------------------------------------------------------------------

GOOD_URL = "https://hooks.example.org/frontwire"

INVALID_REQUESTS: list[tuple[object, str]] = [
    # the URL
    ({"filters": {}}, "url: required"),
    ({"url": 42}, "url: expected a string, got integer"),
    ({"url": "ftp://files.example.org/in"}, "the scheme must be http or https, got 'ftp'"),
    ({"url": "javascript:alert(1)"}, "the scheme must be http or https"),
    ({"url": "file:///etc/passwd"}, "the scheme must be http or https, got 'file'"),
    ({"url": "hooks.example.org/in"}, "the scheme must be http or https, got none"),
    ({"url": "https:///path-only"}, "the URL has no host"),
    ({"url": "https://user:pw@hooks.example.org/"}, "must not carry a user name or password"),
    ({"url": "https://hooks.example.org/#top"}, "must not have a #fragment"),
    ({"url": "https://hooks.example.org:99999/"}, "not a valid URL"),
    ({"url": "https://hooks.example.org/a b"}, "whitespace or control characters"),
    ({"url": "https://hooks.example.org/\r\nX-Evil: 1"}, "whitespace or control characters"),
    ({"url": "https://h.example/" + "a" * 2048}, "the limit is 2048"),
    # the body and the filter names
    ([], "expected a JSON object, got array"),
    ({"url": GOOD_URL, "secret": "whsec_AAAA"}, "unknown field 'secret'"),
    ({"url": GOOD_URL, "filters": []}, "filters: expected a JSON object, got array"),
    ({"url": GOOD_URL, "filters": {"country": ["SY"]}}, "unknown filter 'country'; the filters are countries, actors"),
    ({"url": GOOD_URL, "filters": {"since": "2017"}}, "unknown filter 'since'"),
    # countries
    ({"url": GOOD_URL, "filters": {"countries": ["ZZ"]}}, "filters.countries[0]: 'ZZ' is not an ISO 3166-1 alpha-2"),
    ({"url": GOOD_URL, "filters": {"countries": ["SY", "SYR"]}}, "filters.countries[1]: expected an ISO 3166-1 alpha-2"),
    ({"url": GOOD_URL, "filters": {"countries": "SY"}}, "filters.countries: expected a list, got string"),
    ({"url": GOOD_URL, "filters": {"countries": []}}, "the list is empty; leave countries out to accept any"),
    # actors
    ({"url": GOOD_URL, "filters": {"actors": ["Islamic State"]}}, "filters.actors[0]: expected an actor id"),
    ({"url": GOOD_URL, "filters": {"actors": ["ISIS"]}}, "expected an actor id such as 'isis'"),
    # bbox
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, 42]}}, "filters.bbox: expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, 42, 37, 1]}}, "expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": {"min_lon": 38}}}, "expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, "42", 37]}}, "expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, True, 37]}}, "expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, float("nan"), 37]}}, "expected 4 numbers"),
    ({"url": GOOD_URL, "filters": {"bbox": [-181, 34, 42, 37]}}, "min_lon -181.0 is outside [-180, 180]"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, 190, 37]}}, "max_lon 190.0 is outside [-180, 180]"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, -91, 42, 37]}}, "min_lat -91.0 is outside [-90, 90]"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 34, 42, 90.5]}}, "max_lat 90.5 is outside [-90, 90]"),
    ({"url": GOOD_URL, "filters": {"bbox": [42, 34, 38, 37]}}, "min_lon 42.0 must be less than max_lon 38.0"),
    ({"url": GOOD_URL, "filters": {"bbox": [170, 34, -170, 37]}}, "across the antimeridian"),
    ({"url": GOOD_URL, "filters": {"bbox": [38, 37, 42, 37]}}, "min_lat 37.0 must be less than max_lat 37.0"),
    # kinds and statuses
    ({"url": GOOD_URL, "filters": {"kinds": ["new", "created"]}}, "filters.kinds[1]: expected one of new, reversal, update"),
    ({"url": GOOD_URL, "filters": {"statuses": ["contested"]}}, "filters.statuses[0]: expected one of claimed, reported"),
    ({"url": GOOD_URL, "filters": {"statuses": ["background"]}}, "expected one of claimed, reported"),
    # corroboration
    ({"url": GOOD_URL, "filters": {"min_corroboration": 0}}, "filters.min_corroboration: expected an integer of at least 1"),
    ({"url": GOOD_URL, "filters": {"min_corroboration": 2.5}}, "expected an integer of at least 1"),
    ({"url": GOOD_URL, "filters": {"min_corroboration": True}}, "expected an integer of at least 1"),
]


@pytest.mark.parametrize(("body", "message"), INVALID_REQUESTS, ids=[m for _, m in INVALID_REQUESTS])
def test_invalid_requests_are_refused_with_the_field_and_the_reason(body: Any, message: str) -> None:
    with pytest.raises(InvalidSubscription) as caught:
        create(body)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, FrontwireError)
    assert caught.value.retriable is False


# Rules JSON Schema cannot say (an ISO code that does not exist, min < max, a port in range, NaN,
# which JSON cannot carry anyway): only the server refuses these.
_SERVER_ONLY = ("is not an ISO 3166-1", "must be less than", "across the antimeridian", "not a valid URL", "#fragment")
SCHEMA_REFUSES = [
    (body, message)
    for body, message in INVALID_REQUESTS
    if not any(rule in message for rule in _SERVER_ONLY) and "nan" not in repr(body)
]


@pytest.mark.parametrize(("body", "message"), SCHEMA_REFUSES, ids=[m for _, m in SCHEMA_REFUSES])
def test_the_published_schema_refuses_what_the_server_refuses(body: Any, message: str) -> None:
    assert not request_validator().is_valid(body)


def test_the_published_schema_accepts_what_the_server_accepts() -> None:
    bodies = [
        {"url": "http://hooks.example.org"},
        {"url": "HTTPS://Hooks.Example.org:8443/in?x=1@2"},
        {
            "url": GOOD_URL,
            "filters": {
                "countries": ["sy", "XK"],
                "actors": ["isis", "sy-gov-2025"],
                "bbox": [-180, -90, 180, 90],
                "kinds": ["update"],
                "statuses": ["claimed", "reported"],
                "min_corroboration": 3,
            },
        },
    ]
    for body in bodies:
        request_validator().validate(body)
        create(body)


def test_an_actor_dictionary_limits_actor_ids_when_given() -> None:
    known = {"isis", "sy-saa", "sdf"}
    assert create({"url": GOOD_URL, "filters": {"actors": ["sdf"]}}, known_actors=known).filters.actors == {"sdf"}
    with pytest.raises(InvalidSubscription, match=r"filters.actors\[1\]: unknown actor id 'isis-x'"):
        create({"url": GOOD_URL, "filters": {"actors": ["sdf", "isis-x"]}}, known_actors=known)


# --- the stored and the shown form ---------------------------------------------------------------


def test_the_secret_is_shown_only_when_asked_and_never_in_repr() -> None:
    sub = subscribe(countries=["SY"])
    shown = sub.to_dict()
    assert "secret" not in shown
    assert sub.secret not in repr(sub) and "whsec_" not in repr(sub) and "whsec_" not in str(sub)
    assert sub.to_dict(include_secret=True)["secret"] == sub.secret
    assert shown == {
        "id": sub.id,
        "url": "https://hooks.example.org/frontwire",
        "filters": {"countries": ["SY"]},
        "created_at": "2026-11-24T12:00:00Z",
    }


def test_to_dict_follows_the_schema_and_round_trips() -> None:
    sub = subscribe(countries=["SY"], actors=["isis"], bbox=[38, 34, 42.5, 37], kinds=["new"], min_corroboration=2)
    for include_secret in (False, True):
        resource_validator().validate(sub.to_dict(include_secret=include_secret))
    assert Subscription.from_dict(sub.to_dict(include_secret=True)) == sub
    request_validator().validate({"url": sub.url, "filters": sub.to_dict()["filters"]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"secret": None}, "missing secret"),
        ({"secret": "s3cret"}, "secret: expected 'whsec_'"),
        ({"secret": "whsec_!!!!"}, "not valid base64"),
        ({"secret": "whsec_" + base64.b64encode(b"k" * 16).decode()}, "the key is 16 bytes; Standard Webhooks needs 24 to 64"),
        ({"id": "sub_XYZ"}, "id: expected 'sub_' and 32 hex digits"),
        ({"created_at": "2026-11-24T12:00:00"}, "has no time zone"),
        ({"created_at": "yesterday"}, "expected an RFC 3339 date-time"),
        ({"url": "gopher://x"}, "the scheme must be http or https"),
        ({"filters": {"kinds": ["old"]}}, "filters.kinds[0]"),
    ],
)
def test_a_damaged_stored_subscription_is_refused(change: dict[str, Any], message: str) -> None:
    stored = subscribe().to_dict(include_secret=True)
    stored.update(change)
    stored = {k: v for k, v in stored.items() if v is not None}
    with pytest.raises(InvalidSubscription) as caught:
        Subscription.from_dict(stored)
    assert message in str(caught.value)


def test_the_secret_is_the_standard_webhooks_key() -> None:
    key = bytes(range(32))
    assert secret_key("whsec_" + base64.b64encode(key).decode()) == key
    with pytest.raises(InvalidSubscription, match="whsec_"):
        secret_key(base64.b64encode(key).decode())


# --- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "wire", "expected"),
    [
        ({"countries": ["SY"]}, {}, True),
        ({"countries": ["IQ", "SY"]}, {}, True),
        ({"countries": ["IQ"]}, {}, False),
        # Deir ez-Zor is at 40.14 E 35.34 N.
        ({"bbox": [38, 34, 42, 37]}, {}, True),
        ({"bbox": [40.14084, 35.33588, 41, 36]}, {}, True),  # on the corner: edges are inside
        ({"bbox": [30, 34, 40.1, 37]}, {}, False),
        ({"bbox": [38, 35.4, 42, 37]}, {}, False),
        ({"actors": ["sy-saa"]}, {}, True),  # gained_by
        ({"actors": ["isis"]}, {}, True),  # lost_by
        ({"actors": ["sdf", "hts"]}, {}, False),
        ({"actors": ["isis"]}, {"gained_by": "sy-saa", "lost_by": None}, False),
        ({"kinds": ["new"]}, {}, True),
        ({"kinds": ["update", "reversal"]}, {}, False),
        ({"kinds": ["update"]}, {"kind": "update"}, True),
        ({"statuses": ["reported"]}, {}, True),
        ({"statuses": ["claimed"]}, {}, False),
        ({"min_corroboration": 2}, {}, False),
        ({"min_corroboration": 2}, {"corroboration": 2}, True),
        ({"min_corroboration": 3}, {"corroboration": 5}, True),
        # Every filter given must hold.
        ({"countries": ["SY"], "actors": ["isis"], "kinds": ["new"], "statuses": ["reported"]}, {}, True),
        ({"countries": ["SY"], "actors": ["isis"], "kinds": ["update"]}, {}, False),
        ({"countries": ["SY"], "bbox": [0, 0, 10, 10]}, {}, False),
    ],
)
def test_an_alert_matches_when_every_filter_given_holds(filters: dict[str, Any], wire: dict[str, Any], expected: bool) -> None:
    assert matches(subscribe(**filters), alert(**wire)) is expected


def test_the_alert_used_for_matching_is_a_valid_alert() -> None:
    schema = {"$ref": "https://frontwire.dev/schemas/alert.schema.json"}
    Draft202012Validator(schema, registry=schema_registry()).validate(alert())


def test_an_alert_without_the_field_a_filter_needs_does_not_match() -> None:
    no_place = {k: v for k, v in alert().items() if k != "place"}
    assert not matches(subscribe(countries=["SY"]), no_place)
    assert not matches(subscribe(bbox=[38, 34, 42, 37]), no_place)
    assert not matches(subscribe(bbox=[38, 34, 42, 37]), alert(place={**DEIR_EZ_ZOR, "lat": None}))
    assert not matches(subscribe(min_corroboration=2), alert(corroboration="many"))
    assert matches(subscribe(), no_place)  # no filter, nothing needed


# --- target safety -------------------------------------------------------------------------------


def resolver(table: dict[str, list[str]]) -> Any:
    """A resolver function over a fixed table: a parameter, so no DNS is involved."""

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host!r}")
        return table[host]

    return resolve


PUBLIC = resolver({"hooks.example.org": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})


def test_a_public_host_passes_and_its_addresses_come_back() -> None:
    assert check_target(GOOD_URL, resolve=PUBLIC, allow_private=False) == (
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    )
    assert check_target("https://93.184.215.14/in", resolve=PUBLIC, allow_private=False) == ("93.184.215.14",)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.20", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata service
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),  # shared address space (carrier-grade NAT)
    ],
)
def test_hosts_resolving_inside_the_network_are_refused(address: str, kind: str) -> None:
    resolve = resolver({"internal.example.org": [address]})
    with pytest.raises(UnsafeTarget) as caught:
        check_target("https://internal.example.org/hook", resolve=resolve, allow_private=False)
    assert f"internal.example.org ({address}) is a {kind} address" in str(caught.value)
    assert isinstance(caught.value, InvalidSubscription)
    # allow_private is for development: a receiver on the developer's machine.
    assert check_target("https://internal.example.org/hook", resolve=resolve, allow_private=True) == (address,)


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolve = resolver({"mixed.example.org": ["93.184.215.14", "10.0.0.5"]})
    with pytest.raises(UnsafeTarget, match=r"10\.0\.0\.5"):
        check_target("https://mixed.example.org/", resolve=resolve, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://[fe80::1]/", "http://10.0.0.1/"])
def test_ip_literals_are_checked_without_resolving(url: str) -> None:
    def no_dns(host: str) -> list[str]:
        raise AssertionError(f"resolved {host}")

    with pytest.raises(UnsafeTarget, match="webhooks go only to public hosts"):
        check_target(url, resolve=no_dns, allow_private=False)


def test_a_host_without_addresses_or_a_bad_url_is_refused_and_resolver_errors_propagate() -> None:
    with pytest.raises(UnsafeTarget, match="resolves to no address"):
        check_target("https://void.example.org/", resolve=resolver({"void.example.org": []}), allow_private=True)
    with pytest.raises(UnsafeTarget, match="not an IP address"):
        check_target("https://odd.example.org/", resolve=resolver({"odd.example.org": ["localhost"]}), allow_private=False)
    with pytest.raises(InvalidSubscription, match="scheme must be http or https"):
        check_target("ftp://hooks.example.org/", resolve=PUBLIC, allow_private=False)
    with pytest.raises(OSError, match="no such host"):
        check_target("https://unknown.example.org/", resolve=PUBLIC, allow_private=False)


def test_the_system_resolver_sees_through_numeric_tricks() -> None:
    # getaddrinfo reads "2130706433" as 127.0.0.1 (inet_aton): only resolving exposes it; no DNS is needed.
    assert system_resolve("127.0.0.1") == ["127.0.0.1"]
    assert system_resolve("2130706433") == ["127.0.0.1"]
    with pytest.raises(UnsafeTarget, match="loopback"):
        check_target("http://2130706433/hook", resolve=system_resolve, allow_private=False)
