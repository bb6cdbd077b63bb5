"""Settings: one documented place, read from the environment, kept in step with the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.settings import Settings, settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_configuration_table_matches_the_settings() -> None:
    assert settings_table() in README.read_text(), "regenerate it with `frontwire settings --markdown`"


def test_environment_values_are_typed_and_prefix_applies_to_every_topic() -> None:
    settings = Settings.from_env(
        {"FRONTWIRE_PARTITIONS": "8", "FRONTWIRE_TOPIC_PREFIX": "stg.", "FRONTWIRE_BROKER": "kafka://k:9092"}
    )
    assert settings.partitions == 8
    assert settings.bootstrap == "k:9092"
    assert all(name.startswith("stg.") for name in settings.topics.all())
    assert settings.topics.raw == "stg.articles.raw"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FRONTWIRE_PARTITIONS": "many"}, "FRONTWIRE_PARTITIONS='many' is not a valid int"),
        ({"FRONTWIRE_PARTITIONS": "0"}, "at least 1"),
        ({"FRONTWIRE_BROKER": "localhost:9092"}, "kafka://host:port"),
        ({"FRONTWIRE_PROCESSING_GUARANTEE": "maybe"}, "at_least_once or exactly_once"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)
