"""Writing systems: the script of a language code, of a character, and of a token.

Scripts are named by their ISO 15924 codes (``Latn``, ``Cyrl``, ``Arab``, ``Hani``), the
codes FLORES-200 puts after a language (``tur_Latn``, ``zho_Hans``) and Unicode's Script
property uses. A character's script is Unicode's (``Scripts.txt``), looked up through
the ``regex`` module's ``\\p{sc=...}`` classes, which follow the current Unicode version
(Python's :mod:`unicodedata` has no Script property). Characters shared by every script
(digits, punctuation, spaces: ``Zyyy``, "Common") or taking the script of the letter
before them (combining marks: ``Zinh``, "Inherited") belong to no script of their own.
"""

from __future__ import annotations

from functools import lru_cache

import regex

#: the script of a language code that names none (``tur``, ``en``, ``all``)
UNKNOWN = "unknown"
#: the script of a token with no letters of any script: digits, punctuation, spaces
COMMON = "Zyyy"
#: the script of a token whose letters belong to more than one script
MIXED = "mixed"
#: the script of a token that holds part of a character (its bytes are not UTF-8 alone)
BYTES = "bytes"

#: every script of Unicode 17 with letters of its own (ISO 15924), besides Common and Inherited;
#: an older ``regex`` knows fewer, and their letters then count as Common
UNICODE_SCRIPTS = tuple("""
Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari
Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth
Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Jurc Kali Kana Kawi Khar
Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf
Mend Merc Mero Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya
Osge Osma Ougr Palm Pauc Pcun Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Seal Sgnw Shaw
Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu
Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Tols Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb
""".split())

#: English names of the scripts FLORES-200 and the common vocabularies use, for display
SCRIPT_NAMES = {
    "Arab": "Arabic", "Armn": "Armenian", "Beng": "Bengali", "Bopo": "Bopomofo", "Cyrl": "Cyrillic",
    "Deva": "Devanagari", "Ethi": "Ethiopic", "Geor": "Georgian", "Grek": "Greek", "Gujr": "Gujarati",
    "Guru": "Gurmukhi", "Hang": "Hangul", "Hani": "Han", "Hans": "Han (Simplified)", "Hant": "Han (Traditional)",
    "Hebr": "Hebrew", "Hira": "Hiragana", "Jpan": "Japanese", "Kana": "Katakana", "Khmr": "Khmer",
    "Knda": "Kannada", "Laoo": "Lao", "Latn": "Latin", "Mlym": "Malayalam", "Mong": "Mongolian",
    "Mtei": "Meetei Mayek", "Mymr": "Myanmar", "Olck": "Ol Chiki", "Orya": "Odia", "Sinh": "Sinhala",
    "Syrc": "Syriac", "Taml": "Tamil", "Telu": "Telugu", "Tfng": "Tifinagh", "Thaa": "Thaana", "Thai": "Thai",
    "Tibt": "Tibetan", COMMON: "digits, punctuation, spaces", MIXED: "several scripts", BYTES: "part of a character",
}


def _alternatives(codes) -> str:
    return "|".join(fr"(?P<{code}>\p{{sc={code}}})" for code in codes)


def _known(code: str) -> bool:
    try:
        regex.compile(fr"\p{{sc={code}}}")
    except regex.error:
        return False
    return True


@lru_cache(maxsize=1)
def _script_pattern() -> regex.Pattern:
    """One alternative per script the installed ``regex`` knows: the group that matches
    names the character's script."""
    try:
        return regex.compile(_alternatives(UNICODE_SCRIPTS))
    except regex.error:  # an older regex: leave out the scripts it does not know
        return regex.compile(_alternatives(filter(_known, UNICODE_SCRIPTS)))


def script_of_lang(lang: str) -> str:
    """The script part of a FLORES-style code (``tur_Latn`` -> ``Latn``); :data:`UNKNOWN`
    for a code without one (``tur``, ``en``)."""
    script = lang.partition("_")[2]
    return script.title() if len(script) == 4 and script.isalpha() else UNKNOWN


def script_name(code: str) -> str:
    """``Latn (Latin)`` where the name is known, else the code itself."""
    name = SCRIPT_NAMES.get(code)
    return f"{code} ({name})" if name else code


@lru_cache(maxsize=65536)
def char_script(ch: str) -> str | None:
    """Unicode's script of one character; ``None`` for Common and Inherited ones."""
    found = _script_pattern().match(ch)
    return found.lastgroup if found else None


def text_scripts(text: str) -> set[str]:
    """The scripts of the characters of ``text`` (Common and Inherited ones left out)."""
    return {s for s in map(char_script, text) if s is not None}


def token_script(raw: bytes) -> str:
    """The script of a token's bytes: the one script of its letters, :data:`MIXED` for
    several, :data:`COMMON` for none, :data:`BYTES` when they are not UTF-8 alone."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BYTES
    scripts = text_scripts(text)
    if not scripts:
        return COMMON
    return scripts.pop() if len(scripts) == 1 else MIXED
