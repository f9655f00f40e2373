"""``tokkit tokenize``: several tokenizers' pieces, ids and counts side by side, and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import cli, one_error_line

import tokkit

TEXT = "Tokenizers  split text:\nİstanbul'da 東京 🎉"


@pytest.fixture(scope="module")
def folders(tmp_path_factory, mixed_corpus):
    root = tmp_path_factory.mktemp("toks")
    tokkit.train("bpe", mixed_corpus, 300)[300].save(root / "bpe")
    tokkit.train("unigram", mixed_corpus, 420)[420].save(root / "uni")
    return root


def test_json_has_every_tokenizers_ids_pieces_and_counts(capsys, folders):
    code, out, err = cli(capsys, "tokenize", folders / "bpe", f"mine={folders / 'uni'}", "--text", TEXT, "--json", "-")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["text"] == TEXT and payload["bytes"] == len(TEXT.encode()) and payload["chars"] == len(TEXT)
    assert [t["name"] for t in payload["tokenizers"]] == ["bpe", "mine"]
    assert [t["spec"] for t in payload["tokenizers"]] == [str(folders / "bpe"), str(folders / "uni")]
    for entry, folder in zip(payload["tokenizers"], ("bpe", "uni")):
        tok = tokkit.load(folders / folder)
        ids = tok.encode(TEXT)
        assert entry["ids"] == ids and [s["id"] for s in entry["segments"]] == ids
        assert entry["tokens"] == len(ids) and entry["bytes_per_token"] == pytest.approx(len(TEXT.encode()) / len(ids))
        assert entry["roundtrip"] is True
    assert "pieces" in err  # the table went to standard error


def test_the_table_shows_pieces_ids_and_counts(capsys, folders):
    code, out, err = cli(capsys, "tokenize", folders / "bpe", folders / "uni", "--text", "a  big dog 東")
    assert code == 0, err
    bpe = tokkit.load(folders / "bpe")
    ids = bpe.encode("a  big dog 東")
    row = next(line for line in out.splitlines() if line.startswith("│ bpe"))
    assert f" {len(ids)} " in row
    assert "a│·│·b" in out or "a│··" in out  # boundaries and visible spaces
    assert "<E6>│<9D>│<B1>" in out  # a character the vocabulary lacks, as its bytes
    assert " ".join(map(str, ids)) in out
    code, out, _ = cli(capsys, "tokenize", folders / "bpe", "--text", "a dog", "--no-ids")
    assert code == 0 and " ".join(map(str, bpe.encode("a dog"))) not in out


def test_file_and_standard_input(capsys, folders, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TEXT + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "tokenize", folders / "bpe", "--file", path, "--json", "-")
    assert code == 0, err
    assert json.loads(out)["text"] == TEXT + "\n"
    done = subprocess.run([sys.executable, "-m", "tokkit", "tokenize", str(folders / "bpe"), "--file", "-", "--json", "-"],
                          input=TEXT.encode(), capture_output=True, env={**os.environ, "COLUMNS": "200"}, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["text"] == TEXT and result["tokenizers"][0]["ids"] == tokkit.load(folders / "bpe").encode(TEXT)


@pytest.mark.parametrize("args,message", [
    ([], "--text TEXT or --file PATH"),
    (["--text", "x", "--file", "y"], "one of them"),
    (["--file", "{tmp}/missing.txt"], "cannot read"),
    (["--file", "{tmp}/latin1.txt"], "not valid UTF-8"),
])
def test_bad_input_is_one_line(capsys, folders, tmp_path, args, message):
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    code, _, err = cli(capsys, "tokenize", folders / "bpe", *(a.format(tmp=tmp_path) for a in args))
    assert code == 1 and message in one_error_line(err)


def test_an_unknown_tokenizer_is_one_line(capsys, tmp_path):
    code, _, err = cli(capsys, "tokenize", tmp_path / "nothing", "--text", "x")
    assert code == 1 and "no tokenizer at" in one_error_line(err)
