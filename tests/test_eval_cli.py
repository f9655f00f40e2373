"""``tokkit eval``, ``report`` and ``sweep`` through the CLI: outputs, bad input, resuming."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PARALLEL_LINES as LINES
from conftest import cli

import tokkit
from tokkit.results import ResultTable

@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory, mixed_corpus):
    folder = tmp_path_factory.mktemp("tok") / "bpe"
    tokkit.train("bpe", mixed_corpus, 300)[300].save(folder)
    return folder


def test_eval_writes_every_output_and_report_re_renders_them(capsys, tmp_path, tok_dir, parallel_dir):
    out = {ext: tmp_path / f"r.{ext}" for ext in ("json", "csv", "html", "md", "png")}
    code, stdout, err = cli(capsys, "eval", tok_dir, "--corpus", parallel_dir, "--json", out["json"], "--csv", out["csv"],
                            "--html", out["html"], "--md", out["md"], "--plot", out["png"])
    assert code == 0, err
    assert "premium per language" in stdout and "tur_Latn" in stdout
    assert all(path.is_file() for path in out.values())
    table = ResultTable.read_json(out["json"])
    assert table.header["specs"] == {"bpe": str(tok_dir)}
    assert set(table.langs()) == {*LINES, "all"}
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    code, md, err = cli(capsys, "report", out["json"], "--format", "md")
    assert code == 0 and md == out["md"].read_text(encoding="utf-8")
    code, text, _ = cli(capsys, "report", out["json"], "--format", "csv")
    assert code == 0 and text == out["csv"].read_text(encoding="utf-8")
    code, text, _ = cli(capsys, "report", out["json"], "--format", "json")
    assert code == 0 and ResultTable.from_json(json.loads(text)).rows == table.rows
    code, text, _ = cli(capsys, "report", out["json"])
    assert code == 0 and "premium per language" in text
    # the report's sample sentences and vocabularies are kept in the results: re-rendered without the tokenizers
    samples = table.header["samples"]["corpora"][table.corpora()[0]]
    assert set(samples) == set(LINES) and all(len(cuts) == 2 and set(cuts[0]["tokens"]) == {"bpe"} for cuts in samples.values())
    assert [p["name"] for p in table.header["vocabulary"]["profiles"]] == ["bpe"]
    code, _, _ = cli(capsys, "report", out["json"], "--format", "html", "--out", tmp_path / "again.html")
    assert code == 0 and (tmp_path / "again.html").read_text(encoding="utf-8") == out["html"].read_text(encoding="utf-8")


def _one_error_line(code: int, err: str, *fragments: str) -> None:
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_bad_input_is_one_line_and_exit_1(capsys, tmp_path, tok_dir, parallel_dir):
    _one_error_line(*cli(capsys, "eval", tmp_path / "nothing", "--corpus", parallel_dir)[::2], "tokenizer.json", ".tiktoken")
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", tmp_path / "nope.txt")[::2], "flores200:devtest", "a folder")
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", parallel_dir, "--pivot", "deu_Latn")[::2], "--pivot deu_Latn is not a language")
    ragged = tmp_path / "ragged"
    ragged.mkdir()
    for lang, lines in LINES.items():
        (ragged / f"{lang}.txt").write_text("\n".join(lines[:2] if lang == "fin_Latn" else lines) + "\n", encoding="utf-8")
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", ragged)[::2], "fin_Latn has 2")
    existing = tmp_path / "exists.json"
    existing.write_text("{}")
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", parallel_dir, "--json", existing)[::2], "--force")
    assert existing.read_text() == "{}"
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", parallel_dir / "eng_Latn.txt", "--plot", tmp_path / "p.png")[::2],
                    "parallel corpus")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not json")
    _one_error_line(*cli(capsys, "report", garbage)[::2], str(garbage))
    _one_error_line(*cli(capsys, "report", tmp_path / "missing.json")[::2], "no results file")


def test_the_installed_command_exits_1_without_a_traceback(tmp_path, parallel_dir):
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "tokkit.cli", "eval", str(tmp_path / "none"), "--corpus", str(parallel_dir)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_files_are_written_when_standard_output_has_gone(tmp_path, tok_dir, parallel_dir):
    """A pipe closed before the table is printed (``| head`` that ended, a parent that
    stopped) still leaves the files of the run: they are written before the table."""
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "tokkit.cli", "eval", str(tok_dir), "--corpus", str(parallel_dir),
                             "--json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ | {"COLUMNS": "100"})
    proc.stdout.close()  # nothing reads what it prints
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1  # rich's rule for a closed standard output: exit 1, quietly
    assert "Traceback" not in err
    assert json.loads(out.read_text(encoding="utf-8"))["results"]


def test_sweep_resumes_without_redoing_finished_units(tmp_path, parallel_dir, monkeypatch):
    from tokkit import sweep as sweep_module

    sweep = sweep_module.Sweep("bpe", ["tur_Latn", "fin_Latn"], [262, 280], str(parallel_dir), str(parallel_dir))
    out = tmp_path / "sweep"
    table = sweep.run(out)
    assert len(list((out / "units").glob("*.json"))) == 3  # two languages and the pivot
    assert {r.value for r in table.select(metric="vocab_size")} == {262, 280}
    premium = {(r.tokenizer, r.lang): r.value for r in table.select(metric="premium")}
    ctc = {(r.tokenizer, r.lang): r.value for r in table.select(metric="ctc")}
    for (name, lang), value in premium.items():
        assert value == pytest.approx(ctc[name, lang] / ctc[name, "eng_Latn"])
    assert (out / "tokenizers" / "tur_Latn-280" / "tokenizer.json").is_file()

    ran = []
    real = sweep_module.run_unit
    monkeypatch.setattr(sweep_module, "run_unit", lambda unit, where: ran.append(unit.lang) or real(unit, where))
    again = sweep.run(out)
    assert ran == [] and again.rows == table.rows
    (out / "units" / f"{sweep.units[0].id}.json").unlink()
    sweep.run(out)
    assert ran == ["tur_Latn"]

    lenient = sweep_module.Sweep("bpe", ["tur_Latn", "fin_Latn"], [262, 280], str(parallel_dir), str(parallel_dir), tolerance=0.5)
    best = lenient.smallest_good_sizes(table)
    for lang, (size, value, top) in best.items():
        curve = {int(r.tokenizer.split("-")[1]): r.value for r in table.select(lang=lang, metric="premium")}
        assert top == min(curve.values())
        assert size == min(s for s, v in curve.items() if v <= top * 1.5)


def test_sweep_command_writes_its_report(capsys, tmp_path, parallel_dir):
    pytest.importorskip("matplotlib")
    out = tmp_path / "s"
    code, stdout, err = cli(capsys, "sweep", "bpe", "--langs", "tur_Latn", "--vocab-sizes", "262,280",
                            "--train-corpus", parallel_dir, "--eval-corpus", parallel_dir, "--out", out)
    assert code == 0, err
    assert "smallest size within" in stdout
    assert {p.name for p in out.iterdir()} >= {"units", "tokenizers", "results.json", "report.md", "curves.png"}
    assert Path(out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _one_error_line(*cli(capsys, "sweep", "nosuch", "--langs", "tur_Latn", "--vocab-sizes", "300",
                         "--train-corpus", parallel_dir, "--eval-corpus", parallel_dir, "--out", out)[::2], "unknown algorithm")


def test_sweep_premiums_follow_petrov_rule(tmp_path, parallel_dir):
    from tokkit import sweep as sweep_module
    from tokkit.results import ResultTable

    sweep = sweep_module.Sweep("bpe", ["tur_Latn", "fin_Latn"], [300], str(parallel_dir), str(parallel_dir))
    shares = {"eng_Latn": 0.0, "tur_Latn": 0.25, "fin_Latn": 0.05}
    (tmp_path / "units").mkdir()
    for unit in sweep.units:
        part = ResultTable(header={"tokkit_version": tokkit.__version__})
        part.add("bpe-300", "c", unit.lang, "ctc", 100.0 if unit.lang == "eng_Latn" else 150.0)
        part.add("bpe-300", "c", unit.lang, "unk_rate", shares[unit.lang])
        part.write_json(tmp_path / "units" / f"{unit.id}.json")
    table = sweep.collect(tmp_path)
    premium = {r.lang: r.value for r in table.select(metric="premium")}
    assert premium == {"eng_Latn": 1.0, "fin_Latn": 1.5}  # tur_Latn: a quarter of its tokens unknown
    assert [(d["lang"], d["unknown_share"]) for d in table.header["dropped"]] == [("tur_Latn", 0.25)]


def test_a_corpus_that_is_not_utf8_is_read_with_encoding_errors(capsys, tmp_path, tok_dir, parallel_dir):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("plain words\ncafé au lait\n".encode("latin-1"))
    code, _, err = cli(capsys, "eval", tok_dir, "--corpus", latin1)
    _one_error_line(code, err, "not valid UTF-8", "--encoding-errors replace|skip")
    lines = {}
    for mode in ("replace", "skip"):
        code, _, err = cli(capsys, "eval", tok_dir, "--corpus", latin1, "--encoding-errors", mode, "--json", tmp_path / f"{mode}.json")
        assert code == 0, err
        lines[mode] = ResultTable.read_json(tmp_path / f"{mode}.json").header["corpora"][0]["lines"]
    assert lines == {"replace": 2, "skip": 1}
    mixed = tmp_path / "parallel"
    mixed.mkdir()
    for lang, text in LINES.items():
        (mixed / f"{lang}.txt").write_bytes(("\n".join(text) + "\ncafé\n").encode("latin-1" if lang == "fin_Latn" else "utf-8"))
    code, _, err = cli(capsys, "eval", tok_dir, "--corpus", mixed, "--encoding-errors", "replace")
    assert code == 0, err
    _one_error_line(*cli(capsys, "eval", tok_dir, "--corpus", latin1, "--encoding-errors", "ignore")[::2],
                    "--encoding-errors must be one of strict, replace, skip, not 'ignore'")
