"""Sample tokenizations: which lines, and that each is stored as segments() cuts it."""

from __future__ import annotations

import json

import pytest

import tokkit
from tokkit.corpora import ParallelCorpus, TextCorpus
from tokkit.evaluation import open_source
from tokkit.samples import LONGEST, SHORTEST, pick_lines, rows, sample_tokenizations
from tokkit.segments import segments


def test_pick_lines_takes_readable_lines_spread_over_the_text():
    lines = ["short"] * 3 + [f"a readable line of text, number {i}, long enough" for i in range(10)] + ["x" * 500]
    picked = pick_lines(lines, 3)
    assert all(SHORTEST <= len(lines[i]) <= LONGEST for i in picked)
    assert picked == [3, 6, 9]  # evenly over the ten readable ones
    assert pick_lines(["", "only short", "tiny"], 2) == [1, 2]  # too few readable lines: any that are not blank
    assert pick_lines([], 2) == []


def test_rows_are_segments_in_short(bpe_300):
    text = "Hello 東京 world"
    stored = rows(bpe_300, text)
    expected = segments(bpe_300, text)
    assert [(r[0], r[1], r[2] if len(r) > 2 else "text") for r in stored] == [(s.id, s.text, s.kind) for s in expected]
    parts = [(r, s) for r, s in zip(stored, expected) if s.kind == "bytes"]
    assert parts and all(r[3] == text[s.start:s.end] and r[3] in "東京" for r, s in parts)  # the character each is part of


def test_aligned_corpora_show_the_same_line_in_every_language(bpe_300, unigram_420):
    lines = {
        "eng_Latn": ["Hi.", "The first sentence that is long enough to show.", "The second sentence that is long enough."],
        "tur_Latn": ["Selam.", "Gösterecek kadar uzun olan birinci cümle burada.", "Yeterince uzun olan ikinci cümle."],
    }
    source = open_source(ParallelCorpus.from_lines(lines, spec="two"))
    found = sample_tokenizations([bpe_300, unigram_420], ["a", "b"], [source], per_lang=2, reference="eng_Latn")
    assert found["per_lang"] == 2 and list(found["corpora"]) == ["two"]
    for lang, samples in found["corpora"]["two"].items():
        assert [s["line"] for s in samples] == [1, 2]
        for sample in samples:
            assert sample["text"] == lines[lang][sample["line"]]
            assert sample["tokens"] == {"a": rows(bpe_300, sample["text"]), "b": rows(unigram_420, sample["text"])}
    assert json.loads(json.dumps(found)) == found


def test_a_corpus_without_languages_is_sampled_as_a_whole(bpe_300):
    source = open_source(TextCorpus(["too short", "This line of the corpus is long enough to be shown."], spec="plain"))
    found = sample_tokenizations([bpe_300], ["bpe"], [source], per_lang=1)
    assert [s["line"] for s in found["corpora"]["plain"]["all"]] == [1]


def test_evaluate_keeps_samples_and_vocabularies_only_when_asked(bpe_300):
    corpus = TextCorpus(["This line of the corpus is long enough to be shown."], spec="plain")
    plain = tokkit.evaluate(bpe_300, corpus, metrics=["ctc"])
    assert "samples" not in plain.header and "vocabulary" not in plain.header
    full = tokkit.evaluate(bpe_300, corpus, metrics=["ctc"], samples=1, vocabulary=True)
    assert full.header["samples"]["corpora"]["plain"]["all"][0]["line"] == 0
    assert [p["name"] for p in full.header["vocabulary"]["profiles"]] == [bpe_300.name]
    with pytest.raises(tokkit.TokkitError, match="samples must be at least 0, not -1"):
        tokkit.evaluate(bpe_300, corpus, metrics=["ctc"], samples=-1)
