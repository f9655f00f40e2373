"""`tokkit transplant` and `tokkit score` as a user runs them, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from conftest import cli, one_error_line  # noqa: E402

import tokkit  # noqa: E402


@pytest.fixture(scope="module")
def folders(tmp_path_factory, mixed_corpus):
    """A tiny Llama folder with its tokenizer, a new tokenizer folder, and a line file."""
    from conftest import mixed_texts

    root = tmp_path_factory.mktemp("cli")
    old = tokkit.train("bpe", mixed_corpus, 400)[400]
    new = tokkit.train("bpe", tokkit.corpora.TextCorpus([t.lower() for t in mixed_texts()], spec="lower"), 420)[420]
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=old.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    model = root / "model"
    transformers.LlamaForCausalLM(config).save_pretrained(model)
    old.to_transformers().save_pretrained(model)
    new.save(root / "newtok")
    text = root / "lines.txt"
    text.write_text("\n".join(mixed_texts(1)) + "\n", encoding="utf-8")
    return {"model": model, "tok": root / "newtok", "text": text, "root": root}


def test_transplant_then_score(capsys, folders, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out,
                            "--device", "cpu", "--json", tmp_path / "t.json")
    assert code == 0, err
    assert "shared" in stdout and "estimate (s)" in stdout
    summary = json.loads((tmp_path / "t.json").read_text())
    assert summary["counts"]["estimated"] > 0 and summary["config"]["vocab_size"] == 420
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    # the tokenizer's length limit is the model's context, not transformers' 1e30
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 128

    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--device", "cpu", "--json", tmp_path / "s.json")
    assert code == 0, err
    scored = json.loads((tmp_path / "s.json").read_text())
    assert scored["bits_per_byte"] > 0 and scored["tokens"] > 0
    # what was scored: the model, its own tokenizer, the corpus, no limit, the lines read
    assert (scored["model"], scored["tokenizer"], scored["corpus"], scored["limit"]) == (str(out), None, [str(folders["text"])], None)
    assert scored["lines"] == len(folders["text"].read_text().splitlines())
    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--limit", "3", "--json", "-")
    assert code == 0, err
    limited = json.loads(stdout)  # standard output holds the JSON alone; the table went to stderr
    assert (limited["limit"], limited["lines"]) == (3, 3) and "bits per byte" in err
    code, stdout, err = cli(capsys, "score", "--model", out, "--corpus", folders["text"], "--device", "cpu", "--stream", "--json", tmp_path / "r.json")
    assert code == 0 and "one stream" in stdout, err
    streamed = json.loads((tmp_path / "r.json").read_text())
    assert streamed["stream"] and not scored["stream"] and streamed["tokens"] == scored["tokens"]

    code, _, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out, "--method", "mean")
    assert "exists" in one_error_line(err) and code == 1
    code, _, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", out, "--method", "mean", "--force")
    assert code == 0, err


def test_identity_transplant_scores_the_same(capsys, folders, tmp_path):
    out = tmp_path / "same"
    assert cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["model"], "--out", out)[0] == 0
    scores = []
    for model in (folders["model"], out):
        code, _, err = cli(capsys, "score", "--model", model, "--corpus", folders["text"], "--json", tmp_path / f"{len(scores)}.json")
        assert code == 0, err
        scores.append(json.loads((tmp_path / f"{len(scores)}.json").read_text()))
    measured = ("bits_per_byte", "token_perplexity", "tokens", "bytes")
    assert [scores[0][k] for k in measured] == [scores[1][k] for k in measured]


@pytest.mark.parametrize("what,message", [
    ("bad-tokenizer", "not a valid tokenizer.json"),
    ("no-weights", "no model weights"),
    ("bad-method", "unknown method"),
    ("vocabulary-gguf", "is a GGUF vocabulary with no weights"),
    ("cuda", "no CUDA"),
    ("--scale nan", "--scale must be a finite number, not nan"),
    ("--temperature 0", "--temperature must be above 0, not 0.0"),
    ("--pad-to-multiple 0", "--pad-to-multiple must be at least 1, not 0"),
    ("--weight 2", "--weight must be in [0, 1], not 2.0"),
])
def test_bad_input_is_one_line(capsys, request, folders, tmp_path, what, message):
    if what == "cuda" and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    args = {"model": folders["model"], "tokenizer": folders["tok"], "extra": []}
    if what == "bad-tokenizer":
        bad = tmp_path / "tokenizer.json"
        bad.write_text("{ not json")
        args["tokenizer"] = bad
    elif what == "no-weights":
        empty = tmp_path / "empty"
        empty.mkdir()
        (empty / "config.json").write_text(json.dumps({"model_type": "llama"}))
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (empty / name).write_bytes((folders["model"] / name).read_bytes())
        args["model"] = empty
    elif what == "vocabulary-gguf":
        args["model"] = request.getfixturevalue("data_dir") / "tokenizers" / "gguf" / "ggml-vocab-gpt-2.gguf"
    elif what == "bad-method":
        args["extra"] = ["--method", "magic"]
    elif what.startswith("--"):
        args["extra"] = what.split()
    else:
        args["extra"] = ["--device", "cuda"]
    out = tmp_path / "out"
    code, _, err = cli(capsys, "transplant", "--model", args["model"], "--tokenizer", args["tokenizer"], "--out", out, *args["extra"])
    assert code == 1 and message in one_error_line(err)
    assert not out.exists()


@pytest.mark.parametrize("extra,message", [
    (["--tokenizer", "NEW"], "the tokenizer and the model do not match"),
    (["--limit", "0"], "--limit must be at least 1, not 0"),
    (["--limit", "-1"], "--limit must be at least 1, not -1"),
    (["--encoding-errors", "ignore"], "--encoding-errors must be one of strict, replace, skip, not 'ignore'"),
    (["--device", "tpu"], "--device must be auto, cpu, cuda or cuda:N, not 'tpu'"),
])
def test_bad_score_input_is_one_line(capsys, folders, tmp_path, extra, message):
    extra = [str(folders["tok"]) if arg == "NEW" else arg for arg in extra]
    code, _, err = cli(capsys, "score", "--model", folders["model"], "--corpus", folders["text"], *extra, "--json", tmp_path / "s.json")
    assert code == 1 and message in one_error_line(err)
    assert not (tmp_path / "s.json").exists()


def test_score_reads_the_first_limit_lines_and_latin1_with_encoding_errors(capsys, folders, tmp_path):
    from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer
    from tokkit.transplant import score, score_corpus

    first = folders["text"].read_text(encoding="utf-8").splitlines()[0]
    model, tok = load_causal_lm(folders["model"], "cpu"), load_lm_tokenizer(folders["model"])
    assert score_corpus(folders["model"], folders["text"], limit=1, device="cpu") == score(model, tok, [first])
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("plain words\ncafé au lait\n".encode("latin-1"))
    code, _, err = cli(capsys, "score", "--model", folders["model"], "--corpus", latin1)
    assert code == 1 and "--encoding-errors replace|skip" in one_error_line(err)
    for mode, lines in (("replace", ["plain words", "caf\ufffd au lait"]), ("skip", ["plain words"])):
        code, _, err = cli(capsys, "score", "--model", folders["model"], "--corpus", latin1, "--encoding-errors", mode,
                           "--json", tmp_path / f"{mode}.json")
        assert code == 0, err
        scored = json.loads((tmp_path / f"{mode}.json").read_text())
        expected = {**score(model, tok, lines).to_json(), "stream": False, "lines": len(lines), "limit": None}
        assert {key: scored[key] for key in expected} == expected


def read_folder(folder):
    """Every file of a saved model folder: tensors by name for safetensors, text otherwise."""
    from safetensors.torch import load_file

    return {path.name: load_file(path) if path.suffix == ".safetensors" else path.read_text(encoding="utf-8")
            for path in sorted(folder.iterdir())}


def test_the_python_api_makes_what_the_cli_makes(capsys, folders, tmp_path):
    from tokkit.transplant import Settings, run

    code, _, err = cli(capsys, "transplant", "--model", folders["model"], "--tokenizer", folders["tok"], "--out", tmp_path / "cli",
                       "--method", "omp", "--omp-k", "1000000", "--scale", "1.0", "--json", tmp_path / "cli.json")
    assert code == 0 and "warning: omp_k 1000000 asks for more atoms than can help" in err
    summary = run(folders["model"], folders["tok"], tmp_path / "api", method="omp", settings=Settings(omp_k=1_000_000, scale=1.0), device="cpu")
    made_by_cli, made_by_api = read_folder(tmp_path / "cli"), read_folder(tmp_path / "api")
    assert made_by_cli.keys() == made_by_api.keys() >= {"config.json", "model.safetensors", "tokenizer.json"}
    for name, content in made_by_cli.items():
        if isinstance(content, dict):
            assert content.keys() == made_by_api[name].keys()
            assert all(torch.equal(tensor, made_by_api[name][key]) for key, tensor in content.items())
        else:
            assert content == made_by_api[name], name

    written = json.loads((tmp_path / "cli.json").read_text())
    mine = json.loads(json.dumps(summary.to_json()))
    assert written.keys() == mine.keys() == {"model", "tokenizer", "out", "method", "settings", "counts", "seconds", "config",
                                             "chat_template_carried", "specials_added", "warnings", "relation", "learned"}
    assert written["learned"] is None and mine["learned"] is None
    assert written["seconds"].keys() == mine["seconds"].keys() == {"load tokenizers", "load model", "match", "aux", "estimate", "surgery", "save"}
    for key in ("model", "tokenizer", "method", "settings", "counts", "config", "chat_template_carried", "warnings", "relation"):
        assert written[key] == mine[key], key
    assert mine["out"] == str(tmp_path / "api") and mine["settings"]["omp_k"] == 1_000_000
    assert mine["counts"]["estimated"] > 0 and mine["config"]["vocab_size"] == 420
    assert len(mine["warnings"]) == 1 and mine["warnings"][0].startswith("omp_k 1000000 asks for more atoms")


def test_run_checks_everything_before_the_model_loads(folders, tmp_path, monkeypatch):
    from tokkit.corpora import CorpusError
    from tokkit.errors import InvalidValue, TokkitError
    from tokkit.transplant import end_to_end, run, score_corpus

    def no_model_yet(*args, **kwargs):
        raise AssertionError("the model was loaded before the bad input was found")

    monkeypatch.setattr(end_to_end, "load_causal_lm", no_model_yet)
    existing = tmp_path / "existing"
    existing.mkdir()
    for kwargs, error, message in [
        ({"out": existing}, TokkitError, "exists; pass --force"),
        ({"method": "magic"}, TokkitError, "unknown method 'magic'"),
        ({"pad_multiple": 0}, InvalidValue, "pad_multiple must be at least 1, not 0"),
        ({"device": "tpu"}, InvalidValue, "device must be auto, cpu, cuda or cuda:N"),
        ({"tokenizer": tmp_path / "none.json"}, TokkitError, "none.json"),
        ({"aux_model": str(tmp_path / "none"), "aux_precision": "half"}, InvalidValue, "precision must be one of auto, float32, bfloat16"),
    ]:
        args = {"model": folders["model"], "tokenizer": folders["tok"], "out": tmp_path / "out", **kwargs}
        with pytest.raises(error, match=message):
            run(args.pop("model"), args.pop("tokenizer"), args.pop("out"), **args)
        assert not (tmp_path / "out").exists()
    for kwargs, error, message in [
        ({"limit": 0}, InvalidValue, "limit must be at least 1, not 0"),
        ({"limit": 2.5}, InvalidValue, "limit must be a whole number"),
        ({"errors": "ignore"}, CorpusError, "errors must be one of strict, replace, skip"),
        ({"corpus": tmp_path / "none.txt"}, CorpusError, "none.txt"),
    ]:
        args = {"corpus": folders["text"], **kwargs}
        with pytest.raises(error, match=message):
            score_corpus(folders["model"], args.pop("corpus"), device="cpu", **args)


def test_a_failed_save_leaves_no_output(folders, tmp_path, monkeypatch):
    from tokkit.transplant import run

    def broken(self, folder, *args, **kwargs):
        (Path(folder) / "tokenizer.json").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(transformers.PreTrainedTokenizerFast, "save_pretrained", broken)
    with pytest.raises(tokkit.TokkitError, match="cannot write .*out: disk full"):  # the output the user named
        run(folders["model"], folders["tok"], tmp_path / "out", device="cpu")
    assert list(tmp_path.iterdir()) == []
