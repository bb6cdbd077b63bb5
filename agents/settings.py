"""Worker settings: one typed object, each field documented once with its environment variable.

The README's configuration table is generated from :data:`SETTINGS_DOC` (``frontwire
settings --markdown``) and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Settings", "TopicNames", "settings_table"]


def _setting(env: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicNames:
    """The Kafka topic names; every name gets ``Settings.topic_prefix`` in front."""

    raw: str = "articles.raw"
    valid: str = "articles.valid"  # internal: validated, normalised articles, keyed by article id
    deadletter: str = "articles.deadletter"
    enriched: str = "articles.enriched"
    events: str = "events.territorial"
    alerts: str = "alerts.territorial"
    deliveries: str = "webhooks.deliveries"

    def prefixed(self, prefix: str) -> TopicNames:
        """The same names with ``prefix`` in front of each."""
        return TopicNames(**{f.name: prefix + getattr(self, f.name) for f in fields(self)})

    def all(self) -> list[str]:
        """Every topic name, in pipeline order."""
        return [getattr(self, f.name) for f in fields(self)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a worker, the CLI and the embedded broker can be told."""

    broker: str | None = _setting(
        "FRONTWIRE_BROKER",
        None,
        "Kafka bootstrap URL, `kafka://host:port`. Unset: `frontwire run` starts the embedded broker "
        "and `frontwire worker`/`publish`/`tail` use `kafka://127.0.0.1:9092`.",
    )
    app_id: str = _setting(
        "FRONTWIRE_APP_ID", "frontwire", "Faust application id: the consumer group and the prefix of table changelogs."
    )
    topic_prefix: str = _setting("FRONTWIRE_TOPIC_PREFIX", "", "Put in front of every topic name (e.g. `staging.`).")
    partitions: int = _setting(
        "FRONTWIRE_PARTITIONS",
        4,
        "Partitions of every topic and table changelog. One number for all, so a table and the topic "
        "that feeds it always agree.",
    )
    replication_factor: int = _setting("FRONTWIRE_REPLICATION", 1, "Replication factor of the topics frontwire creates.")
    web_port: int = _setting("FRONTWIRE_WEB_PORT", 6066, "Port of the worker's web server (health, views, API).")
    web_host: str = _setting("FRONTWIRE_WEB_HOST", "127.0.0.1", "Address the worker's web server binds.")
    embedded_port: int = _setting("FRONTWIRE_EMBEDDED_PORT", 9092, "Port of the embedded broker `frontwire run` starts.")
    dedup_evict_interval_s: float = _setting(
        "FRONTWIRE_DEDUP_EVICT_INTERVAL_S",
        600.0,
        "How often the near-duplicate index drops entries older than its 7-day window (in stream time: the "
        "latest published_at seen), which bounds its memory to about 13 KB per article of the window.",
    )
    max_article_bytes: int = _setting(
        "FRONTWIRE_MAX_ARTICLE_BYTES", 4 * 1024 * 1024, "Raw messages larger than this go to the dead-letter topic."
    )
    rebalance_timeout_s: float = _setting(
        "FRONTWIRE_REBALANCE_TIMEOUT_S",
        3.0,
        "Consumer-group rebalance timeout. The embedded broker waits this long before completing a join, "
        "so keep it short in development.",
    )
    processing_guarantee: str = _setting(
        "FRONTWIRE_PROCESSING_GUARANTEE",
        "at_least_once",
        "`at_least_once`, or `exactly_once` on brokers with transactions (Apache Kafka; not the embedded one).",
    )
    data_dir: str = _setting("FRONTWIRE_DATA_DIR", "./frontwire-data", "Worker's local state directory.")
    log_level: str = _setting("FRONTWIRE_LOG_LEVEL", "info", "Log level: debug, info, warning, error.")
    api_token: str | None = field(
        default=None,
        repr=False,  # a secret: never in a repr, hence never in a log line
        metadata={
            "env": "FRONTWIRE_API_TOKEN",
            "doc": "Bearer token the subscriptions API (`/subscriptions`) and the `subscribe`/`subscriptions`/"
            "`unsubscribe` commands use. Unset: the API refuses every request with 503.",
        },
    )
    api_url: str | None = _setting(
        "FRONTWIRE_API_URL",
        None,
        "Base URL of a worker's API for the CLI's webhook commands. Unset: `http://127.0.0.1:$FRONTWIRE_WEB_PORT`.",
    )
    webhook_allow_private: int = _setting(
        "FRONTWIRE_WEBHOOK_ALLOW_PRIVATE",
        0,
        "`1` lets webhooks target loopback, private and link-local addresses (development, tests); `0` refuses them.",
    )
    webhook_max_attempts: int = _setting(
        "FRONTWIRE_WEBHOOK_MAX_ATTEMPTS", 8, "Attempts per webhook delivery, the first included; then a dead letter."
    )
    webhook_base_delay_s: float = _setting(
        "FRONTWIRE_WEBHOOK_BASE_DELAY_S", 1.0, "Ceiling of the first retry's random wait; doubles per retry (full jitter)."
    )
    webhook_max_delay_s: float = _setting(
        "FRONTWIRE_WEBHOOK_MAX_DELAY_S", 300.0, "Longest wait between two attempts, Retry-After included."
    )
    webhook_timeout_s: float = _setting(
        "FRONTWIRE_WEBHOOK_TIMEOUT_S", 10.0, "Per attempt, from connecting to the last byte of the answer."
    )
    webhook_concurrency: int = _setting(
        "FRONTWIRE_WEBHOOK_CONCURRENCY", 8, "Requests in flight at once per subscription."
    )
    webhook_queue_size: int = _setting(
        "FRONTWIRE_WEBHOOK_QUEUE_SIZE",
        10000,
        "Deliveries a subscription may have outstanding (queued, in flight or waiting to retry); "
        "beyond it new ones are shed to the dead-letter topic.",
    )
    topics: TopicNames = field(default_factory=TopicNames)

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError(f"FRONTWIRE_PARTITIONS must be at least 1, not {self.partitions}")
        if self.processing_guarantee not in ("at_least_once", "exactly_once"):
            raise ValueError(
                "FRONTWIRE_PROCESSING_GUARANTEE must be at_least_once or exactly_once, "
                f"not {self.processing_guarantee!r}"
            )
        if self.broker is not None and not self.broker.startswith("kafka://"):
            raise ValueError(f"FRONTWIRE_BROKER must look like kafka://host:port, not {self.broker!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from environment variables, then ``overrides``; bad values raise ValueError."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            env = f.metadata.get("env")
            if env is None or env not in environ or environ[env] == "":
                continue
            raw = environ[env]
            kind: type = type(f.default) if f.default is not None else str
            try:
                values[f.name] = _parse(kind, raw)
            except ValueError:
                raise ValueError(f"{env}={raw!r} is not a valid {kind.__name__}") from None
        values.update(overrides)
        settings = cls(**values)
        if settings.topic_prefix:
            object.__setattr__(settings, "topics", settings.topics.prefixed(settings.topic_prefix))
        return settings

    @property
    def bootstrap(self) -> str:
        """``host:port`` of the broker for Kafka clients."""
        url = self.broker or f"kafka://127.0.0.1:{self.embedded_port}"
        return url.removeprefix("kafka://")


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        # bool("0") is True: flags are read by their words.
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    return kind(raw)


def settings_table() -> str:
    """The configuration table of the README, in Markdown."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        if "env" not in f.metadata:
            continue
        default = "unset" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)
