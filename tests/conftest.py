"""Shared fixtures. Unit tests make their own tiny data; real-data tests use
TOKKIT_DATA_DIR (../shared/data in CI) and are skipped, with the reason, without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Text the unit tests train on: several scripts, written for these tests.
MIXED_TEXT = [
    "The quick brown fox jumps over the lazy dog, twice: 12 and 345 times.",
    "Kırmızı şapkalı kız İstanbul'a gitti; ISPARTA ile IĞDIR arasında ılık bir rüzgâr esti.",
    "Der schnelle braune Fuchs springt über den faulen Hund — größer, schöner, weißer.",
    "敏捷的棕色狐狸跳过了懒狗。我们今天去公园散步吧！",
    "Быстрая коричневая лиса перепрыгивает через ленивую собаку.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
    "Emoji 🎉🚀 and   spaces\tand tabs\nand café, naïve, résumé.",
    "def tokenize(text):\n    return [t for t in text.split() if t]  # code, too",
]


def mixed_texts(repeat: int = 30) -> list[str]:
    """The mixed sample, repeated with small variations so that BPE has pairs to merge."""
    out = []
    for i in range(repeat):
        for line in MIXED_TEXT:
            out.append(f"{line} {i}" if i % 3 else line)
    return out


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``tokkit ARGS...`` in this process: (exit code, stdout, stderr)."""
    from tokkit.cli.app import app
    from tokkit.cli.common import run_cli

    code = run_cli(app, [str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    """Check that stderr is one ``error:`` message and no traceback; return its text."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines and lines[0].startswith("error:"), err
    return " ".join(lines)  # rich may wrap one long line on a narrow terminal


@pytest.fixture(scope="session")
def mixed_corpus():
    from tokkit.corpora import TextCorpus

    return TextCorpus(mixed_texts(), spec="<mixed test text>")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (TOKKIT_DATA_DIR); tests that need it skip without it."""
    value = os.environ.get("TOKKIT_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("TOKKIT_DATA_DIR is not set to the shared data folder")
    return Path(value)
