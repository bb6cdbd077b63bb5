"""The production files, checked statically (no Docker engine runs in CI)."""

from __future__ import annotations

from pathlib import Path

import yaml

from agents.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_kraft_kafka_without_auto_created_topics() -> None:
    kafka = compose()["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    listeners = {item.split("://")[0]: item.split("://")[1] for item in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    assert listeners["INTERNAL"] == "kafka:9092"
    assert "healthcheck" in kafka


def test_workers_share_one_configuration_that_frontwire_accepts() -> None:
    services = compose()["services"]
    workers = {name: svc for name, svc in services.items() if name.startswith("worker")}
    assert len(workers) >= 2, "scale-out needs at least two workers"
    for service in workers.values():
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        settings = Settings.from_env({k: str(v) for k, v in service["environment"].items()})
        assert settings.bootstrap == "kafka:9092"
        assert settings.processing_guarantee == "exactly_once"
    published = [svc["ports"][0].split(":")[0] for svc in workers.values()]
    assert len(set(published)) == len(published), "two workers cannot publish the same host port"


def test_dockerfile_installs_the_package_and_runs_a_worker() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11" in dockerfile
    for copied in ("frontwire", "agents", "schemas", "pyproject.toml"):
        assert f"COPY {copied}" in dockerfile or f" {copied} " in dockerfile
    assert 'ENTRYPOINT ["frontwire"]' in dockerfile and 'CMD ["worker"]' in dockerfile
    assert "USER frontwire" in dockerfile
