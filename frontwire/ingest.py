"""Turn the bytes of a raw-article message into an :class:`~frontwire.models.Article`, or say why not.

Producers vary, so this accepts every shape DESIGN.md allows (``text`` or ``html``, a
missing ``id`` or ``published_at``, unknown fields) and rejects the rest with an
:class:`~frontwire.errors.InvalidArticle` whose message names the field and what was
wrong: that message is what a human reads on the dead-letter topic.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from frontwire.errors import InvalidArticle
from frontwire.models import Article, rfc3339
from frontwire.schemas import load_schema

__all__ = ["DEFAULT_MAX_ARTICLE_BYTES", "article_from_dict", "article_to_dict", "canonical_url", "parse_raw_article"]

DEFAULT_MAX_ARTICLE_BYTES = 4 * 1024 * 1024

_KNOWN_FIELDS = frozenset({"id", "url", "title", "text", "html", "published_at", "source", "language"})
# Query parameters that identify a campaign or a click, not a page: two URLs that differ
# only in these are the same article.
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "ocid", "cmpid", "smid", "ref"})
_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("raw-article"))


def parse_raw_article(value: bytes | None, *, received_at: datetime, max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES) -> Article:
    """Validate one raw message value and return the normalised article; raise InvalidArticle otherwise."""
    if value is None:
        raise InvalidArticle("the message has a key but no value (a tombstone); an article needs a JSON object")
    if len(value) == 0:
        raise InvalidArticle("the message value is empty; an article needs a JSON object")
    if len(value) > max_bytes:
        raise InvalidArticle(f"the message is {len(value):,} bytes; the limit is {max_bytes:,} (FRONTWIRE_MAX_ARTICLE_BYTES)")
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle(f"the message is not valid UTF-8: byte 0x{value[exc.start]:02x} at offset {exc.start}") from None
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidArticle(f"the message is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidArticle(f"expected a JSON object, got {_type_name(document)}")
    return article_from_dict(document, received_at=received_at)


def article_from_dict(document: dict[str, Any], *, received_at: datetime) -> Article:
    """Validate an already-decoded raw article and return it normalised; raise InvalidArticle otherwise."""
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        raise _schema_error(error)
    _reject_nul(document)
    text = document.get("text")
    html = document.get("html")
    if not (text and text.strip()) and not (html and html.strip()):
        raise InvalidArticle("text and html are both empty; one of them must hold the article", field="text")
    url = canonical_url(document["url"])
    raw_id = document.get("id")
    article_id = str(raw_id) if raw_id is not None else _id_from_url(url)
    published_at = _parse_published_at(document.get("published_at"), received_at)
    source = document.get("source") or _source_from_url(url)
    return Article(
        id=article_id,
        url=url,
        published_at=published_at,
        title=document.get("title"),
        text=text,
        html=html,
        source=source,
        language=document.get("language"),
        extra={k: v for k, v in document.items() if k not in _KNOWN_FIELDS},
    )


def article_to_dict(article: Article) -> dict[str, Any]:
    """The normalised article as JSON, with unknown input fields kept beside the known ones."""
    known = {
        "id": article.id,
        "url": article.url,
        "published_at": rfc3339(article.published_at),
        "title": article.title,
        "text": article.text,
        "html": article.html,
        "source": article.source,
        "language": article.language,
    }
    return {**article.extra, **{k: v for k, v in known.items() if v is not None}}


def canonical_url(url: str) -> str:
    """The URL with a lower-case scheme and host, no fragment, no default port and no tracking parameters."""
    stripped = url.strip()
    parts = urlsplit(stripped)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidArticle(f"{url[:200]!r} is not an http(s) URL with a host", field="url")
    host = parts.hostname.lower()
    default_port = {"http": 80, "https": 443}[parts.scheme.lower()]
    try:
        port = parts.port
    except ValueError:
        raise InvalidArticle(f"{url[:200]!r} has an invalid port", field="url") from None
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)], doseq=True
    )
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def _is_tracking(param: str) -> bool:
    return param.lower().startswith("utm_") or param.lower() in _TRACKING_PARAMS


def _id_from_url(url: str) -> str:
    # Stable across producers and replays: the same canonical URL always gives the same id.
    return "url-" + hashlib.sha256(url.encode()).hexdigest()[:24]


def _source_from_url(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _parse_published_at(value: str | None, received_at: datetime) -> datetime:
    if value is None or value.strip() == "":
        return received_at.astimezone(UTC)
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidArticle(
            f"{text[:100]!r} is not an RFC 3339 date-time (e.g. 2017-11-03T14:05:00Z)", field="published_at"
        ) from None
    if moment.tzinfo is None:
        # A bare date or a local time with no offset: read as UTC, the only reading that is stable.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _reject_nul(document: dict[str, Any]) -> None:
    for name in ("url", "title", "text", "html", "source", "language"):
        value = document.get(name)
        if isinstance(value, str) and "\x00" in value:
            raise InvalidArticle(f"contains a NUL character at offset {value.index(chr(0))}", field=name)


def _schema_error(error: ValidationError) -> InvalidArticle:
    path = ".".join(str(p) for p in error.absolute_path) or None
    if error.validator == "type":
        expected = error.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return InvalidArticle(f"expected {expected_text}, got {_type_name(error.instance)}", field=path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return InvalidArticle("is required but missing", field=missing)
    if error.validator == "anyOf" and not path:
        return InvalidArticle("the article has neither text nor html; one of them is required")
    if error.validator in ("minLength", "maxLength"):
        return InvalidArticle(f"has length {len(error.instance)}; {error.message.split(' is ')[-1]}", field=path)
    return InvalidArticle(error.message[:300], field=path)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
