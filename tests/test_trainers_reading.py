"""How training text reaches the trainers (tokkit/trainers/reading.py): plain files read by
Rust give what Python's streaming gives, byte for byte; long texts are cut where the
pre-tokenizers split anyway; pre-tokens are capped; progress follows Rust's reading;
errors are tokkit's one line; the memory check refuses a corpus too big up front."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.corpora import CorpusError, TextCorpus, open_corpus
from tokkit.corpora.base import cut_text
from tokkit.errors import TokkitError, TooLarge
from tokkit.trainers import base, reading
from tokkit.trainers.bpe_family import MAX_PRETOKEN, PRETOKENIZERS, byte_level_pre_tokenizer, capped

from conftest import cli, mixed_texts, one_error_line

#: lines a file reader could get wrong: CRLF and lone CR, tabs, edge spaces, a BOM,
#: U+2028 and U+0085, empty lines, several scripts
AWKWARD = ["\ufeffstart", "tab\there ", "  edge  ", "cr\rinside", "line\u2028sep", "nel\u0085x", "", "İstanbul'a",
           "敏捷的狐狸", "ثعلب", "a.\r", "end"]


def lines_file(tmp_path, lines, name="corpus.txt"):
    path = tmp_path / name
    path.write_bytes("".join(line + ("\r\n" if i % 3 == 0 else "\n") for i, line in enumerate(lines)).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def awkward_lines():
    return [f"{line} {text}" for text in mixed_texts(6) for line in AWKWARD]


@pytest.mark.parametrize("algorithm, size, options", [
    ("bpe", 600, {}), ("bpe", 600, {"pretokenizer": "gpt2", "split_digits": True}), ("char", 600, {}),
    ("superword", 700, {"transition": 500}),
])
def test_rust_reading_the_file_gives_what_python_streaming_gives(tmp_path, awkward_lines, algorithm, size, options):
    path = lines_file(tmp_path, awkward_lines)
    from_file = open_corpus(str(path))
    assert from_file.plain_files() == [path]
    direct = tokkit.train(algorithm, from_file, size, **options)[size]
    streamed = tokkit.train(algorithm, TextCorpus(list(from_file.texts())), size, **options)[size]
    assert direct.backend.to_str() == streamed.backend.to_str()
    assert direct.provenance.corpus["sha256"] == from_file.fingerprint()


def test_rust_reads_plain_files_and_python_the_rest(tmp_path, awkward_lines, monkeypatch):
    path = lines_file(tmp_path, awkward_lines)
    streamed = []
    real = reading.stream_texts
    monkeypatch.setattr(reading, "stream_texts", lambda *a, **k: streamed.append(1) or real(*a, **k))
    tokkit.train("bpe", open_corpus(str(path)), 400)
    assert streamed == []
    tokkit.train("bpe", open_corpus(str(path), errors="replace"), 400)
    assert streamed == [1]


@given(st.lists(st.sampled_from(["ab", "c", " ", "  ", "\t", "\n", ".", "?!", "漢字", "12345", "é", "'s"]), max_size=40),
       st.integers(3, 12))
def test_segments_cut_where_the_pre_tokenizers_split_anyway(parts, limit):
    """Pre-tokenizing the segments one by one gives the pre-tokens of the whole text, for
    every regex, when each cut lies before a space between two non-spaces (the others are
    the forced cuts of runs without one)."""
    text = "".join(parts)
    cut = list(reading.segments(cut_text(text, limit), limit))
    assert "".join(cut) == text
    assert all(len(segment) <= limit for segment in cut)
    safe = all(right[:1] == " " and not left[-1].isspace() and len(right) > 1 and not right[1].isspace()
               for left, right in zip(cut, cut[1:]))
    if safe:
        for pattern in PRETOKENIZERS.values():
            for digits in (False, True):
                pre = byte_level_pre_tokenizer(pattern, digits)
                whole = [piece for piece, _ in pre.pre_tokenize_str(text)]
                apart = [piece for segment in cut for piece, _ in pre.pre_tokenize_str(segment)]
                assert apart == whole


def test_a_cut_is_forced_only_where_no_space_can_be_cut():
    assert list(reading.segments(iter([("abcdefghij", True)]), 4)) == ["abcd", "efgh", "ij"]
    assert list(reading.segments(iter([("ab cd ef", True)]), 6)) == ["ab cd", " ef"]
    assert list(reading.segments(iter([("ab  cdefgh", True)]), 6)) == ["ab  cd", "efgh"]
    assert list(reading.segments(iter([("ab c", False), ("d efgh", True)]), 5)) == ["ab cd", " efgh"]


def test_a_long_line_reaches_the_trainer_in_segments(tmp_path, monkeypatch):
    """A line longer than MAX_SEGMENT (here made small) is not given to Rust's reader: Python
    streams it in pieces and the trainer gets segments of at most MAX_SEGMENT characters."""
    monkeypatch.setattr(reading, "MAX_SEGMENT", 500)
    line = " ".join(text.replace("\n", " ") for text in mixed_texts())
    path = tmp_path / "long.txt"
    path.write_text(f"short line\n{line}\nlast\n", encoding="utf-8")
    seen = []
    real = reading.segments
    monkeypatch.setattr(reading, "segments", lambda *a: (seen.append(s) or s for s in real(*a)))
    tokenizer = tokkit.train("bpe", open_corpus(str(path)), 400)[400]
    assert seen and max(map(len, seen)) <= 500
    assert "".join(seen) == "short line" + line + "last"
    assert tokenizer.provenance.corpus["sha256"] == open_corpus(str(path)).fingerprint()


def test_pre_tokens_are_capped(tmp_path):
    """One run of one letter: the trainer sees pieces of at most MAX_PRETOKEN bytes (without
    the cap it learns a token of 4096 a's here, in time quadratic in the run), and the
    saved tokenizer, which has no cap, still encodes the whole run losslessly."""
    run = "a" * 5000
    pieces = [piece for piece, _ in capped(byte_level_pre_tokenizer(PRETOKENIZERS["cl100k"])).pre_tokenize_str(run)]
    assert [len(p) for p in pieces] == [MAX_PRETOKEN] * 4 + [5000 - 4 * MAX_PRETOKEN]
    path = tmp_path / "run.txt"
    path.write_text("".join(line + "\n" for line in mixed_texts() + [run] * 40), encoding="utf-8")
    for corpus in (open_corpus(str(path)), TextCorpus(list(open_corpus(str(path)).texts()))):
        tokenizer = tokkit.train("bpe", corpus, 600)[600]
        longest = max(len(tokenizer.token_bytes(i) or b"") for i in range(tokenizer.vocab_size))
        assert longest == MAX_PRETOKEN
        assert tokenizer.decode(tokenizer.encode(run)) == run
        saved = json.dumps(json.loads(tokenizer.backend.to_str())["pre_tokenizer"])
        assert json.dumps(PRETOKENIZERS["cl100k"]) in saved and str(MAX_PRETOKEN) not in saved


def test_bad_utf8_and_empty_files_are_tokkit_errors_on_the_rust_path(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\n" * 50 + b"caf\xe9\n")
    with pytest.raises(CorpusError, match=r"bad\.txt is not valid UTF-8: byte offset 503 \(line 51\)"):
        tokkit.train("bpe", open_corpus(str(bad)), 300)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n\r\n\n")
    with pytest.raises(TokkitError, match="empty"):
        tokkit.train("bpe", open_corpus(str(empty)), 300)


class _Recorder:
    """A Progress that records its lines: description -> [total, completed, done]."""

    def __init__(self):
        self.lines, self.notes = {}, []

    def note(self, message):
        self.notes.append(message)

    def add(self, description, total=None, unit="items", start=True):
        line = self.lines[description] = {"total": total, "completed": 0, "done": False, "started": start}

        class Line:
            def start(self):
                line["started"] = True

            def advance(self, n=1):
                line["completed"] += n

            def update(self, **kwargs):
                line.update(kwargs)

            def done(self):
                line["done"] = True

        return Line()


def test_progress_shows_the_reading_of_plain_files_against_their_size(tmp_path, awkward_lines):
    paths = [lines_file(tmp_path, awkward_lines * 40, f"part{i}.txt") for i in range(2)]
    progress = _Recorder()
    tokkit.train("superword", open_corpus([str(p) for p in paths]), 600, transition=500, progress=progress)
    read = progress.lines["stage 1: reading corpus"]
    assert read["total"] == sum(p.stat().st_size for p in paths)
    assert read["completed"] == read["total"] and read["done"]
    merges = progress.lines["stage 1: learning merges (up to 242)"]
    assert merges["started"] and merges["done"]
    assert progress.lines["stage 2: learning superword merges"]["done"]
    assert any("stage 2 holds about" in note for note in progress.notes)


def test_the_watch_reads_how_far_another_reader_is_from_fdinfo(tmp_path, awkward_lines):
    pytest.importorskip("os").stat("/proc/self/fdinfo")
    paths = [lines_file(tmp_path, awkward_lines, f"part{i}.txt") for i in range(2)]
    progress = _Recorder()
    merging = progress.add("merges", start=False)
    watch = reading._ReadWatch(paths, progress, "", merging)
    with open(paths[1], "rb", buffering=0) as handle:  # what Rust does on its thread
        handle.read(100)
        watch.look()
    assert progress.lines["reading corpus"]["completed"] == paths[0].stat().st_size + 100
    assert not progress.lines["merges"]["started"]
    watch.finish()
    assert progress.lines["reading corpus"]["completed"] == sum(p.stat().st_size for p in paths)
    assert progress.lines["merges"]["started"]


def test_a_corpus_too_big_for_memory_is_refused_before_reading(tmp_path, monkeypatch, capsys):
    path = lines_file(tmp_path, mixed_texts())
    size = path.stat().st_size
    monkeypatch.setattr(base, "available_memory", lambda: size * 3)
    with pytest.raises(TooLarge, match=r"sample=0\.\d\d or budget=\d+"):
        tokkit.train("superword", open_corpus(str(path)), 400)
    code, out, err = cli(capsys, "train", "supertoken", path, "--vocab-size", "400", "--out", tmp_path / "out")
    message = one_error_line(err)
    assert code == 1 and "memory" in message and "--sample 0.0" in message and "--budget" in message
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(base, "available_memory", lambda: None)  # unknown: trains
    assert tokkit.train("superword", open_corpus(str(path)), 400)
