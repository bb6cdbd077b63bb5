"""Webhook subscriptions: who wants which alerts, at which URL, signed with which secret.

A subscription is created once, from the REST API's JSON request body
(``schemas/subscription.schema.json``), by :func:`subscription_from_request`; it is then
stored (``Subscription.to_dict(include_secret=True)`` / :meth:`Subscription.from_dict`) and
matched against every alert's wire dict by :func:`matches`.

Filters narrow; an absent filter does not. All the filters a subscription sets must hold for an
alert to match (AND); within one list filter, any listed value will do (OR):

    countries          ISO 3166-1 alpha-2 codes of the alert's place (``place.country``)
    actors             actor ids; the alert matches when ``gained_by`` or ``lost_by`` is one of them
    bbox               ``[min_lon, min_lat, max_lon, max_lat]`` (GeoJSON order, RFC 7946 section 5),
                       edges included; a box cannot cross the antimeridian (use two subscriptions)
    kinds              alert kinds: new, update, reversal
    statuses           event statuses: reported, claimed
    min_corroboration  the alert's ``corroboration`` (distinct outlets) is at least this

Ids are random, not derived from the content: two users who subscribe the same URL with the
same filters get two subscriptions, and nobody can guess an id (it names the REST resource)
from a URL. The randomness is a parameter (``make_id``, ``make_secret``: in production
``secrets.token_bytes`` for both) so tests are deterministic without patching anything.

Secrets follow the Standard Webhooks format (https://www.standardwebhooks.com/):
``"whsec_"`` + base64 of :data:`SECRET_BYTES` random bytes (the spec allows 24 to 64). A secret is
shown once, in the response that creates the subscription; it stays out of ``repr`` and out of
``to_dict()`` unless asked for, so it cannot leak into logs or delivery records.

:func:`check_target` refuses URLs whose host resolves to an address inside the operator's
network (loopback, private, link-local, ...): a webhook must not become a way to make the worker
send requests to internal services (server-side request forgery). The resolver is a parameter.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
import socket
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import pycountry

from frontwire.errors import FrontwireError
from frontwire.schemas import load_schema

__all__ = [
    "ALERT_KINDS",
    "ALERT_STATUSES",
    "SECRET_BYTES",
    "BBox",
    "InvalidSubscription",
    "Subscription",
    "SubscriptionFilters",
    "UnsafeTarget",
    "check_target",
    "matches",
    "secret_key",
    "subscription_from_request",
    "system_resolve",
]

# Alert kinds and statuses come from the alert schema, so a subscription can name exactly the
# values an alert can carry and the two never drift apart.
ALERT_KINDS: frozenset[str] = frozenset(load_schema("alert")["properties"]["kind"]["enum"])
ALERT_STATUSES: frozenset[str] = frozenset(load_schema("alert")["properties"]["status"]["enum"])

SECRET_BYTES = 32  # random bytes in a new secret; Standard Webhooks allows 24 to 64
_MIN_SECRET_BYTES = 24
_MAX_SECRET_BYTES = 64
_ID_BYTES = 16  # 128 random bits: unguessable, and collisions never happen in practice
_SECRET_PREFIX = "whsec_"
_ID_PATTERN = re.compile(r"sub_[0-9a-f]{32}")
_ACTOR_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # the actor dictionary's slugs: "isis", "sy-gov-2025"
_MAX_URL_LENGTH = 2048  # what browsers and most servers accept; longer is a mistake or an attack
_MAX_LIST_ITEMS = 1000
# GeoNames (hence place.country) uses the user-assigned code XK for Kosovo; ISO 3166 (pycountry) has no code for it.
_EXTRA_COUNTRIES = frozenset({"XK"})
_REQUEST_FIELDS = frozenset({"url", "filters"})
_FILTER_NAMES = ("countries", "actors", "bbox", "kinds", "statuses", "min_corroboration")


class InvalidSubscription(FrontwireError, ValueError):
    """A subscription request or stored subscription that cannot be accepted; names the field."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class UnsafeTarget(InvalidSubscription):
    """A target URL whose host is, or resolves to, an address frontwire must not send requests to."""


@dataclass(frozen=True, slots=True)
class BBox:
    """A longitude/latitude box in degrees (WGS 84), edges included."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies inside the box or on its edge."""
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    def to_list(self) -> list[float]:
        """The wire form: ``[min_lon, min_lat, max_lon, max_lat]``."""
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


