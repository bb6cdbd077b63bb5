"""Run a frontwire worker: the Faust app, its agents and its web server, until a signal stops it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import faust

from agents.app import build_app
from agents.logs import configure_logging
from agents.settings import Settings
from agents.topics import ensure_topics
from frontwire.enrich import Enricher

__all__ = ["run_worker"]

log = logging.getLogger("frontwire.worker")


class _Worker(faust.Worker):
    """Faust's worker without the terminal spinner, calling ``on_ready`` once the app is fully started."""

    def __init__(self, *args: Any, on_ready: Callable[[], None] | None, log_level: str, **kwargs: Any) -> None:
        super().__init__(*args, loglevel=log_level, **kwargs)
        self._log_level = log_level
        self.spinner = None  # escape codes and "OK ^" have no place in structured logs
        self._on_ready = on_ready
        self._started_at = time.monotonic()

    def _setup_logging(self) -> None:
        # mode would install its own format on the root logger; frontwire's one format wins.
        configure_logging(self._log_level)

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        if self._shutdown_immediately:
            return
        log.info("worker ready seconds=%.2f", time.monotonic() - self._started_at)
        if self._on_ready is not None:
            self._on_ready()


def run_worker(settings: Settings, *, on_ready: Callable[[], None] | None = None) -> None:
    """Create the topics, load the enricher, and run the worker until SIGINT or SIGTERM."""
    ensure_topics(settings)
    loading = time.monotonic()
    enricher = Enricher.shared()
    log.info("enricher loaded seconds=%.2f", time.monotonic() - loading)
    pipeline = build_app(settings, enricher=enricher)
    worker = _Worker(pipeline.app, log_level=settings.log_level, quiet=True, redirect_stdouts=False, on_ready=on_ready)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
