"""``tokkit info``: the format a file is in, and the sample shown as the text each token covers."""

from __future__ import annotations

import json
import re

from conftest import cli

import tokkit


def test_a_gguf_file_is_called_gguf(capsys, data_dir, tmp_path):
    path = data_dir / "tokenizers" / "gguf" / "ggml-vocab-llama-bpe.gguf"
    code, out, err = cli(capsys, "info", path, "--json", tmp_path / "info.json")
    assert code == 0, err
    facts = json.loads((tmp_path / "info.json").read_text())
    assert (facts["format"], facts["backend"]) == ("gguf", "hf")
    assert "gguf (runs as hf)" in out


def test_a_tiktoken_file_and_a_tokkit_folder(capsys, mixed_corpus, tmp_path):
    tokkit.train("bpe", mixed_corpus, 300)[300].save(tmp_path / "bpe")
    code, out, _ = cli(capsys, "info", tmp_path / "bpe", "--json", "-")
    assert code == 0 and (json.loads(out)["format"], json.loads(out)["backend"]) == ("tokkit", "hf")


def test_the_hybrid_shows_the_text_each_token_covers(capsys, toy_tok, tmp_path):
    toy_tok.save(tmp_path / "hybrid")
    code, out, err = cli(capsys, "info", tmp_path / "hybrid", "--text", " evlerden  ev")
    assert code == 0, err
    sample = _sample_line(out)
    assert "·ev │ ler │ den │ · │ ·ev" in sample  # the variants the text has, the lone space visible
    assert "lar" not in sample and "+lAr" not in sample  # not the suffix's canonical spelling


def test_a_lone_space_is_visible(capsys, mixed_corpus, tmp_path):
    tokkit.train("bpe", mixed_corpus, 300)[300].save(tmp_path / "bpe")
    code, out, _ = cli(capsys, "info", tmp_path / "bpe", "--text", "a  b\n")
    cells = _sample_line(out)
    assert "·" in cells and "⏎" in cells


def _sample_line(out: str) -> str:
    return next(line for line in out.splitlines() if re.match(r"│ \d+ tokens", line))