@dataclass(frozen=True, slots=True)
class SubscriptionFilters:
    """What an alert must satisfy to be delivered; an empty set or None means "any"."""

    countries: frozenset[str] = frozenset()  # ISO 3166-1 alpha-2, upper case
    actors: frozenset[str] = frozenset()  # actor ids; matched against gained_by and lost_by
    bbox: BBox | None = None
    kinds: frozenset[str] = frozenset()  # subset of ALERT_KINDS
    statuses: frozenset[str] = frozenset()  # subset of ALERT_STATUSES
    min_corroboration: int = 1  # distinct outlets; 1 lets every alert through

    def to_dict(self) -> dict[str, Any]:
        """The wire form: only the filters that narrow, lists sorted."""
        out: dict[str, Any] = {}
        for name in ("countries", "actors"):
            values: frozenset[str] = getattr(self, name)
            if values:
                out[name] = sorted(values)
        if self.bbox is not None:
            out["bbox"] = self.bbox.to_list()
        for name in ("kinds", "statuses"):
            values = getattr(self, name)
            if values:
                out[name] = sorted(values)
        if self.min_corroboration > 1:
            out["min_corroboration"] = self.min_corroboration
        return out


@dataclass(frozen=True, slots=True)
class Subscription:
    """A registered webhook: where to POST alerts, which ones, and the key that signs them."""

    id: str  # "sub_" + 32 lower-case hex digits, random
    url: str  # http or https; checked for safety by check_target before any request
    filters: SubscriptionFilters
    secret: str = field(repr=False)  # "whsec_" + base64; kept out of repr so it cannot reach a log
    created_at: datetime  # timezone-aware, UTC

    def to_dict(self, *, include_secret: bool = False) -> dict[str, Any]:
        """The JSON shape of subscription.schema.json#/$defs/subscription; the secret only when asked."""
        out: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "filters": self.filters.to_dict(),
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
        }
        if include_secret:
            out["secret"] = self.secret
        return out

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Subscription:
        """Read back what ``to_dict(include_secret=True)`` wrote; raise InvalidSubscription if it is not that."""
        if not isinstance(document, Mapping):
            raise InvalidSubscription(f"expected a JSON object, got {_type_name(document)}")
        missing = [name for name in ("id", "url", "secret", "created_at") if name not in document]
        if missing:
            raise InvalidSubscription(f"missing {', '.join(missing)}")
        sub_id = document["id"]
        if not isinstance(sub_id, str) or not _ID_PATTERN.fullmatch(sub_id):
            raise InvalidSubscription(f"expected 'sub_' and 32 hex digits, got {sub_id!r}", field="id")
        created_at = _parse_created_at(document["created_at"])
        return cls(
            id=sub_id,
            url=_check_url(document["url"]),
            filters=_parse_filters(document.get("filters", {})),
            secret=_check_secret(document["secret"]),
            created_at=created_at,
        )


def subscription_from_request(
    body: Mapping[str, Any],
    *,
    now: datetime,
    make_secret: Callable[[int], bytes],
    make_id: Callable[[int], bytes],
    known_actors: Container[str] | None = None,
) -> Subscription:
    """Validate a REST request body and create the subscription; raise InvalidSubscription naming the field.

    ``make_secret`` and ``make_id`` take a byte count and return that many random bytes
    (``secrets.token_bytes``). When ``known_actors`` is given (the actor dictionary's ids), an
    actor filter may name only those; without it only the id's form is checked.
    """
    if not isinstance(body, Mapping):
        raise InvalidSubscription(f"expected a JSON object, got {_type_name(body)}")
    unknown = sorted(set(body) - _REQUEST_FIELDS)
    if unknown:
        raise InvalidSubscription(f"unknown field {unknown[0]!r}; a request has url and filters")
    if "url" not in body:
        raise InvalidSubscription("required: the URL alerts are POSTed to", field="url")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    url = _check_url(body["url"])
    filters = _parse_filters(body.get("filters", {}), known_actors=known_actors)
    id_bytes = make_id(_ID_BYTES)
    secret_bytes = make_secret(SECRET_BYTES)
    # A wrong random source is a wiring defect, not the requester's fault: plain ValueError.
    if len(id_bytes) != _ID_BYTES:
        raise ValueError(f"make_id returned {len(id_bytes)} bytes, not {_ID_BYTES}")
    if len(secret_bytes) != SECRET_BYTES:
        raise ValueError(f"make_secret returned {len(secret_bytes)} bytes, not {SECRET_BYTES}")
    return Subscription(
        id="sub_" + id_bytes.hex(),
        url=url,
        filters=filters,
        secret=_SECRET_PREFIX + base64.b64encode(secret_bytes).decode("ascii"),
        created_at=now.astimezone(UTC),
    )


