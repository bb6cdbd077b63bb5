"""The public message contract: every schema is valid JSON Schema 2020-12 and every $ref resolves."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from frontwire.schemas import SCHEMA_DIR, load_schema, schema_registry

NAMES = sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json"))


def test_every_message_kind_has_a_schema() -> None:
    assert {"raw-article", "enriched-article", "territorial-event", "alert", "dead-letter"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_and_refs_resolve(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")
    registry = schema_registry()
    text = str(schema)
    for ref in {part.split("'")[0] for part in text.split("'$ref': '")[1:]}:
        resolver = registry.resolver(base_uri=schema["$id"])
        resolver.lookup(ref)
