"""The hybrid tokenizer's compiled encoder gives exactly the ids of the pure-Python path.

The oracle is the Python path itself (its own tests check it against the rules): the
same saved tokenizer is loaded twice, once with the compiled encoder and once without,
and both encode the same text. Besides real and generated text, each rule that
``_hybrid_encode.c`` ports (the list in :mod:`tokkit.morphology.hybrid.compiled`) has
inputs made for it here, encoded with and without the known-word table (without it,
every word is analysed on both paths).
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit
from tokkit.morphology.harmony import PROGRESSIVE, spell_root, tr_upper
from tokkit.morphology.hybrid import CHUNK, HybridTokenizer
from tokkit.morphology.turkish import MAX_LETTERS

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


@pytest.fixture(scope="module")
def bare_twins(real_tok):
    """``real_tok``'s vocabulary without its known-word tables, compiled and in pure Python."""
    pair = tuple(HybridTokenizer(real_tok.roots, real_tok._fallback, real_tok.analyzer, compiled=c) for c in (True, False))
    assert pair[0]._compiled is not None and pair[1]._compiled is None
    return pair


def same_ids(pair, texts) -> None:
    compiled, pure = pair
    for text in texts:
        ids = compiled.encode(text)
        assert ids == pure.encode(text), text
        assert compiled.decode(ids) == text