def matches(subscription: Subscription, alert: Mapping[str, Any]) -> bool:
    """True when the alert's wire dict (schemas/alert.schema.json) passes every filter the subscription sets.

    A filter that needs a field the alert lacks does not match, rather than raise: a malformed
    alert is not delivered to a subscriber who asked for something specific.
    """
    f = subscription.filters
    raw_place = alert.get("place")
    place: Mapping[str, Any] = raw_place if isinstance(raw_place, Mapping) else {}
    if f.countries and place.get("country") not in f.countries:
        return False
    if f.bbox is not None:
        lon, lat = place.get("lon"), place.get("lat")
        if not (_is_number(lon) and _is_number(lat) and f.bbox.contains(lon, lat)):
            return False
    if f.actors and alert.get("gained_by") not in f.actors and alert.get("lost_by") not in f.actors:
        return False
    if f.kinds and alert.get("kind") not in f.kinds:
        return False
    if f.statuses and alert.get("status") not in f.statuses:
        return False
    if f.min_corroboration > 1:
        corroboration = alert.get("corroboration")
        if not (_is_number(corroboration) and corroboration >= f.min_corroboration):
            return False
    return True


def check_target(url: str, *, resolve: Callable[[str], list[str]], allow_private: bool) -> tuple[str, ...]:
    """Refuse a URL whose host is or resolves to a non-public address; return the addresses checked.

    Every address the host resolves to must be public, since the HTTP client may connect to any
    of them. Refused: loopback, link-local, private, unspecified, multicast, reserved and other
    non-global ranges (shared 100.64.0.0/10, IPv4-mapped IPv6 forms of those). ``allow_private``
    (development: a receiver on localhost) skips the address check. DNS can change between this
    check and the request (rebinding): the delivery agent should check again before each attempt
    and connect to one of the returned addresses. ``resolve`` errors (OSError) propagate: a name
    that does not resolve now may later, and the caller decides whether that is a retry or a 422.
    """
    url = _check_url(url)
    host = urlsplit(url).hostname or ""
    literal = _ip_literal(host)
    addresses = [str(literal)] if literal is not None else list(resolve(host))
    if not addresses:
        raise UnsafeTarget(f"host {host!r} resolves to no address", field="url")
    if allow_private:
        return tuple(addresses)
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UnsafeTarget(f"host {host!r} resolved to {text!r}, which is not an IP address", field="url") from None
        problem = _non_public(address)
        if problem is not None:
            shown = host if literal is not None else f"{host} ({text})"
            raise UnsafeTarget(
                f"{shown} is a {problem} address; webhooks go only to public hosts",
                field="url",
            )
    return tuple(addresses)


