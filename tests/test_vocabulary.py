"""Vocabulary profiles and overlaps, and the scripts they rest on, each against an
independent computation (fontTools' copy of Unicode's Scripts.txt, sets of token bytes
built here); ``tokkit vocab``."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import cli, one_error_line

import tokkit
from tokkit.scripts import BYTES, COMMON, MIXED, UNKNOWN, char_script, script_name, script_of_lang, token_script
from tokkit.vocabulary import VocabularyProfile, VocabularyReport, analyse, overlap, token_set


def _independent_script(ch: str) -> str | None:
    from fontTools.unicodedata import script

    code = script(ch)
    return None if code in ("Zyyy", "Zinh", "Zzzz") else code


def test_the_script_of_a_character_is_unicodes():
    pytest.importorskip("fontTools.unicodedata")
    sample = "aZéßİı" "яЁ" "αΩ" "אב" "عربی" "हिन्दी" "বাংলা" "தமிழ்" "ไทย" "ລາວ" "ខ្មែរ" "ጤና" "ქართ" "Հայ" "한국" "ひらカタ" "漢字" \
             "ᱚᱞ" "ⵜⴰ" "ཀཁ" "0123 .,;!?-()" "\u0301\u200d" "🎉" "ㄅㄆ"
    for ch in sample:
        assert char_script(ch) == _independent_script(ch), ch


def test_the_script_of_every_token_of_a_real_vocabulary(data_dir):
    pytest.importorskip("fontTools.unicodedata")
    tok = tokkit.load(data_dir / "tokenizers/sentencepiece/mistral-v3.model")
    for raw in token_set(tok):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            assert token_script(raw) == BYTES
            continue
        scripts = {s for s in map(_independent_script, text) if s}
        assert token_script(raw) == (COMMON if not scripts else scripts.pop() if len(scripts) == 1 else MIXED), text


def test_the_script_of_a_language_is_its_codes_suffix():
    assert [script_of_lang(code) for code in ("tur_Latn", "zho_Hans", "eng", "all", "xx_12ab")] == ["Latn", "Hans", UNKNOWN, UNKNOWN, UNKNOWN]
    assert script_name("Cyrl") == "Cyrl (Cyrillic)" and script_name("Qaaa") == "Qaaa"
    assert token_script("ab1".encode()) == "Latn" and token_script(" 12,".encode()) == COMMON
    assert token_script("aя".encode()) == MIXED and token_script("東".encode()[:2]) == BYTES


def test_a_profile_counts_what_the_token_bytes_say(bpe_300, unigram_420):
    for tok in (bpe_300, unigram_420):
        distinct = {tok.token_bytes(i) for i in range(tok.vocab_size) if tok.token_bytes(i) is not None}
        profile = VocabularyProfile.of(tok)
        assert profile.ids == tok.vocab_size and profile.tokens == len(distinct)
        assert profile.byte_lengths == dict(Counter(len(b) for b in distinct))
        whole = [b.decode("utf-8") for b in distinct if _decodes(b)]
        assert profile.char_lengths == dict(Counter(len(t) for t in whole))
        assert sum(profile.scripts.values()) == len(distinct)
        assert profile.scripts[BYTES] == len(distinct) - len(whole)
        assert profile.mean_bytes() == pytest.approx(sum(map(len, distinct)) / len(distinct))
        assert list(profile.scripts.values()) == sorted(profile.scripts.values(), reverse=True)
        assert VocabularyProfile.from_json(json.loads(json.dumps(profile.to_json()))) == profile
    assert VocabularyProfile.of(bpe_300).byte_lengths[1] == 256  # a byte-level BPE holds every byte


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_overlap_compares_bytes_not_vocabulary_strings(bpe_300, unigram_420):
    left = {bpe_300.token_bytes(i) for i in range(bpe_300.vocab_size)} - {None}
    right = {unigram_420.token_bytes(i) for i in range(unigram_420.vocab_size)} - {None}
    found = overlap(bpe_300, unigram_420)
    assert found.shared == len(left & right) and (found.a_tokens, found.b_tokens) == (len(left), len(right))
    assert found.jaccard == pytest.approx(len(left & right) / len(left | right))
    assert found.share_of_a == pytest.approx(len(left & right) / len(left))


def test_overlap_meets_across_space_conventions(data_dir):
    sentencepiece = tokkit.load(data_dir / "tokenizers/sentencepiece/mistral-v3.model")
    tiktoken = tokkit.load(data_dir / "tokenizers/tiktoken/cl100k_base.tiktoken")
    ids = {tok: {b: i for i, b in enumerate(tok.all_token_bytes()) if b is not None} for tok in (sentencepiece, tiktoken)}
    assert sentencepiece.id_to_token(ids[sentencepiece][b" the"]) == "▁the"
    assert tiktoken.id_to_token(ids[tiktoken][b" the"]) == "Ġthe"
    shared = token_set(sentencepiece) & token_set(tiktoken)
    assert b" the" in shared and overlap(sentencepiece, tiktoken).shared == len(shared)
    strings = {sentencepiece.id_to_token(i) for i in ids[sentencepiece].values()} & {
        tiktoken.id_to_token(i) for i in ids[tiktoken].values()}
    assert len(strings) < len(shared) / 2  # by vocabulary strings most of them would not meet


def test_analyse_names_every_pair_and_round_trips_through_json(bpe_300, unigram_420):
    report = analyse([bpe_300, unigram_420, bpe_300])
    names = [p.name for p in report.profiles]
    assert names == [bpe_300.name, unigram_420.name, f"{bpe_300.name}#2"]
    assert report.shared[bpe_300.name][f"{bpe_300.name}#2"] == len(token_set(bpe_300))
    assert [(o.a, o.b) for o in report.overlaps()] == [(names[0], names[1]), (names[0], names[2]), (names[1], names[2])]
    assert report.overlaps()[0].shared == overlap(bpe_300, unigram_420).shared
    assert VocabularyReport.from_json(json.loads(json.dumps(report.to_json()))) == report


def test_vocab_command_prints_and_writes_json(capsys, tmp_path, bpe_300, unigram_420):
    a, b = tmp_path / "a", tmp_path / "b"
    bpe_300.save(a)
    unigram_420.save(b)
    out = tmp_path / "vocab.json"
    code, stdout, err = cli(capsys, "vocab", a, b, "--json", out)
    assert code == 0, err
    assert "token lengths in bytes" in stdout and "shared tokens" in stdout and "Latn (Latin)" in stdout
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload == json.loads(json.dumps(analyse([tokkit.load(a, name="a"), tokkit.load(b, name="b")]).to_json()))
    code, _, err = cli(capsys, "vocab", a, "--json", out)
    assert code == 1 and "--force" in one_error_line(err)
    code, _, err = cli(capsys, "vocab", tmp_path / "none")
    assert code == 1 and "tokenizer" in one_error_line(err)
    code, _, err = cli(capsys, "vocab", a, "--scripts", "0")
    assert code == 1 and "--scripts must be at least 1" in one_error_line(err)
