"""Raw-article validation: what is accepted, how it is normalised, and the reason given for what is not."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from frontwire.errors import InvalidArticle
from frontwire.ingest import article_to_dict, canonical_url, parse_raw_article

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def parse(document: object) -> object:
    return parse_raw_article(orjson.dumps(document), received_at=NOW)


def test_minimal_article_gets_id_source_and_time_from_context() -> None:
    article = parse({"url": "https://www.Example.com/a?utm_source=tw&page=2#comments", "text": "t"})
    assert article.url == "https://www.example.com/a?page=2"
    assert article.source == "example.com"
    assert article.published_at == NOW
    assert article.id.startswith("url-")
    assert article.id == parse({"url": "https://www.example.com/a?page=2", "text": "other"}).id


def test_unknown_fields_are_kept_and_round_trip() -> None:
    article = parse({"url": "https://a.org/x", "html": "<p>x</p>", "id": 7, "feed": {"name": "wire"}})
    assert article.id == "7"
    assert article.extra == {"feed": {"name": "wire"}}
    assert article_to_dict(article)["feed"] == {"name": "wire"}
    again = parse(article_to_dict(article))
    assert again == article


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-11-03T10:00:00+02:00", datetime(2017, 11, 3, 8, 0, tzinfo=UTC)),
        ("2017-11-03T08:00:00Z", datetime(2017, 11, 3, 8, 0, tzinfo=UTC)),
        ("2017-11-03", datetime(2017, 11, 3, tzinfo=UTC)),
        (None, NOW),
    ],
)
def test_published_at_is_read_as_utc(value: str | None, expected: datetime) -> None:
    assert parse({"url": "https://a.org/x", "text": "t", "published_at": value}).published_at == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "tombstone"),
        (b"", "value is empty"),
        (b"nope", "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8: byte 0xff at offset 0"),
        (b"[" * 3000 + b"]" * 3000, "depth limit exceeded"),
        (b"[]", "expected a JSON object, got array"),
        (b"null", "expected a JSON object, got null"),
        (orjson.dumps({"text": "t"}), "url: is required but missing"),
        (orjson.dumps({"url": "https://a.org"}), "neither text nor html"),
        (orjson.dumps({"url": 1, "text": "t"}), "url: expected string, got integer"),
        (orjson.dumps({"url": "https://a.org", "text": "t", "title": 3.5}), "title: expected string or null, got number"),
        (orjson.dumps({"url": "https://a.org", "text": "t", "published_at": "soon"}), "published_at: 'soon' is not"),
        (orjson.dumps({"url": "mailto:x@y.org", "text": "t"}), "url: 'mailto:x@y.org' is not an http(s) URL"),
        (orjson.dumps({"url": "https://a.org", "text": "a\u0000b"}), "text: contains a NUL character at offset 1"),
        (orjson.dumps({"url": "https://a.org", "text": " ", "html": "\n"}), "text: text and html are both empty"),
        (orjson.dumps({"url": "", "text": "t"}), "url: has length 0"),
    ],
)
def test_rejections_name_the_field_and_the_fault(raw: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidArticle) as caught:
        parse_raw_article(raw, received_at=NOW)
    assert reason in str(caught.value)


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(InvalidArticle, match="the limit is 100"):
        parse_raw_article(b'{"url": "https://a.org", "text": "' + b"x" * 200 + b'"}', received_at=NOW, max_bytes=100)


def test_canonical_url_drops_default_port_and_tracking() -> None:
    assert canonical_url("HTTP://News.Example:80/p?fbclid=1&id=3") == "http://news.example/p?id=3"
    assert canonical_url("https://news.example:8443") == "https://news.example:8443/"