def system_resolve(host: str) -> list[str]:
    """The host's addresses from the system resolver (socket.getaddrinfo), unique, in its order."""
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM):
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def _non_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    # ::ffff:127.0.0.1 reaches 127.0.0.1; Python 3.11 does not see through the mapping by itself.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        # Before "private": Python counts 240.0.0.0/4 among its private networks too.
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # Left over after the named ranges: shared address space (carrier-grade NAT) and the like.
        ("non-global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check_url(url: object) -> str:
    if not isinstance(url, str):
        raise InvalidSubscription(f"expected a string, got {_type_name(url)}", field="url")
    if len(url) > _MAX_URL_LENGTH:
        raise InvalidSubscription(f"the URL is {len(url)} characters; the limit is {_MAX_URL_LENGTH}", field="url")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise InvalidSubscription("the URL contains whitespace or control characters", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- urlsplit checks the port only when asked for it
    except ValueError as exc:
        raise InvalidSubscription(f"not a valid URL: {exc}", field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"{parts.scheme!r}" if parts.scheme else "none"
        raise InvalidSubscription(f"the scheme must be http or https, got {shown}", field="url")
    if not parts.hostname:
        raise InvalidSubscription("the URL has no host", field="url")
    # Credentials in a URL end up in every log line that prints it; the signature authenticates us instead.
    if parts.username is not None or parts.password is not None:
        raise InvalidSubscription("the URL must not carry a user name or password", field="url")
    if parts.fragment:
        raise InvalidSubscription("the URL must not have a #fragment; it is never sent to the server", field="url")
    return url


def _parse_filters(filters: object, *, known_actors: Container[str] | None = None) -> SubscriptionFilters:
    if not isinstance(filters, Mapping):
        raise InvalidSubscription(f"expected a JSON object, got {_type_name(filters)}", field="filters")
    unknown = sorted(set(filters) - set(_FILTER_NAMES))
    if unknown:
        raise InvalidSubscription(
            f"unknown filter {unknown[0]!r}; the filters are {', '.join(_FILTER_NAMES)}",
            field="filters",
        )
    countries = _parse_list(filters, "countries", _country)
    actors = _parse_list(filters, "actors", lambda value, where: _actor(value, where, known_actors))
    kinds = _parse_list(filters, "kinds", lambda value, where: _member(value, where, ALERT_KINDS))
    statuses = _parse_list(filters, "statuses", lambda value, where: _member(value, where, ALERT_STATUSES))
    bbox = _bbox(filters["bbox"]) if "bbox" in filters else None
    min_corroboration = 1
    if "min_corroboration" in filters:
        value = filters["min_corroboration"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidSubscription(f"expected an integer of at least 1, got {value!r}", field="filters.min_corroboration")
        min_corroboration = value
    return SubscriptionFilters(
        countries=countries,
        actors=actors,
        bbox=bbox,
        kinds=kinds,
        statuses=statuses,
        min_corroboration=min_corroboration,
    )


def _parse_list(filters: Mapping[str, Any], name: str, check: Callable[[object, str], str]) -> frozenset[str]:
    if name not in filters:
        return frozenset()
    where = f"filters.{name}"
    values = filters[name]
    if not isinstance(values, list):
        raise InvalidSubscription(f"expected a list, got {_type_name(values)}", field=where)
    # An empty list could mean "none" or "any"; refusing it leaves no doubt.
    if not values:
        raise InvalidSubscription(f"the list is empty; leave {name} out to accept any", field=where)
    if len(values) > _MAX_LIST_ITEMS:
        raise InvalidSubscription(f"{len(values)} items; the limit is {_MAX_LIST_ITEMS}", field=where)
    return frozenset(check(value, f"{where}[{index}]") for index, value in enumerate(values))


def _country(value: object, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value):
        raise InvalidSubscription(f"expected an ISO 3166-1 alpha-2 code such as 'SY', got {value!r}", field=where)
    code = value.upper()
    if code not in _EXTRA_COUNTRIES and pycountry.countries.get(alpha_2=code) is None:
        raise InvalidSubscription(f"{value!r} is not an ISO 3166-1 alpha-2 country code", field=where)
    return code


def _actor(value: object, where: str, known: Container[str] | None) -> str:
    if not isinstance(value, str) or not _ACTOR_ID.fullmatch(value):
        raise InvalidSubscription(f"expected an actor id such as 'isis' or 'sy-saa', got {value!r}", field=where)
    if known is not None and value not in known:
        raise InvalidSubscription(f"unknown actor id {value!r}", field=where)
    return value


def _member(value: object, where: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidSubscription(f"expected one of {', '.join(sorted(allowed))}, got {value!r}", field=where)
    return value


def _bbox(value: object) -> BBox:
    where = "filters.bbox"
    shape = "[min_lon, min_lat, max_lon, max_lat]"
    if not isinstance(value, list) or len(value) != 4:
        raise InvalidSubscription(f"expected 4 numbers {shape}, got {value!r}", field=where)
    if not all(_is_number(v) and math.isfinite(v) for v in value):
        raise InvalidSubscription(f"expected 4 numbers {shape}, got {value!r}", field=where)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in value)
    for name, lon in (("min_lon", min_lon), ("max_lon", max_lon)):
        if not -180 <= lon <= 180:
            raise InvalidSubscription(f"{name} {lon} is outside [-180, 180]", field=where)
    for name, lat in (("min_lat", min_lat), ("max_lat", max_lat)):
        if not -90 <= lat <= 90:
            raise InvalidSubscription(f"{name} {lat} is outside [-90, 90]", field=where)
    if not min_lon < max_lon:
        raise InvalidSubscription(
            f"min_lon {min_lon} must be less than max_lon {max_lon} (a box across the antimeridian is two subscriptions)",
            field=where,
        )
    if not min_lat < max_lat:
        raise InvalidSubscription(f"min_lat {min_lat} must be less than max_lat {max_lat}", field=where)
    return BBox(min_lon, min_lat, max_lon, max_lat)


def _check_secret(secret: object) -> str:
    if not isinstance(secret, str) or not secret.startswith(_SECRET_PREFIX):
        raise InvalidSubscription("expected 'whsec_' followed by base64", field="secret")
    key = secret_key(secret)
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise InvalidSubscription(
            f"the key is {len(key)} bytes; Standard Webhooks needs {_MIN_SECRET_BYTES} to {_MAX_SECRET_BYTES}",
            field="secret",
        )
    return secret


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: the base64-decoded part after the prefix."""
    if not secret.startswith(_SECRET_PREFIX):
        raise InvalidSubscription("expected 'whsec_' followed by base64", field="secret")
    try:
        return base64.b64decode(secret.removeprefix(_SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSubscription("the part after 'whsec_' is not valid base64", field="secret") from None


def _parse_created_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidSubscription(f"expected an RFC 3339 date-time, got {_type_name(value)}", field="created_at")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidSubscription(f"expected an RFC 3339 date-time, got {value!r}", field="created_at") from None
    if moment.tzinfo is None:
        raise InvalidSubscription(f"the date-time {value!r} has no time zone", field="created_at")
    return moment.astimezone(UTC)


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int in Python but never a coordinate or a count on the wire.
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_NAMES: dict[type, str] = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
