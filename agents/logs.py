"""Logging: one key=value line per meaningful thing, and Faust's own chatter kept below INFO."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging"]

_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
# Faust, mode and aiokafka log every rebalance step and table flush at INFO; users want our
# pipeline events, so these speak only when something is wrong.
_NOISY = ("faust", "mode", "aiokafka", "kafka", "aiohttp.access", "agents.transport")


def configure_logging(level: str = "info") -> None:
    """Send logs to stderr at ``level`` with frontwire's format."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S%z"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
