"""The command line as a user runs it: a real process, real input and output."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from frontwire.schemas import load_schema, schema_registry

pytestmark = pytest.mark.timeout(300)


def frontwire(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "agents.cli", *args], input=stdin, capture_output=True, timeout=timeout, env=env)


@pytest.mark.parametrize("command", ["broker", "run", "worker", "publish", "tail", "extract", "demo", "settings"])
def test_every_command_has_help(command: str) -> None:
    result = frontwire(command, "--help")
    assert result.returncode == 0
    assert b"Usage: " in result.stdout


def test_extract_keeps_order_and_ids_and_reports_bad_lines(seed_article: dict[str, Any]) -> None:
    second = {"id": "second", "url": "https://example.org/b", "text": "Taliban fighters captured Kunduz on Monday."}
    lines = [
        orjson.dumps(seed_article),
        b"{not json",
        orjson.dumps({"url": "https://example.org/no-text"}),
        orjson.dumps(second),
    ]
    result = frontwire("extract", stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 1  # some inputs failed; the batch still went through
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [a["id"] for a in out] == [seed_article["id"], "second"]
    errors = result.stderr.decode()
    assert "line 2: the message is not valid JSON" in errors
    assert "line 3: the article has neither text nor html" in errors
    assert "extracted 2 articles, 2 errors" in errors
    validator = Draft202012Validator(load_schema("enriched-article"), registry=schema_registry())
    for article in out:
        validator.validate(article)
        for entity in article["entities"]:
            assert article["text"][entity["start"] : entity["end"]] == entity["surface"]


def test_extract_reads_an_array_file(tmp_path: Path, seed_article: dict[str, Any]) -> None:
    path = tmp_path / "articles.json"
    path.write_bytes(orjson.dumps([seed_article, {"url": "https://example.org/c", "html": "<p>Quiet day.</p>"}, 7]))
    result = frontwire("extract", str(path))
    assert result.returncode == 1
    assert len(result.stdout.decode().splitlines()) == 2
    assert "item 3: expected a JSON object" in result.stderr.decode()


def test_extract_reads_one_pretty_printed_object(tmp_path: Path, seed_article: dict[str, Any]) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(seed_article, indent=2))
    result = frontwire("extract", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["id"] == seed_article["id"]


def test_broker_says_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = frontwire("broker", "--port", str(port), timeout=30)
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr.decode()
