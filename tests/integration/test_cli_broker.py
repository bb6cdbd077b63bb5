"""`frontwire run`, `publish` and `tail` against the embedded broker, as a user types them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import settings_env
from kafkaio import read_topic

from agents.broker import free_port
from agents.kafkaio import iter_topic
from agents.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]


def cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "agents.cli", *args], env=env, input=stdin, capture_output=True, timeout=120)


def test_publish_a_folder_then_tail(isolated_settings: Settings, tmp_path: Path, seed_article: dict[str, Any]) -> None:
    env = settings_env(isolated_settings)
    from agents.topics import ensure_topics

    ensure_topics(isolated_settings)
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    (folder / "seed.json").write_bytes(orjson.dumps(seed_article))
    (folder / "two.json").write_bytes(
        orjson.dumps([{"url": "https://a.org/1", "text": "one"}, {"url": "https://a.org/2", "text": "two"}])
    )
    (folder / "nested" / "story.txt").write_text("Rebels take Sibut\n\nRebels took control of Sibut on Saturday.")
    (folder / "page.html").write_text("<html><body><p>Army retakes town.</p></body></html>")
    (folder / "notes.md").write_text("ignored: not an article format")

    result = cli("publish", str(folder), env=env)
    assert result.returncode == 0, result.stderr.decode()
    assert "published 5 of 5 messages" in result.stderr.decode()

    tailed = cli("tail", "articles.raw", "--from-beginning", "--max", "5", env=env)
    assert tailed.returncode == 0, tailed.stderr.decode()
    values = [orjson.loads(line) for line in tailed.stdout.splitlines()]
    assert len(values) == 5
    by_url = {v["url"]: v for v in values}
    assert by_url["https://localhost/articles/nested/story.txt"]["title"] == "Rebels take Sibut"
    assert "html" in by_url["https://localhost/articles/page.html"]

    piped = cli("publish", "-", env=env, stdin=b'{"url": "https://a.org/3", "text": "three"}\nnot json\n')
    assert piped.returncode == 0
    raw = list(iter_topic(isolated_settings.bootstrap, isolated_settings.topics.raw, idle_timeout_s=2.0))
    assert len(raw) == 7
    assert b"not json" in {m.value for m in raw}  # sent as it is: the pipeline dead-letters it with its reason


def test_run_starts_broker_and_worker_in_one_command(tmp_path: Path) -> None:
    port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRONTWIRE_EMBEDDED_PORT": str(port),
        "FRONTWIRE_WEB_PORT": str(web_port),
        "FRONTWIRE_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FRONTWIRE_BROKER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().decode()
        assert ready.startswith("frontwire ready: publish articles to articles.raw on kafka://127.0.0.1:"), ready
        settings = Settings.from_env({}, broker=f"kafka://127.0.0.1:{port}")
        published = cli(
            "publish",
            "-",
            env={**env, "FRONTWIRE_BROKER": settings.broker or ""},
            stdin=b'{"url": "https://a.org/run", "text": "Rebels captured Sibut."}\n',
        )
        assert published.returncode == 0
        enriched = read_topic(settings.bootstrap, settings.topics.enriched, count=1, timeout_s=60)
        assert next(v for _k, v in enriched)["url"] == "https://a.org/run"  # type: ignore[index]
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0, process.stderr.read().decode() if process.stderr else ""
    time.sleep(0.5)
    with pytest.raises(OSError):  # the broker went with it
        import socket

        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_broker_command_stops_cleanly_on_a_signal(stop_signal: signal.Signals) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "broker", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        while b"frontwire broker ready" not in (line := process.stderr.readline()):
            assert line, "the broker command ended before it was ready"
        process.send_signal(stop_signal)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
        assert process.stdout is not None
        process.stdout.close()
    from agents.broker import port_is_free

    assert port_is_free(port), "the Tansu child must go with the command"
