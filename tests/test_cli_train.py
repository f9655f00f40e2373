"""`tokkit train`, `tokkit info` and `tokkit demo` as a user runs them, bad input included."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import cli, one_error_line

import tokkit


@pytest.fixture
def corpus_file(tmp_path):
    from conftest import mixed_texts

    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(mixed_texts()) + "\n", encoding="utf-8")
    return path


def test_train_one_size_writes_a_loadable_folder(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    code, stdout, _ = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "400", "--out", out, "--json", tmp_path / "summary.json")
    assert code == 0
    assert "400" in stdout
    tokenizer = tokkit.load(out)
    assert tokenizer.vocab_size == 400
    assert tokenizer.provenance.params["pretokenizer"] == "cl100k"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["algorithm"] == "bpe" and summary["tokenizers"] == {"400": str(out)}


def test_train_several_sizes_and_algorithm_options(capsys, corpus_file, tmp_path):
    out = tmp_path / "sweep"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300,400", "--out", out,
                       "--pretokenizer", "gpt2", "--split-digits", "--seed", "3")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["vocab-300", "vocab-400"]
    small = tokkit.load(out / "vocab-300")
    assert small.vocab_size == 300
    assert small.provenance.params == {"pretokenizer": "gpt2", "split_digits": True, "min_frequency": 2, "vocab_size": 300}
    assert small.provenance.seed == 3
    assert [small.id_to_token(i) for i in small.encode("2024")] == ["2", "0", "2", "4"]


def test_existing_output_needs_force(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    out.mkdir()
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out)
    assert code == 1 and "exists" in one_error_line(err) and "--force" in err
    assert list(out.iterdir()) == []
    code, _, _ = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out, "--force")
    assert code == 0 and (out / "tokenizer.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--vocab-size", "100"], "below the 258"),
        (["--vocab-size", "90000"], "gives only"),
        (["--vocab-size", "lots"], "not a number"),
        (["--vocab-size", "300", "--pretokenizer", "nope"], "--pretokenizer must be one of gpt2, cl100k"),
        (["--vocab-size", "300", "--encoding-errors", "maybe"], "--encoding-errors must be one of strict, replace, skip, not 'maybe'"),
        (["--vocab-size", "300", "--min-frequency", "-5"], "--min-frequency must be at least 0, not -5"),
        (["--vocab-size", "inf"], "vocabulary size 'inf' is not a number"),
        (["--vocab-size", "-inf"], "vocabulary size '-inf' is not a number"),
        (["--vocab-size", "nan"], "vocabulary size 'nan' is not a number"),
        (["--vocab-size", "1.5"], "vocabulary size '1.5' is not a whole number of tokens"),
        (["--vocab-size", "300,0.0005k"], "vocabulary size '0.0005k' is not a whole number of tokens"),
        (["--vocab-size", "1e1000000000"], "vocabulary size '1e1000000000' is too large"),
        (["--vocab-size", "1e30"], "vocabulary size 1,000,000,000,000,000,000,000,000,000,000 is above the 16,777,216 (2^24) tokkit trains"),
        (["--vocab-size", "300", "--budget", "inf"], "--budget 'inf' is not a number"),
        (["--vocab-size", "300", "--budget", "1.5"], "--budget '1.5' is not a whole number of bytes"),
        (["--vocab-size", "300", "--budget", "MB"], "--budget 'MB' is not a number"),
        (["--vocab-size", "300", "--budget", "1e999999"], "--budget '1e999999' is too large"),
        (["--vocab-size", "300", "--min-frequency", "99999999999999999999999"], "--min-frequency must be at most 9223372036854775807"),
        (["--vocab-size", "300", "--seed", "-1"], "--seed must be in [0, 4294967295], not -1"),
        (["--vocab-size", "300", "--seed", "99999999999999999999999"], "--seed must be in [0, 4294967295]"),
    ],
)
def test_bad_training_requests(capsys, corpus_file, tmp_path, args, message):
    out = tmp_path / "tok"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--out", out, *args)
    assert code == 1 and message in one_error_line(err)
    assert not out.exists()


def test_sizes_and_budgets_are_read_exactly():
    from tokkit.cli.train import parse_bytes, parse_sizes

    assert parse_sizes("8000,16k, 32_000,1.001k") == [8000, 16000, 32000, 1001]
    assert parse_sizes("1e30") == [10**30]  # exactly, for the trainer to refuse by its own bound
    assert parse_bytes("0.5M") == 500_000 and parse_bytes("1.5KB") == 1500 and parse_bytes("2 GB") == 2 * 10**9
    assert parse_bytes("1e30") == 10**30 and parse_bytes(None) is None


def test_the_unigram_trainer_states_sentencepieces_limits(capsys, corpus_file, tmp_path):
    for flag, value, message in (("--num-threads", "2000", "in [1, 1024]"), ("--max-piece-length", "1000", "in [1, 512]")):
        code, _, err = cli(capsys, "train", "unigram", corpus_file, "--vocab-size", "400", "--out", tmp_path / "u", flag, value)
        assert code == 1 and f"{flag} must be {message}, not {value}" in one_error_line(err)


def test_a_vocabulary_past_what_the_trainers_reserve_is_refused_before_training(corpus_file, tmp_path):
    """10^9 made the tokenizers trainer ask for 70 GB and abort the process (exit 134, a
    Rust backtrace); run as a separate process so that this test fails rather than dies."""
    from tokkit.corpora import TextCorpus
    from tokkit.trainers.base import MAX_VOCAB

    command = [sys.executable, "-m", "tokkit.cli", "train", "bpe", str(corpus_file), "--vocab-size", "1000000000", "--out", str(tmp_path / "t")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.startswith("error: vocabulary size 1,000,000,000 is above the 16,777,216")
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "t").exists()
    for algorithm in tokkit.trainer_names():
        with pytest.raises(tokkit.TokkitError, match="is above the 16,777,216"):
            tokkit.train(algorithm, TextCorpus(["a b"]), [400, MAX_VOCAB + 1])


def test_bad_corpora(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = cli(capsys, "train", "bpe", empty, "--vocab-size", "300", "--out", tmp_path / "a")
    assert code == 1 and "empty" in one_error_line(err)

    code, _, err = cli(capsys, "train", "bpe", tmp_path / "missing.txt", "--vocab-size", "300", "--out", tmp_path / "b")
    assert code == 1 and "missing.txt" in one_error_line(err)

    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok line\n".encode() * 50 + "caf\xe9\n".encode("latin-1"))
    code, _, err = cli(capsys, "train", "bpe", latin1, "--vocab-size", "258", "--out", tmp_path / "c")
    line = one_error_line(err)
    assert code == 1 and "latin1.txt" in line and "403" in line and "--encoding-errors" in line
    code, _, err = cli(capsys, "train", "bpe", latin1, "--vocab-size", "258", "--out", tmp_path / "c", "--encoding-errors", "replace")
    assert code == 0, err


def test_train_on_a_seeded_sample_and_hear_what_is_sampled(capsys, corpus_file, tmp_path):
    from tokkit.corpora import open_corpus

    out = tmp_path / "tok"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--sample", "0.5", "--seed", "2", "--out", out)
    assert code == 0, err
    recorded = tokkit.load(out).provenance.corpus
    assert recorded["sample"] == 0.5 and recorded["seed"] == 2
    assert recorded["sha256"] == open_corpus(str(corpus_file), sample=0.5, seed=2).fingerprint()
    code, _, err = cli(capsys, "train", "unigram", corpus_file, "--vocab-size", "440", "--max-sentences", "150",
                       "--out", tmp_path / "uni")
    assert code == 0 and "trains on a seeded sample of 150 of the 330 texts (max_sentences, --max-sentences; 0 trains on all)" in err
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--sample", "half", "--out", tmp_path / "x")
    assert code == 1 and "--sample 'half' is neither a fraction" in one_error_line(err)


def test_unknown_algorithm(capsys, corpus_file, tmp_path):
    code, _, err = cli(capsys, "train", "wordpiece", corpus_file, "--vocab-size", "300", "--out", tmp_path / "x")
    assert code != 0 and "Traceback" not in err
    assert "wordpiece" in err


def test_unwritable_output_folder(capsys, corpus_file, tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", a_file / "tok")
    assert code == 1 and "cannot write to" in one_error_line(err)
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", "/proc/tokkit-test/tok")
    assert code == 1 and "cannot write to /proc/tokkit-test" in one_error_line(err)


def test_info_shows_a_tokenizer_and_refuses_a_corrupt_one(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    assert cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out)[0] == 0
    code, stdout, _ = cli(capsys, "info", out, "--json", tmp_path / "info.json")
    assert code == 0 and "vocab size" in stdout and "<|endoftext|>" in stdout
    facts = json.loads((tmp_path / "info.json").read_text())
    assert facts["vocab_size"] == 300 and facts["sample"]["roundtrip"] is True
    assert facts["special_tokens"]["eos"]["token"] == "<|endoftext|>"

    (out / "tokenizer.json").write_text('{"model": ')
    code, _, err = cli(capsys, "info", out / "tokenizer.json")
    assert code == 1 and "not a valid tokenizer.json" in one_error_line(err)


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tokkit.cli", "info", str(tmp_path / "nothing")], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no tokenizer at") and "Traceback" not in result.stderr


def test_demo_runs_on_the_builtin_sample(capsys, tmp_path):
    code, stdout, err = cli(capsys, "demo", "--vocab-size", "600", "--json", tmp_path / "demo.json")
    assert code == 0, err
    for algo in ("bpe", "superword", "supertoken", "unigram", "char"):
        assert algo in stdout
    results = json.loads((tmp_path / "demo.json").read_text())
    roundtrips = [r["value"] for r in results["results"] if r["metric"] == "roundtrip_rate"]
    assert roundtrips and all(v == 1.0 for v in roundtrips)
    assert "next: " in stdout and "tokkit tokenize" in stdout  # it ends with what to try next


def test_the_demo_shows_superword_tokens_that_span_words(capsys):
    from tokkit.cli.demo import SENTENCES

    code, stdout, err = cli(capsys, "demo")
    assert code == 0, err
    # at the demo's own size superword learns tokens across words, and the demo says so
    note = next(line for line in stdout.splitlines() if line.startswith("superword (SuperBPE) made"))
    assert "·of·the" in note
    splits = {line.split("│")[1].strip(): line for line in stdout.split(SENTENCES[2])[1].splitlines()
              if line.count("│") > 3 and line.split("│")[1].strip() in ("bpe", "superword")}
    assert "·of·the" in splits["superword"] and "·of·the" not in splits["bpe"]
