"""``hf:NAME`` without a network: one line at once, or the local cache (the hub is a closed local port)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import tokkit


def _info(spec: str, cache, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(cache), "COLUMNS": "300", **env}
    return subprocess.run([sys.executable, "-m", "tokkit", "info", spec, "--json", "-"], capture_output=True, text=True,
                          env=environment, timeout=300)


def test_an_unreachable_hub_is_one_line_without_retries(tmp_path):
    done = _info("hf:someone/some-tokenizer", tmp_path / "hf")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the Hugging Face hub at http://127.0.0.1:9")
    assert "HF_HUB_OFFLINE=1" in lines[0] and "local folder" in lines[0]
    assert "Retrying" not in done.stderr


def test_an_unreachable_hub_falls_back_to_the_cache(tmp_path, mixed_corpus):
    tok = tokkit.train("bpe", mixed_corpus, 300)[300]
    snapshot = tmp_path / "hf" / "hub" / "models--someone--cached" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "tokenizer.json").write_text(tok.backend.to_str(), encoding="utf-8")
    refs = tmp_path / "hf" / "hub" / "models--someone--cached" / "refs"
    refs.mkdir()
    (refs / "main").write_text("abc123")
    done = _info("hf:someone/cached", tmp_path / "hf")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["vocab_size"] == 300
    offline = _info("hf:someone/cached", tmp_path / "hf", HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr
