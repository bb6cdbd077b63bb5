"""Sentence splitting keeps offsets exact and does not split at abbreviations."""

from __future__ import annotations

from frontwire.sentences import split_sentences


def test_offsets_point_at_the_sentence() -> None:
    text = "Rebels seized Sibut on Saturday. The army withdrew.\n\nResidents fled to Bangui."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Rebels seized Sibut on Saturday.", "The army withdrew.", "Residents fled to Bangui."]
    for sentence in sentences:
        assert text[sentence.start:sentence.end] == sentence.text


def test_abbreviations_and_quotes() -> None:
    text = 'Lt. Gen. Smith said U.S. troops left on Nov. 3. "We won," he said. 2,000 fled.'
    assert [s.text for s in split_sentences(text)] == [
        "Lt. Gen. Smith said U.S. troops left on Nov. 3.",
        '"We won," he said.',
        "2,000 fled.",
    ]
