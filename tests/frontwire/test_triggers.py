"""The trigger lexicon: its invariants, and a loader that names file and line on a fault."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from frontwire.errors import DataFileError
from frontwire.events import TRIGGERS_PATH, TriggerLexicon
from frontwire.models import Change

ROLES = {"active", "expel", "passive", "nominal", "withdraw", "contest", "nochange"}


def test_lexicon_invariants() -> None:
    data = tomllib.loads(TRIGGERS_PATH.read_text())
    phrases: list[str] = []
    for name, table in data["pattern"].items():
        assert table["role"] in ROLES, name
        if table["role"] in ("contest", "nochange"):
            assert "change" not in table, name
        else:
            Change(table["change"])
        if table["role"] == "expel":
            assert all(p.count("*") == 1 for p in table["phrases"]), name
        phrases.extend(table["phrases"])
    assert len(phrases) == len(set(phrases)), "a phrase may belong to one pattern only"
    assert all(p == p.strip().lower() and p for p in phrases)
    for name in ("expected", "negation", "background", "claim", "neutral", "denial"):
        assert data["markers"][name], name
    assert "of" in data["gap"]["words"]


def test_loader_compiles_every_phrase() -> None:
    lexicon = TriggerLexicon.load()
    assert len(lexicon.triggers) > 200
    assert any(t.pattern.search("Syrian forces pushed ISIS militants out of the city") for t in lexicon.triggers)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[pattern.x]\nrole = "sideways"\nchange = "capture"\nphrases = ["took"]\n', "1: unknown role 'sideways'"),
        ('[pattern.x]\nrole = "active"\nchange = "capture"\nphrases = ["took", "Seized"]\n', "4: phrase 'Seized'"),
        ('[pattern.x]\nrole = "active"\nchange = "capture"\nphrases = ["took"]\n'
         '[pattern.y]\nrole = "active"\nchange = "capture"\nphrases = [\n "took"]\n', "is in x too"),
        ('[pattern.x\nrole = "active"\n', "triggers.toml"),
    ],
)
def test_loader_reports_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "triggers.toml"
    path.write_text(content)
    with pytest.raises(DataFileError) as caught:
        TriggerLexicon.load(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
