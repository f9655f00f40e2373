"""The hybrid tokenizer's compiled encoder gives exactly the ids of the pure-Python path.

The oracle is the Python path itself (its own tests check it against the rules): the
same saved tokenizer is loaded twice, once with the compiled encoder and once without,
and both encode the same text.
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit
from tokkit.morphology.harmony import PROGRESSIVE, spell_root
from tokkit.morphology.hybrid import CHUNK, HybridTokenizer

from test_morphology_hybrid import TURKISH_LETTERS, generated_words, turkishmmlu_texts

compiled = pytest.importorskip("tokkit.morphology._hybrid_encode", reason="the compiled encoder was not built (no C compiler)")
chunks_of_compiled = compiled.chunks_of

#: combining marks of decomposed Turkish letters (ğ = g + U+0306, ş = s + U+0327, ...) and others
MARKS = "\u0302\u0306\u0307\u0308\u0327\u0301"


def twins(tok: HybridTokenizer, folder) -> tuple[HybridTokenizer, HybridTokenizer]:
    """``tok`` saved and loaded twice: with the compiled encoder, and in pure Python."""
    tok.save(folder)
    compiled = tokkit.load(folder)
    os.environ["TOKKIT_PURE_PYTHON"] = "1"
    try:
        pure = tokkit.load(folder)
    finally:
        del os.environ["TOKKIT_PURE_PYTHON"]
    assert compiled._compiled is not None and pure._compiled is None
    return compiled, pure


@pytest.fixture(scope="module")
def toy_twins(toy_tok, tmp_path_factory):
    return twins(toy_tok, tmp_path_factory.mktemp("toy") / "tok")


@pytest.fixture(scope="module")
def real_twins(real_tok, tmp_path_factory):
    return twins(real_tok, tmp_path_factory.mktemp("real") / "tok")


def same_ids(pair, texts) -> None:
    compiled, pure = pair
    for text in texts:
        ids = compiled.encode(text)
        assert ids == pure.encode(text), text
        assert compiled.decode(ids) == text


def test_same_ids_on_flores_and_turkishmmlu(real_twins, data_dir):
    flores = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()
    others = [
        line
        for lang in ("eng_Latn", "deu_Latn", "fin_Latn", "zho_Hans", "arb_Arab")
        for line in (data_dir / "flores200" / "devtest" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:100]
    ]
    same_ids(real_twins, flores + turkishmmlu_texts(data_dir) + others)


@given(st.text(max_size=80))
def test_same_ids_arbitrary_unicode(toy_twins, text):
    same_ids(toy_twins, [text])


@settings(max_examples=300)
@given(
    st.lists(st.text(alphabet=TURKISH_LETTERS + "İIâÂîÎûÛ'’" + MARKS, min_size=1, max_size=14), max_size=8),
    st.sampled_from([" ", "  ", "\n", ", ", "'"]),
)
def test_same_ids_turkish_like(real_twins, words, sep):
    """Lower, Capitalised, ALL-CAPS and mixed case, decomposed letters, apostrophes."""
    same_ids(real_twins, [sep.join(words)])


@given(st.lists(generated_words(), min_size=1, max_size=6))
def test_same_ids_generated_turkish(toy_twins, words):
    same_ids(toy_twins, [" ".join(words)])


PIECE_CHARACTERS = st.sampled_from(
    list("abcçğıIİöşüXyzÂâ'’.,;:!?()«»\"-_/$%&*+=<>@#0123456789²³¼µªßéñ\t\n\u00a0\u0301\u0306敏é") + ["\u0085", "\x1c"]
)


@settings(max_examples=500)
@given(st.booleans(), st.lists(PIECE_CHARACTERS, max_size=20))
def test_compiled_chunking_is_the_regex(space, characters):
    """The compiled cut of a piece into chunks is CHUNK's, where it does not leave it to CHUNK."""
    piece = (" " if space else "") + "".join(characters)
    cut = chunks_of_compiled(piece)
    assert cut is None or cut == CHUNK.findall(piece)


def test_compiled_chunking_takes_the_common_pieces():
    for piece in ["kitap,", " (kitap)", " İstanbul'a,", " 12345abc", " «merhaba»", "x²³", "$100", "kitap’ın."]:
        assert chunks_of_compiled(piece) == CHUNK.findall(piece)
    assert chunks_of_compiled(" a\tb") is None and chunks_of_compiled(" ") is None


def test_same_ids_beyond_the_compiled_limits(real_twins):
    """Words longer than the analysis takes (a chain of suffixes too), a long run for the BPE."""
    words = ["ev" * 300 + "lerimizden", " Kitap" + "lık" * 200, "ev" + "lik" * 3000, " İstanbul'" + "lik" * 3000]
    same_ids(real_twins, words + ["Ev" + "lik" * 40, "!?" * 200, "a" + "\u0306" * 3])


def test_same_ids_when_the_caches_empty(real_tok, data_dir):
    """Caches of 8 entries, emptied again and again, change nothing."""
    small = HybridTokenizer(real_tok.roots, real_tok._fallback, real_tok.analyzer, cache_size=8)
    small.known, small.known_cased = real_tok.known, real_tok.known_cased
    flores = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()[:100]
    assert [small.encode(text) for text in flores] == [real_tok.encode(text) for text in flores]


def test_spell_root_is_the_harmony_rule_for_every_lexicon_root(real_tok):
    """The compiled spelling of root tokens against harmony.spell_root, every lexicon entry."""
    encoder = real_tok._compiled
    nexts = [(None, False, False, False), (PROGRESSIVE, True, True, True), ("(y)I", True, False, True), ("lAr", True, False, False)]
    checked = 0
    for entry in real_tok.analyzer.entries:
        for template, has_next, prog, vowel in nexts:
            text, ctx = spell_root(entry.root, entry.flags, template)
            assert encoder.spell_root(entry.root, entry.flags, has_next, prog, vowel) == (text, ctx.vowel, ctx.last), entry
            checked += 1
    assert checked > 200_000


def test_a_copy_has_its_own_compiled_encoder(toy_twins, monkeypatch):
    """A deep copy (its harmony contexts too) encodes new words as the original does."""
    compiled, pure = toy_twins
    twin = copy.deepcopy(compiled)
    assert twin._compiled is not None and twin._compiled is not compiled._compiled
    monkeypatch.setenv("TOKKIT_PURE_PYTHON", "1")
    pure_twin = copy.deepcopy(pure)
    assert pure_twin._compiled is None
    text = "Kitapları İstanbul'a götürdük, ANKARA'da değil; evlerimizden arabayı."
    assert twin.encode(text) == pure_twin.encode(text) == pure.encode(text)


def test_pure_python_switch(real_tok, tmp_path, monkeypatch):
    real_tok.save(tmp_path / "tok")
    monkeypatch.setenv("TOKKIT_PURE_PYTHON", "1")
    assert tokkit.load(tmp_path / "tok")._compiled is None
