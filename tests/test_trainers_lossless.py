"""What every one of the unigram, char and supertoken trainers promises: lossless on any
Unicode text, deterministic, several sizes in one run, a tokenizer.json that transformers
runs identically, and clear errors for impossible requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.errors import TokkitError

#: (algorithm, options, two sizes the mixed test corpus can give)
CONFIGS = {
    "unigram": ("unigram", {}, (420, 470)),
    "char": ("char", {}, (450, 560)),
    "char-k1": ("char", {"max_chars": 1}, (300, 400)),
    "supertoken": ("supertoken", {}, (400, 800)),
}

#: strings that break careless tokenizers
TRICKY = [
    "İ", "ı", "İstanbul'da", "i̇", "敏捷的狐狸", "日本語のテキスト", "🎉", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽",
    "e\u0301", "a\u0308\u0323", "שלום", "مرحبا بالعالم", "\u200f", "\u200d", "\x00", "\x07", "\x1b[0m",
    "\r\n", "\t", "\n\n", "  ", " ", "\u3000", "\ufeff", "\U0010ffff", "\ufffd", "▁", "▁▁x", " ▁", "<0x41>",
    "<0xE2>", "<0x41", "0x41>", "<unk>", "<|endoftext|>", "<|pad|>", "<s>", "Ġ", "Ċ",
]

utf8_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
tricky_text = st.lists(st.sampled_from(TRICKY) | utf8_text, max_size=12).map("".join)


@pytest.fixture(scope="module", params=list(CONFIGS))
def config(request):
    return request.param


@pytest.fixture(scope="module")
def trained(config, mixed_corpus):
    algorithm, options, sizes = CONFIGS[config]
    return tokkit.train(algorithm, mixed_corpus, list(sizes), **options)


def contributed(tok, ids) -> bytes:
    """The bytes of ``ids``, special tokens as their literal text."""
    return b"".join(tok.token_bytes(i) if tok.token_bytes(i) is not None else tok.id_to_token(i).encode() for i in ids)


def assert_round_trip(tokenizers, text):
    for tok in tokenizers.values():
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        assert contributed(tok, ids) == text.encode("utf-8")


@given(text=utf8_text)
def test_any_text_round_trips(trained, text):
    assert_round_trip(trained, text)


@given(text=tricky_text)
def test_tricky_text_round_trips(trained, text):
    assert_round_trip(trained, text)


def test_long_lines_and_the_empty_string_round_trip(trained):
    long_line = " ".join(TRICKY) * 40 + "x" * 5000
    for text in ["", long_line, "\n".join(TRICKY * 20)]:
        assert_round_trip(trained, text)


def test_sizes_come_out_as_asked_with_roles(trained, config):
    assert sorted(trained) == list(CONFIGS[config][2])
    for size, tok in trained.items():
        assert tok.vocab_size == size
        assert tok.id_to_token(tok.specials.eos) == "<|endoftext|>" and tok.specials.bos == tok.specials.eos
        assert tok.id_to_token(tok.specials.pad) == "<|pad|>"
        assert tok.provenance.params["vocab_size"] == size and tok.provenance.algorithm == CONFIGS[config][0]


#: trains every config in a fresh interpreter (another hash seed) and saves it
FRESH_PROCESS = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from conftest import mixed_texts
from test_trainers_lossless import CONFIGS
import tokkit
from tokkit.corpora import TextCorpus
corpus = TextCorpus(mixed_texts(), spec="<mixed test text>")
for name, (algorithm, options, sizes) in CONFIGS.items():
    for size, tok in tokkit.train(algorithm, corpus, list(sizes), **options).items():
        tok.save(Path({out!r}) / name / str(size))
"""


@pytest.fixture(scope="module")
def trained_elsewhere(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh")
    script = FRESH_PROCESS.format(tests=str(Path(__file__).parent), out=str(out))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=300)
    return out


def test_same_corpus_and_seed_give_identical_files(trained, config, trained_elsewhere, tmp_path):
    for size, tok in trained.items():
        here = tok.save(tmp_path / str(size))
        there = trained_elsewhere / config / str(size)
        for name in ("tokenizer.json", "tokkit.json"):
            assert (here / name).read_bytes() == (there / name).read_bytes()


def test_each_size_equals_a_training_at_that_size_alone(trained, config, mixed_corpus):
    """BPE family: the smaller size is cut from the larger; unigram trains per size. Either
    way the result must be what a one-size training gives."""
    algorithm, options, sizes = CONFIGS[config]
    alone = tokkit.train(algorithm, mixed_corpus, sizes[0], **options)[sizes[0]]
    assert json.loads(alone.backend.to_str()) == json.loads(trained[sizes[0]].backend.to_str())


def test_transformers_loads_the_saved_file_and_encodes_identically(trained, tmp_path):
    transformers = pytest.importorskip("transformers")
    texts = TRICKY + [" ".join(TRICKY), "The quick brown fox jumps over the lazy dog.", "  two  spaces\tand\ttabs\n"]
    for size, tok in trained.items():
        folder = tok.save(tmp_path / str(size))
        fast = transformers.PreTrainedTokenizerFast(tokenizer_file=str(Path(folder) / "tokenizer.json"))
        for text in texts:
            ids = fast.encode(text, add_special_tokens=False)
            assert ids == tok.encode(text)
            assert fast.decode(ids, clean_up_tokenization_spaces=False) == text


def test_impossible_sizes_are_refused(config, mixed_corpus):
    algorithm, options, _ = CONFIGS[config]
    for sizes in ([], [10], [100_000]):
        with pytest.raises(TokkitError):
            tokkit.train(algorithm, mixed_corpus, sizes, **options)


@pytest.mark.parametrize("texts", [[], ["", ""]])
def test_an_empty_corpus_is_refused(config, texts):
    algorithm, options, sizes = CONFIGS[config]
    with pytest.raises(TokkitError, match="empty"):
        tokkit.train(algorithm, TextCorpus(texts, spec="<empty>"), list(sizes), **options)


#: lines of each FLORES-200 devtest language the real-data test checks (all 204 languages;
#: encoding every line of all of them takes minutes on two cores)
FLORES_LINES = 50


@pytest.fixture(scope="module")
def flores_devtest(data_dir):
    files = sorted((data_dir / "flores200" / "devtest").glob("*.txt"))
    assert len(files) == 204
    return {f.stem: f.read_text(encoding="utf-8").splitlines()[:FLORES_LINES] for f in files}


@pytest.fixture(scope="module")
def eng_tur_slice(data_dir):
    texts = []
    for lang in ("eng", "tur"):
        with open(data_dir / "text" / lang / "train.txt", encoding="utf-8") as f:
            texts.extend(f.read(500_000).splitlines()[:-1])  # drop the cut last line
    return TextCorpus(texts, spec="text:eng+tur (1 MB)")


@pytest.mark.realdata
@pytest.mark.slow
def test_every_flores_language_round_trips(config, eng_tur_slice, flores_devtest):
    algorithm, options, _ = CONFIGS[config]
    size = 400 if options.get("max_chars") == 1 else 2000
    tok = tokkit.train(algorithm, eng_tur_slice, size, **options)[size]
    failed = {}
    for lang, lines in flores_devtest.items():
        decoded = tok.backend.decode_batch(tok.encode_batch(lines), skip_special_tokens=False)
        bad = [line for line, back in zip(lines, decoded) if back != line]
        if bad:
            failed[lang] = (len(bad), bad[0][:80])
    assert not failed
