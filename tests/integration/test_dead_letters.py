"""Bad input through a real broker: every bad message is dead-lettered with its reason, nothing is lost,
and the worker keeps running."""

from __future__ import annotations

import base64
import urllib.request
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from kafkaio import produce, read_topic

from agents.settings import Settings
from frontwire.schemas import load_schema, schema_registry

pytestmark = pytest.mark.broker


def _good(index: int, seed: dict[str, Any]) -> list[tuple[bytes | None, bytes | None]]:
    """Good articles in every shape producers send."""
    story = str(seed["text"]).split("This story was reported")[0]
    return [
        (b"seed", orjson.dumps(seed)),
        (None, orjson.dumps({"url": f"https://example.org/news/{index}-plain", "text": story[:1500]})),
        (b"html", orjson.dumps({
            "url": f"https://example.org/news/{index}-html",
            "html": f"<html><body><article><h1>Deir el-Zour</h1><p>{story[:1200]}</p></article></body></html>",
            "published_at": "2017-11-03T10:00:00+02:00",
        })),
        (b"42", orjson.dumps({"id": 42, "url": f"https://example.org/news/{index}-int-id", "text": story[:800],
                              "published_at": "2017-11-03", "unknown_field": {"kept": True}})),
        (None, orjson.dumps({"url": f"HTTPS://Example.ORG/news/{index}-tracked?utm_source=x#top", "text": story[:600],
                             "title": "Tracked", "source": None, "language": "en"})),
    ]


def _bad(seed: dict[str, Any]) -> list[tuple[tuple[bytes | None, bytes | None], str]]:
    """(message, words the dead-letter reason must contain) for each kind of bad input."""
    deep = b"[" * 5000 + b"]" * 5000
    return [
        ((b"k1", b"this is not json"), "not valid JSON"),
        ((b"k2", b"[1, 2, 3]"), "expected a JSON object, got array"),
        ((b"k3", b'"just a string"'), "expected a JSON object, got string"),
        ((b"k4", orjson.dumps({"text": "no url here"})), "url: is required"),
        ((b"k5", orjson.dumps({"url": "https://example.org/x", "title": "t"})), "neither text nor html"),
        ((b"k6", orjson.dumps({"url": 42, "text": "t"})), "url: expected string, got integer"),
        ((b"k7", orjson.dumps({"url": "https://example.org/y", "text": ["a", "b"]})), "text: expected string, got array"),
        ((b"k8", b'{"url": "https://example.org/z", "text": "caf\xe9"}'), "not valid UTF-8"),
        ((b"k9", b'{"url": "https://example.org/big", "text": "' + b"x" * (20 * 1024 * 1024) + b'"}'), "the limit is"),
        ((b"k10", deep), "depth limit exceeded"),
        ((b"k11", orjson.dumps({"url": "https://example.org/nul", "text": "Deir\u0000 el-Zour"})), "text: contains a NUL"),
        ((b"k12", b""), "value is empty"),
        ((b"k13", orjson.dumps({"url": "https://example.org/d", "text": "t", "published_at": "last Friday"})),
         "published_at: 'last Friday' is not an RFC 3339"),
        ((b"k14", None), "tombstone"),
        ((b"k15", orjson.dumps({"url": "ftp://example.org/file", "text": "t"})), "not an http(s) URL"),
        ((b"k16", orjson.dumps({"url": "https://example.org/blank", "text": "  \n ", "html": ""})), "both empty"),
        ((b"k17", b"\x00\x00\x00"), "not valid JSON"),
    ]


def test_bad_input_is_dead_lettered_and_counts_add_up(
    isolated_settings: Settings, start_worker: Any, seed_article: dict[str, Any]
) -> None:
    settings = isolated_settings
    worker = start_worker(settings)
    bad = _bad(seed_article)
    good: list[tuple[bytes | None, bytes | None]] = []
    stream: list[tuple[bytes | None, bytes | None]] = []
    for index, (message, _reason) in enumerate(bad):
        batch = _good(index, seed_article) if index % 4 == 0 else []
        good.extend(batch)
        stream.extend(batch)
        stream.append(message)

    sent = produce(settings.bootstrap, settings.topics.raw, stream)

    enriched = read_topic(settings.bootstrap, settings.topics.enriched, count=len(good), timeout_s=120)
    dead = read_topic(settings.bootstrap, settings.topics.deadletter, count=len(bad), timeout_s=60)
    assert len(enriched) == len(good), worker.text()[-3000:]
    assert len(dead) == len(bad), [d[1]["error"] for d in dead]  # type: ignore[index]
    assert sent == len(enriched) + len(dead)

    registry = schema_registry()
    dead_schema = Draft202012Validator(load_schema("dead-letter"), registry=registry)
    enriched_schema = Draft202012Validator(load_schema("enriched-article"), registry=registry)
    by_key = {key: value for key, value in dead}
    for (key, original), reason in bad:
        record = by_key[key]
        assert isinstance(record, dict)
        dead_schema.validate(record)
        assert reason in record["error"], (key, record["error"])
        assert record["stage"] == "ingest"
        assert record["topic"] == settings.topics.raw
        if original is None:
            assert record["original"] is None
        elif record["original_truncated"]:
            assert record["original_size"] == len(original)
            assert original.startswith(base64.b64decode(record["original"]))
        else:
            assert base64.b64decode(record["original"]) == original
    for _key, article in enriched:
        enriched_schema.validate(article)

    enriched_by_url = {a["url"]: a for _k, a in enriched}  # type: ignore[index]
    assert "https://example.org/news/0-tracked" in enriched_by_url  # canonical: lower-case host, no utm_, no fragment
    assert enriched_by_url["https://example.org/news/0-int-id"]["id"] == "42"

    assert worker.alive(), worker.text()[-3000:]
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/health", timeout=10) as response:
        assert response.status == 200
        assert orjson.loads(response.read())["status"] == "ok"
