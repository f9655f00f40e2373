"""What commands write: ``--json -`` on standard output, ``NAME=SPEC`` column names, piped widths."""

from __future__ import annotations

import json

import pytest
from conftest import cli, mixed_texts
from test_eval_cli import LINES, tok_dir  # noqa: F401  (a fixture)

import tokkit
from tokkit.loading import split_name
from tokkit.results import ResultTable

@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder, so that a file named '-' would show."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_eval_json_to_standard_output(capsys, in_tmp, tok_dir, parallel_dir):
    code, out, err = cli(capsys, "eval", tok_dir, "--corpus", parallel_dir, "--json", "-")
    assert code == 0, err
    table = ResultTable.from_json(json.loads(out))  # standard output is the JSON alone
    assert table.select(metric="premium", lang="tur_Latn")
    assert "premium per language" in err  # the tables went to standard error
    assert list(in_tmp.iterdir()) == []


def test_info_and_train_json_to_standard_output(capsys, in_tmp, tok_dir):
    code, out, err = cli(capsys, "info", tok_dir, "--json", "-")
    assert code == 0, err
    assert json.loads(out)["vocab_size"] == 300 and "vocab size" in err
    corpus = in_tmp / "corpus.txt"
    corpus.write_text("\n".join(mixed_texts(5)) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "train", "bpe", corpus, "--vocab-size", "280", "--out", in_tmp / "t", "--json", "-")
    assert code == 0, err
    assert json.loads(out)["tokenizers"] == {"280": str(in_tmp / "t")}
    assert sorted(p.name for p in in_tmp.iterdir()) == ["corpus.txt", "t"]


def test_a_second_output_to_standard_output_is_refused(capsys, tok_dir, parallel_dir):
    code, out, err = cli(capsys, "eval", tok_dir, "--corpus", parallel_dir, "--json", "-", "--csv", "-")
    assert code == 1 and out == "" and "standard output" in err


def test_the_console_goes_back_to_standard_output_after_json_dash(capsys, tok_dir):
    assert cli(capsys, "info", tok_dir, "--json", "-")[0] == 0
    code, out, err = cli(capsys, "info", tok_dir)
    assert code == 0 and "vocab size" in out and err == ""


def test_eval_names_columns_with_name_equals_spec(capsys, tmp_path, tok_dir, parallel_dir):
    odd = tmp_path / "lr=3"  # a path that holds '=' is still a path
    tokkit.load(tok_dir).save(odd)
    out = tmp_path / "r.json"
    code, stdout, err = cli(capsys, "eval", f"mine={tok_dir}", f"other={tok_dir}", odd, "--corpus", parallel_dir, "--json", out)
    assert code == 0, err
    table = ResultTable.read_json(out)
    assert table.tokenizers() == ["mine", "other", "lr=3"]
    assert table.header["specs"] == {"mine": str(tok_dir), "other": str(tok_dir), "lr=3": str(odd)}
    assert "mine" in stdout and "other" in stdout and "bpe#2" not in stdout


@pytest.mark.parametrize("arg,expected", [
    ("mine=tok/bpe", ("mine", "tok/bpe")),
    ("tok/bpe", (None, "tok/bpe")),
    ("runs/lr=3/tok", (None, "runs/lr=3/tok")),
    ("hf:org/x=y", (None, "hf:org/x=y")),
    ("gpt2=hf:openai-community/gpt2", ("gpt2", "hf:openai-community/gpt2")),
    ("=x", (None, "=x")),
])
def test_split_name(arg, expected):
    assert split_name(arg) == expected


def test_piped_output_is_as_wide_as_it_needs(capsys, tmp_path, tok_dir, parallel_dir, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    names = [f"a-tokenizer-with-a-long-name-{i}" for i in range(4)]
    code, out, err = cli(capsys, "eval", *(f"{n}={tok_dir}" for n in names), "--corpus", parallel_dir, "--metrics", "ctc,premium")
    assert code == 0, err
    widths = [len(line) for line in out.splitlines() if line.strip()]
    assert max(widths) > 120  # not wrapped at 80 columns: every name whole on its line
    assert all(name in out for name in names)
    assert len(set(widths)) > 1 and max(widths) < 200  # not padded to a fixed width


def test_the_terminal_tables_explain_themselves(capsys, tok_dir, parallel_dir):
    big = parallel_dir.parent / "big"
    big.mkdir(exist_ok=True)
    for lang, lines in LINES.items():
        (big / f"{lang}.txt").write_text("\n".join(lines * 400) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "eval", tok_dir, f"again={tok_dir}", "--corpus", big, "--metrics", "ctc,premium,premium_median")
    assert code == 0, err
    ctc = next(r.value for r in tokkit.evaluate(tokkit.load(tok_dir), big, metrics=["ctc"]).rows if r.lang == "all")
    assert ctc > 10_000 and f"{ctc:,}*" in out  # thousands separators
    assert "premium (median over languages)" in out and "premium_median (median over languages)" in out
    assert "(median)" not in out
    legend = [line for line in out.splitlines() if line.startswith("* ")]
    assert legend and all("best value in its row" in line for line in legend)
    assert "(median over languages): the median of the per-language values" in out


def test_format_value():
    from tokkit.results import format_value

    assert [format_value(v) for v in (79404, 79404.0, 12345.6, 3.14159, 0.000123)] == ["79,404", "79,404", "12,346", "3.142", "0.000123"]
    assert [format_value(v, exact=True) for v in (79404, 12345.6)] == ["79404", "12345.6"]