def flores_tur(data_dir) -> list[str]:
    return (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()


def test_same_ids_on_flores_and_turkishmmlu(real_twins, data_dir):
    others = [
        line
        for lang in ("eng_Latn", "deu_Latn", "fin_Latn", "zho_Hans", "arb_Arab")
        for line in (data_dir / "flores200" / "devtest" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:100]
    ]
    same_ids(real_twins, flores_tur(data_dir) + turkishmmlu_texts(data_dir) + others)


def test_same_analysis_of_every_word_without_the_table(bare_twins, data_dir):
    """No known-word table: every word of FLORES and TurkishMMLU is analysed on both paths
    (best_stem's root ranking, the suffix parse, spell_root, the exactness check), also
    in capitals and capitalised, where proper nouns rank with common words."""
    flores = flores_tur(data_dir)
    cased = [tr_upper(line) for line in flores[:300]] + [line.title() for line in flores[300:600]]
    same_ids(bare_twins, flores + turkishmmlu_texts(data_dir) + cased)


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
    for piece in ["kitap,", " (kitap)", " İstanbul'a,", " 12345abc", " «merhaba»", "x²³", "$100", "kitap’ın.", "a," * 128]:
        assert chunks_of_compiled(piece) == CHUNK.findall(piece)
    assert chunks_of_compiled(" a\tb") is None and chunks_of_compiled(" ") is None
    assert chunks_of_compiled("a," * 128 + "a") is None  # longer than the C cut takes


def test_same_ids_beyond_the_compiled_limits(real_twins):
    """Words longer than the analysis takes (a chain of suffixes too), a long run for the BPE."""
    words = ["ev" * 300 + "lerimizden", " Kitap" + "lık" * 200, "ev" + "lik" * 3000, " İstanbul'" + "lik" * 3000]
    words += ["Ev" + "lik" * 40, " K" + "a" * 511, " K" + "a" * 512]  # 512 letters and one more
    same_ids(real_twins, words + ["!?" * 200, "a" + "\u0306" * 3])


# -- each rule the C file ports (tokkit.morphology.hybrid.compiled), on inputs made for it ----
#: pieces the C cut takes (digit groups, in-word apostrophes) and pieces it leaves to CHUNK
PIECES = ["1,234.567", "a1b2c3", "x²³¼", "ª µ", "«a»", "a'", "'a", "a''b", "a'b'c", "a’'b", "\u0301a", "a\u00a0b", "a\u0085b", "敏捷a"]
CASED = ["K", "k", "I", "İ", "ı", "i", "Â", "â", "Q", "w", "X", "İİ", "Iı", "ıI", "KİTAP", "Kitap", "KiTAP", "kİtap"]
CASED += ["IĞDIR", "Iğdır", "ığdır", "İSTANBUL", "İstanbul", "iSTANBUL", "ÂLEM", "Âlem", "ÇİÇEK", "Şehir", "ÖĞRENCİ", "Üzüm"]
#: written decomposed: composable (ğ, ş, İ, ö), partly decomposed, marks that compose with no Turkish letter
DECOMPOSED = ["dog\u0306ru", "Dog\u0306ru", "DOG\u0306RU", "I\u0307stanbul", "I\u0307STANBUL", "S\u0327EHI\u0307R"]
DECOMPOSED += ["g\u0306", "G\u0306", "o\u0308g\u0306renci", "ğog\u0306", "a\u0306", "e\u0301", "\u0306", "a\u0306\u0306"]
DECOMPOSED += ["o\u0308\u0301", "c\u0327ic\u0327ek'i"]
APOSTROPHES = [" İstanbul'a", " İstanbul’a", " Ankara’dan", " Türkiye'nin", " Scotia'nın", " Ankara'xyz", " tbmm'ye"]
APOSTROPHES += [" ABD'nin", " abd'nin", " a'b'c", " İstanbul'da'ki", " kitap'ım", " 2024'te", " x'in", " O'nun", " İSTANBUL'A"]
APOSTROPHES += [" ANKARA'nın"]
#: words whose best root is a proper noun when written with capitals, a common word's in lower case
RANKED = [w for word in ("adaları", "alman", "arapça", "kanada", "krallık", "grubu") for w in (" " + word, " " + word.title())]
#: plans that are not exact by construction, so the decoder's spelling checks them: the first
#: five with the progressive after a root token or after a suffix whose last vowel it drops
#: (after a stem without vowels too), then root tokens of another entry, kept or refused
CHECKED = [" gelmiyor'du", "gelmiyor'muş", " arıyor'du", " Ankara'lıyor", " tbmm'lıyor", " Alp", " kontrol", " dikkate"]
CHECKED += [" halde", " kontrolde", " kristaller", " orijinalde", " Scotia", " saatlerimiz", " hâlâ", " golü"]
AT_LIMIT = "ev" + "lik" * ((MAX_LETTERS - 2) // 3)  # analysed
BEYOND_LIMIT = "ev" + "lik" * ((MAX_LETTERS - 5) // 3) + "lere"  # would be analysed, is not
#: odd runs (the leftmost of two equal pairs merges first), strings at the C path's 256 bytes
BPE_STRINGS = ["...", ".....", ".......", "!!!!!!!", "ıııııııı", "lalalalala", "аааааааа", "ǅǅǅǅ", "\t\t\t\t", "\n\n\n"]
BPE_STRINGS += ["!" * 256, "!" * 257, "é" * 128, "é" * 129, "😀" * 64, "😀" * 65]

#: the rule -> inputs made for it
RULE_INPUTS = {
    "spaces": ["", " ", "  ", " a", "a ", "a  b", "\n", " \n ", "a\tb", "   kitap   "],
    "chunk cut": PIECES,
    "markers": CASED + DECOMPOSED + [" " + w for w in CASED + DECOMPOSED] + [" ".join(CASED + DECOMPOSED)],
    "apostrophe": APOSTROPHES,
    "root ranking": RANKED,
    "checked plans": CHECKED,
    "MAX_LETTERS": [w for word in (AT_LIMIT, BEYOND_LIMIT) for w in (word, " " + word, word.capitalize(), " " + tr_upper(word))],
    "BPE merges": BPE_STRINGS,
}


@pytest.mark.parametrize("rule", list(RULE_INPUTS))
def test_same_ids_on_the_inputs_of_each_rule(toy_twins, real_twins, bare_twins, rule):
    for pair in (toy_twins, real_twins, bare_twins):
        same_ids(pair, RULE_INPUTS[rule])


def test_the_checked_plans_reach_the_progressive(bare_twins):
    """The inputs for the decoder's spelling of checked plans are such plans, with the progressive."""
    _, pure = bare_twins
    for word in CHECKED[:5]:
        _, key, cased = pure._entry(word)
        space = key[:1] == " "
        items, exact = pure._plan_word(key[1:] if space else key, space, lowercase=not cased)
        assert not exact and pure._suffix_ids[PROGRESSIVE] in items, word


def test_max_letters_is_where_analysis_stops(toy_twins):
    assert len(AT_LIMIT) == MAX_LETTERS and len(BEYOND_LIMIT) == MAX_LETTERS + 1
    compiled = toy_twins[0]
    assert any(compiled.id_to_token(i).startswith("+") for i in compiled.encode(AT_LIMIT))
    assert all(compiled.id_to_token(i).startswith("§") for i in compiled.encode(BEYOND_LIMIT))


def test_same_ids_and_caches_when_the_caches_empty(real_tok, data_dir):
    """Caches of 8 entries, emptied again and again: the same ids, and the same caches on
    both paths (the compiled encoder fills the tokenizer's own dicts, in the same order);
    a table filled by hand with lists instead of tuples works on both."""
    small = [
        HybridTokenizer(real_tok.roots, real_tok._fallback, real_tok.analyzer, cache_size=8, compiled=c) for c in (True, False)
    ]
    for tok in small:
        tok.known, tok.known_cased = real_tok.known, real_tok.known_cased
    flores = flores_tur(data_dir)
    for text in flores[:100]:
        assert small[0].encode(text) == small[1].encode(text) == real_tok.encode(text)
        assert small[0]._pieces == small[1]._pieces and small[0]._chunks == small[1]._chunks
        assert len(small[0]._pieces) <= 8 and len(small[0]._chunks) <= 8
    by_hand = {chunk: list(ids) for chunk, ids in real_tok.known.items()}
    for tok in small:
        tok.known = by_hand
    same_ids(small, flores[100:150])


#: what follows a root: (template, as harmony.spell_root takes it; and as the compiled one
#: does: there is one, it is the progressive, it starts with a vowel)
NEXTS = [
    (None, False, False, False),
    (PROGRESSIVE, True, True, True),
    ("(y)I", True, False, True),
    ("lAr", True, False, False),
]


def same_spelling(encoder, root: str, flags: frozenset[str]) -> None:
    for template, has_next, prog, vowel in NEXTS:
        text, ctx = spell_root(root, flags, template)
        assert encoder.spell_root(root, flags, has_next, prog, vowel) == (text, ctx.vowel, ctx.last), (root, flags, template)


def test_spell_root_is_the_harmony_rule_for_every_lexicon_root(real_tok):
    """The compiled spelling of root tokens against harmony.spell_root, every lexicon entry."""
    for entry in real_tok.analyzer.entries:
        same_spelling(real_tok._compiled, entry.root, entry.flags)
    assert len(real_tok.analyzer.entries) > 50_000


def test_spell_root_is_the_harmony_rule_for_every_flag(toy_twins):
    """Made-up roots under every combination of flags: each vowel last (inverse harmony
    fronts ı, â and û too), each consonant that softens, no vowel at all, apostrophes."""
    names = ["voicing", "vowel_drop", "doubling", "inverse", "prog_drop"]
    ends = ("", "k", "nk", "g", "p", "ç", "t", "r", "st")
    roots = [c + v + end for v in "aeıioöuüâîû" for c in ("", "k") for end in ends]
    for bits in range(1 << len(names)):
        flags = frozenset(name for k, name in enumerate(names) if bits >> k & 1)
        for root in roots + ["", "ş", "sg", "o'k", "a’b"]:
            same_spelling(toy_twins[0]._compiled, root, flags)


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
