"""What a sweep refuses: language codes that are paths, templates with other fields, a
folder of another tokkit version; each one clear line, with nothing written."""

from __future__ import annotations

import json

import pytest
from conftest import cli, one_error_line

import tokkit
from tokkit.errors import InvalidValue, TokkitError
from tokkit.sweep import Sweep, Unit, fill_template, run_unit

@pytest.mark.parametrize("lang", ["../../../X", "tur/../../x", "..", "", "tur_Latn/", "a b", "x\0y", "tur_Latn\n"])
def test_a_language_that_is_not_a_code_is_refused(parallel_dir, lang):
    with pytest.raises(InvalidValue, match="langs names .* which is not a language code"):
        Sweep("bpe", [lang], [262], str(parallel_dir), str(parallel_dir))
    with pytest.raises(InvalidValue, match="pivot names"):
        Sweep("bpe", ["tur_Latn"], [262], str(parallel_dir), str(parallel_dir), pivot=lang)


@pytest.mark.parametrize("lang", ["eng_Latn", "tur", "en", "pt-BR", "zh_Hant", "sr_Cyrl_RS"])
def test_language_codes_pass(lang):
    from tokkit.sweep import check_lang

    assert check_lang("langs", lang) == lang


def test_no_unit_writes_outside_its_sweep_folder(tmp_path, parallel_dir):
    out = tmp_path / "sweep" / "out"
    unit = Unit("bpe", "../../../escaped", (262,), str(parallel_dir), str(parallel_dir))  # past the Sweep's check
    with pytest.raises(TokkitError, match="would be written outside the sweep folder"):
        run_unit(unit, out)
    assert not any(tmp_path.rglob("*escaped*")) and not (tmp_path / "sweep").exists()


def test_cli_refuses_a_path_as_a_language_and_writes_nothing(capsys, tmp_path, parallel_dir):
    out = tmp_path / "a" / "b" / "out"
    code, _, err = cli(capsys, "sweep", "bpe", "--langs", "../../../X", "--vocab-sizes", "262",
                       "--train-corpus", parallel_dir, "--eval-corpus", parallel_dir, "--out", out)
    assert code == 1 and "--langs names '../../../X', which is not a language code" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_templates_name_only_lang_and_iso(capsys, tmp_path, parallel_dir):
    assert fill_template("text:{lang}", "tur_Latn") == "text:tur_Latn"
    assert fill_template("data/{iso}/{lang}.txt", "tur_Latn") == "data/tur/tur_Latn.txt"
    assert fill_template("flores200:dev", "tur_Latn") is None
    for template, message in [("text:{foo}", r"names \{foo\}: the allowed fields are \{lang\} and \{iso\}"),
                              ("{lang.__class__}", r"names \{lang.__class__\}"), ("{0}", r"names \{0\}"),
                              ("{lang!r}", r"names \{lang\}"), ("{lang:>9}", r"names \{lang\}"),
                              ("text:{lang", "is not a template")]:
        with pytest.raises(InvalidValue, match=message):
            Sweep("bpe", ["tur_Latn"], [262], template, str(parallel_dir))
    code, _, err = cli(capsys, "sweep", "bpe", "--langs", "tur_Latn", "--vocab-sizes", "262", "--train-corpus", "text:{foo}",
                       "--eval-corpus", parallel_dir, "--out", tmp_path / "s")
    assert code == 1 and "--train-corpus 'text:{foo}' names {foo}: the allowed fields are {lang} and {iso}" in one_error_line(err)
    assert not (tmp_path / "s").exists()


def test_a_folder_of_another_tokkit_version_is_refused_before_any_work(capsys, tmp_path, parallel_dir, monkeypatch):
    sweep = Sweep("bpe", ["tur_Latn"], [262], str(parallel_dir), str(parallel_dir))
    out = tmp_path / "s"
    sweep.run(out)
    old = out / "units" / f"{sweep.units[0].id}.json"
    data = json.loads(old.read_text(encoding="utf-8"))
    data["header"]["tokkit_version"] = "0.0.1"
    old.write_text(json.dumps(data), encoding="utf-8")
    (out / "units" / f"{sweep.units[1].id}.json").unlink()  # one unit left to do: it must not run
    from tokkit import sweep as sweep_module

    ran = []
    monkeypatch.setattr(sweep_module, "run_unit", lambda unit, where: ran.append(unit))
    with pytest.raises(TokkitError, match=f"holds units of tokkit 0.0.1, and this is tokkit {tokkit.__version__}"):
        sweep.run(out)
    assert ran == []
    code, _, err = cli(capsys, "sweep", "bpe", "--langs", "tur_Latn", "--vocab-sizes", "262", "--train-corpus", parallel_dir,
                       "--eval-corpus", parallel_dir, "--out", out)
    assert code == 1 and "sweep into another folder" in one_error_line(err)
    assert not (out / "results.json").exists()


def test_bad_executor_options_are_one_line(capsys, tmp_path, parallel_dir, monkeypatch):
    import sys

    base = ["sweep", "bpe", "--langs", "tur_Latn", "--vocab-sizes", "262", "--train-corpus", parallel_dir,
            "--eval-corpus", parallel_dir, "--out", tmp_path / "s"]
    code, _, err = cli(capsys, *base, "--executor", "threads")
    assert code == 1 and "--executor must be one of local, process, ray, not 'threads'" in one_error_line(err)
    code, _, err = cli(capsys, *base, "--address", "auto")
    assert code == 1 and "--address names a Ray cluster: it goes with the ray executor" in one_error_line(err)
    with monkeypatch.context() as without_ray:
        without_ray.setitem(sys.modules, "ray", None)  # import ray fails
        code, _, err = cli(capsys, *base, "--executor", "ray")
    assert code == 1 and "pip install 'tokkit[cluster]'" in one_error_line(err)
    pytest.importorskip("ray")
    code, _, err = cli(capsys, *base, "--executor", "ray", "--address", "127.0.0.1:9")
    assert code == 1 and "no Ray cluster answers at 127.0.0.1:9" in one_error_line(err)
    code, _, err = cli(capsys, "eval", tmp_path / "none", "--corpus", parallel_dir, "--executor", "ray", "--address", "127.0.0.1:9")
    assert code == 1 and "no Ray cluster answers at 127.0.0.1:9" in one_error_line(err)
    assert not (tmp_path / "s").exists()
