"""Shared fixtures: the embedded broker once per session, and a worker process per test that asks for one."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from agents.broker import EmbeddedBroker, free_port
from agents.settings import Settings

# The shared folder sits beside the project, wherever the clone lives.
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "seed-article.json"


@pytest.fixture(scope="session")
def seed_article() -> dict[str, object]:
    """The raw-article message the project was created from."""
    document: dict[str, object] = orjson.loads(SEED.read_bytes())
    return document


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """The embedded Tansu broker on a free port, shared by every broker test of the session."""
    embedded = EmbeddedBroker(port=free_port())
    try:
        embedded.start()
    except Exception:
        print(f"embedded broker output:\n{embedded.output()}", file=sys.stderr)
        raise
    yield embedded
    embedded.stop()


@pytest.fixture
def settings_factory(broker: EmbeddedBroker, tmp_path: Path) -> Callable[..., Settings]:
    """Factory: settings with their own topics, consumer group and web port on the session broker."""

    def make(**overrides: object) -> Settings:
        tag = uuid.uuid4().hex[:8]
        values: dict[str, object] = {
            "broker": f"kafka://{broker.bootstrap}",
            "app_id": f"frontwire-test-{tag}",
            "topic_prefix": f"t{tag}.",
            "web_port": free_port(),
            "data_dir": str(tmp_path / f"worker-{tag}"),
            "partitions": 2,
        }
        values.update(overrides)
        return Settings.from_env({}, **values)

    return make


@pytest.fixture
def isolated_settings(settings_factory: Callable[..., Settings]) -> Settings:
    """Settings with this test's own topics, consumer group and web port on the session broker."""
    return settings_factory()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that reproduce ``settings`` in a child process.

    A value other than the default is passed on; for a default, what the test put in the
    environment (monkeypatch.setenv) stays.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for f in dataclasses.fields(settings):
        name = f.metadata.get("env")
        value = getattr(settings, f.name)
        if name is not None and value is not None and value != f.default:
            env[name] = str(value)
    return env


@dataclass
class WorkerProcess:
    """A `frontwire worker` child process and what it printed."""

    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def text(self) -> str:
        """Everything it printed so far."""
        return "".join(self.output)

    def stop(self, sig: int = 15, timeout_s: float = 20.0) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def start_worker() -> Iterator[Callable[[Settings], WorkerProcess]]:
    """Factory: start a worker for some settings and return once it prints its ready line."""
    started: list[WorkerProcess] = []

    def start(settings: Settings, timeout_s: float = 90.0) -> WorkerProcess:
        process = subprocess.Popen(
            [sys.executable, "-m", "agents.cli", "worker"],
            env=settings_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        worker = WorkerProcess(process)
        started.append(worker)
        ready = threading.Event()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                worker.output.append(line)
                if line.startswith("frontwire ready"):
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not ready.wait(0.2):
            if not worker.alive() or time.monotonic() > deadline:
                worker.stop()
                raise AssertionError(f"worker did not become ready:\n{worker.text()[-5000:]}")
        return worker

    yield start
    for worker in started:
        worker.stop()
