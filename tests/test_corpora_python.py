"""Corpora from Python objects: lists, generators, datasets; one-shot iterators spooled."""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import mixed_texts

import tokkit
from tokkit.corpora import CorpusError, TextCorpus, as_corpus
from tokkit.corpora.python_objects import SpooledCorpus

TEXTS = mixed_texts(10)


def test_train_takes_a_list_a_tuple_a_generator_and_a_spec():
    reference = tokkit.train("bpe", TextCorpus(TEXTS), 300)[300]
    for corpus in (TEXTS, tuple(TEXTS), (t for t in TEXTS), map(str, TEXTS)):
        tok = tokkit.train("bpe", corpus, 300)[300]
        assert tok.backend.to_str() == reference.backend.to_str()
    assert tokkit.train("bpe", "sample:eng", 300)[300].provenance.corpus["spec"] == "sample:eng"


def test_a_one_shot_iterator_gives_the_fingerprint_of_its_texts(tmp_path):
    """Superword reads its corpus twice and char BPE reads it twice as well: the spool
    gives every pass, and the fingerprint tokkit.json records, the same texts."""
    for algorithm, size in (("superword", 500), ("char", 450)):
        tok = tokkit.train(algorithm, (t for t in TEXTS), size)[size]
        listed = tokkit.train(algorithm, TEXTS, size)[size]
        assert tok.encode(TEXTS[1]) == listed.encode(TEXTS[1])
        tok.save(tmp_path / algorithm)
        recorded = json.loads((tmp_path / algorithm / "tokkit.json").read_text())["corpus"]
        assert recorded["sha256"] == TextCorpus(TEXTS).fingerprint()


def test_evaluate_takes_texts():
    tok = tokkit.train("bpe", TEXTS, 300)[300]
    texts = ["hello world", "Kırmızı şapkalı kız"]
    expected = sum(len(tok.encode(t)) for t in texts)
    for corpus in (texts, iter(texts), (t for t in texts)):
        table = tokkit.evaluate(tok, corpus, metrics=["ctc"])
        assert [r.value for r in table.rows] == [expected]


def test_a_list_of_specs_is_still_a_list_of_corpora():
    corpus = as_corpus(["sample:eng", "sample:tur"])
    assert corpus.spec == "sample:eng + sample:tur"
    tok = tokkit.train("bpe", TEXTS, 300)[300]
    table = tokkit.evaluate(tok, ["sample:eng", "sample:tur"], metrics=["ctc"])
    assert table.corpora() == ["sample:eng", "sample:tur"]


@pytest.mark.parametrize("obj,message", [
    (["sample:eng", "hello world"], "give corpus specs or texts"),
    (["fine", 3], "item 1 is int"),
    ([{"body": "x"}], "no 'text' field"),
    (42, "cannot read texts from int"),
    (b"bytes", "decode the bytes"),
    ({"eng": ["x"]}, "a mapping is not a corpus"),
])
def test_what_is_not_a_corpus_is_one_line(obj, message):
    with pytest.raises(CorpusError, match=message):
        list(as_corpus(obj).texts())


def test_the_spool_keeps_every_text_exactly():
    texts = ["line\nbreak", "", "tab\there", "\ud800 lone surrogate", "東京 🎉", "x" * 100_000]
    corpus = as_corpus(iter(texts))
    assert isinstance(corpus, SpooledCorpus)
    first = corpus.texts()
    assert list(itertools.islice(first, 2)) == texts[:2]  # a pass that stops early
    assert list(corpus.texts()) == texts  # the next reads the spool, then the rest
    interleaved = list(zip(corpus.texts(), corpus.texts()))
    assert interleaved == list(zip(texts, texts))
    assert corpus.fingerprint() == TextCorpus(texts).fingerprint()


class _FakeDataset:
    """What tokkit relies on of a datasets.Dataset: column names and rows as dicts."""

    column_names = ["content"]

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return ({"content": row} for row in self.rows)


def test_a_dataset_like_object_gives_its_only_column():
    corpus = as_corpus(_FakeDataset(TEXTS[:3]))
    assert list(corpus.texts()) == TEXTS[:3] and list(corpus.texts()) == TEXTS[:3]
    assert corpus.spec == "<_FakeDataset 'content' column, 3 texts>"


def test_a_hugging_face_dataset():
    datasets = pytest.importorskip("datasets", reason="the datasets package is not installed (tokkit does not need it)")
    dataset = datasets.Dataset.from_dict({"text": TEXTS, "id": list(range(len(TEXTS)))})
    reference = tokkit.train("bpe", TEXTS, 300)[300]
    for corpus in (dataset, dataset.to_iterable_dataset(), dataset["text"]):
        assert tokkit.train("bpe", corpus, 300)[300].backend.to_str() == reference.backend.to_str()
    with pytest.raises(CorpusError, match="pick one"):
        as_corpus(datasets.DatasetDict({"train": dataset}))
    with pytest.raises(CorpusError, match="no 'text' column"):
        as_corpus(dataset.rename_column("text", "body"))
