"""Perturbations of a text, for measuring how robust a tokenizer's token count is.

TokSuite ("a controlled suite for measuring the impact of tokenizer choice on language
model behavior", arXiv 2512.20757, 2025) perturbs text the way people and pipelines
change it (typos, missing diacritics, casing, Unicode normalisation) and measures how
much each change costs a tokenizer. Each perturbation here is a function of the text alone, so every
tokenizer sees the same perturbed text, and the seeded one (typos) draws its random
numbers from the seed and the line itself: the same line gets the same typos in every
run, on every machine, whatever the order lines are read in.

* ``typos``: each letter, with probability :data:`TYPO_RATE`, is deleted, doubled, or
  swapped with the letter after it (the three edits of Damerau's spelling errors that
  need no keyboard layout, so they apply to every script);
* ``no_diacritics``: the combining diacritical marks (U+0300–U+036F) are removed after
  canonical decomposition (``é`` -> ``e``, ``ş`` -> ``s``, ``й`` -> ``и``), then the text is
  recomposed; the vowel signs of Brahmic scripts, which are not diacritics, stay;
* ``uppercase``: ``str.upper`` (headlines, shouting; casing is where vocabularies learned
  on ordinary text are thinnest);
* ``nfc``, ``nfd``, ``nfkc``, ``nfkd``: the Unicode normalisation forms (UAX #15), which
  text from different pipelines arrives in.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Callable

from tokkit.checks import check_choice

#: the chance that a letter gets a typo
TYPO_RATE = 0.04

#: the seed of the typos when none is given
DEFAULT_SEED = 0


def typos(text: str, seed: int = DEFAULT_SEED) -> str:
    """``text`` with seeded typos (see the module docstring)."""
    rng = random.Random(f"{seed}\0{text}")  # a str seed is hashed with SHA-512: stable everywhere
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if not ch.isalpha() or rng.random() >= TYPO_RATE:
            out.append(ch)
            i += 1
            continue
        edit = rng.choice(("delete", "double", "swap"))
        if edit == "double":
            out.append(ch + ch)
        elif edit == "swap" and i + 1 < len(text) and text[i + 1].isalpha():
            out.append(text[i + 1] + ch)
            i += 1
        # a deletion, or a swap with no letter after it, leaves the letter out
        i += 1
    return "".join(out)


def no_diacritics(text: str) -> str:
    """``text`` without combining diacritical marks (U+0300–U+036F), recomposed."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not "\u0300" <= ch <= "\u036f"))


def _normal_form(form: str) -> Callable[[str], str]:
    def normalise(text: str) -> str:
        return unicodedata.normalize(form, text)

    normalise.__doc__ = f"``text`` in Unicode normalisation form {form}."
    return normalise


@dataclass(frozen=True)
class Perturbation:
    """A named change of a text: what it does in a few words, and the function."""

    name: str
    about: str
    apply: Callable[[str], str]


#: every perturbation by name
PERTURBATIONS: dict[str, Perturbation] = {p.name: p for p in (
    Perturbation("typos", f"seeded typos: {TYPO_RATE:.0%} of letters deleted, doubled or swapped", typos),
    Perturbation("no_diacritics", "combining diacritical marks removed", no_diacritics),
    Perturbation("uppercase", "upper-cased", str.upper),
    *(Perturbation(form.lower(), f"in Unicode {form}", _normal_form(form)) for form in ("NFC", "NFD", "NFKC", "NFKD")),
)}


def perturb(text: str, name: str) -> str:
    """``text`` under the perturbation called ``name``."""
    return PERTURBATIONS[check_choice("perturbation", name, PERTURBATIONS)].apply(text)
