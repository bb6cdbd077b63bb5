"""Create every frontwire topic up front, with the configured partition count.

Measured on the embedded broker: a topic auto-created by a first produce gets 4 partitions,
and a Faust table whose changelog has another count than its source topic crashes its agent
with PartitionsMismatch on every restart. So every topic and changelog is created here,
before any worker or producer touches it, all with ``Settings.partitions``.
"""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from agents.settings import Settings

__all__ = ["TopicMismatch", "changelog_topics", "ensure_topics"]

log = logging.getLogger("frontwire.topics")

TABLE_DEDUP = "dedup-index"
TABLE_CONTROL = "control"
TABLE_CONTROL_VIEW = "control-view"
# Tables the app declares; their changelogs are named by Faust as <app_id>-<table>-changelog.
TABLES: tuple[str, ...] = (TABLE_DEDUP, TABLE_CONTROL, TABLE_CONTROL_VIEW, "webhook-subscriptions", "webhook-pending")


class TopicMismatch(RuntimeError):
    """An existing topic has another partition count than the settings ask for."""


def changelog_topics(settings: Settings) -> list[str]:
    """The changelog topic of every table, as Faust names them."""
    return [f"{settings.app_id}-{table}-changelog" for table in TABLES]


def ensure_topics(settings: Settings, *, timeout_s: float = 30.0) -> list[str]:
    """Create every missing topic; raise TopicMismatch if one exists with another partition count."""
    wanted = settings.topics.all() + changelog_topics(settings)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap, client_id="frontwire-admin", request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        existing = set(admin.list_topics())
        compacted = set(changelog_topics(settings))
        missing = [
            NewTopic(
                name,
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in wanted
            if name not in existing
        ]
        created: list[str] = []
        for new in missing:
            try:
                admin.create_topics([new], timeout_ms=int(timeout_s * 1000))
                created.append(new.name)
            except TopicAlreadyExistsError:
                pass  # another worker created it between our list and our create
        mismatched = _partition_counts(admin, [n for n in wanted if n not in created])
        wrong = {name: count for name, count in mismatched.items() if count != settings.partitions}
        if wrong:
            listing = ", ".join(f"{name} has {count}" for name, count in sorted(wrong.items()))
            raise TopicMismatch(
                f"topics exist with another partition count than FRONTWIRE_PARTITIONS={settings.partitions}: "
                f"{listing}. Tables need their changelog to agree with their source topic; "
                "recreate the topics or set FRONTWIRE_PARTITIONS to match."
            )
        if created:
            log.info("created topics partitions=%d names=%s", settings.partitions, ",".join(created))
        return created
    finally:
        admin.close()


def _partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    counts: dict[str, int] = {}
    for description in admin.describe_topics(names):
        counts[description.get("name") or description["topic"]] = len(description["partitions"])
    return counts
