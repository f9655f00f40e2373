"""Turkish vowel and consonant harmony: how one suffix (an *allomorph class*) is spelt.

A Turkish suffix has several spellings chosen by the sounds of the stem it follows:
the plural is ``-lar`` after a back vowel and ``-ler`` after a front one; the past
tense is ``-dı/-di/-du/-dü/-tı/-ti/-tu/-tü``. Linguists write such a class with
*archiphonemes* (Göksel & Kerslake, "Turkish: A Comprehensive Grammar", 2005):

=========  =====================================================================
``A``      ``a`` after a back vowel, ``e`` after a front vowel (2-way harmony)
``I``      ``ı i u ü``: back/front × unrounded/rounded (4-way harmony)
``D``      ``t`` after a voiceless consonant (``fıstıkçı şahap``), else ``d``
``C``      ``ç`` after a voiceless consonant, else ``c``
``G``      ``k`` after a voiceless consonant, else ``g``
``K``      ``k``, softened to ``ğ`` when the next morpheme starts with a vowel
``(y)``    a buffer consonant (``y``, ``n`` or ``s``), present only after a vowel
``(I)``    a buffer vowel (``(I)``, ``(A)``), present only after a consonant
=========  =====================================================================

So ``lAr`` realises as ``lar``/``ler``, ``DI`` as any of the eight past forms, ``(y)I``
(accusative) as ``ı i u ü yı yi yu yü``. The harmony that picks the vowel is carried by
a small :class:`Context`: the vowel that governs harmony (the last one, or its front
twin after a stem with *inverse harmony* such as ``saat``/``saati``) and the last letter.

This module is the one place where spelling rules live: the analyzer uses it to match
suffixes, and the hybrid tokenizer's decoder uses it to turn a shared suffix id back
into letters. Case is handled elsewhere (``tr_lower``/``tr_upper`` here do Turkish
dotted/dotless i: ``I``↔``ı``, ``İ``↔``i``).
"""

from __future__ import annotations

from functools import lru_cache

BACK = frozenset("aıouâû")
FRONT = frozenset("eiöüî")
VOWELS = BACK | FRONT
ROUNDED = frozenset("oöuüû")
#: voiceless consonants ("fıstıkçı şahap"): D, C, G turn voiceless after them
VOICELESS = frozenset("fstkçşhp")
#: the front twin of each back vowel (inverse harmony: saat -> saati)
FRONT_OF = {"a": "e", "ı": "i", "o": "ö", "u": "ü", "â": "e", "û": "ü"}
#: stem-final consonant softening before a vowel (kitap -> kitabı, dernek -> derneği)
SOFTEN = {"p": "b", "ç": "c", "t": "d", "k": "ğ", "g": "ğ"}
APOSTROPHES = frozenset("'’")


def tr_lower(text: str) -> str:
    """Lower case with Turkish ``İ -> i`` and ``I -> ı``."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def tr_upper(text: str) -> str:
    """Upper case with Turkish ``i -> İ`` and ``ı -> I``."""
    return text.replace("i", "İ").replace("ı", "I").upper()


class Context(tuple):
    """What the next suffix's spelling depends on: the harmony vowel and the last letter.

    A tuple ``(vowel, last, key)``; ``key`` is the few facts that decide a spelling
    (back/rounded harmony vowel; last letter a vowel, voiceless, r/l or another voiced one), for memo tables.
    """

    __slots__ = ()

    def __new__(cls, vowel: str | None = None, last: str | None = None):
        harmony = None if vowel is None else (vowel in BACK, vowel in ROUNDED)
        kind = None if last is None else ("v" if last in VOWELS else "h" if last in VOICELESS else "l" if last in "rl" else "c")
        return tuple.__new__(cls, (vowel, last, (harmony, kind)))

    def __getnewargs__(self) -> tuple[str | None, str | None]:
        # what copy and pickle pass to __new__ (a tuple's own would pass the whole tuple)
        return self[0], self[1]

    @property
    def vowel(self) -> str | None:
        return self[0]

    @property
    def last(self) -> str | None:
        return self[1]

    def key(self) -> tuple:
        return self[2]


def extend(ctx: Context, surface: str) -> Context:
    """The context after ``surface`` is appended (letters only; apostrophes keep it)."""
    vowel, last = ctx.vowel, ctx.last
    for ch in surface:
        if ch in APOSTROPHES:
            continue
        if ch in VOWELS:
            vowel = ch
        last = ch
    return Context(vowel, last)


def context_of(stem: str, inverse: bool = False) -> Context:
    """The context after ``stem``; ``inverse`` makes the harmony vowel front (saat, hal)."""
    ctx = extend(Context(), stem)
    if inverse and ctx.vowel is not None:
        ctx = Context(FRONT_OF.get(ctx.vowel, ctx.vowel), ctx.last)
    return ctx


def _four_way(vowel: str | None) -> str:
    if vowel is None:
        return "ı"
    if vowel in BACK:
        return "u" if vowel in ROUNDED else "ı"
    return "ü" if vowel in ROUNDED else "i"


def _two_way(vowel: str | None) -> str:
    return "e" if vowel is not None and vowel in FRONT else "a"


@lru_cache(maxsize=None)
def parse_template(template: str) -> tuple[tuple[str, bool], ...]:
    """``"(y)AcAK"`` -> ``(("y", True), ("A", False), ("c", False), ...)``: (symbol, optional)."""
    items = []
    i = 0
    while i < len(template):
        if template[i] == "(":
            close = template.index(")", i)
            items.extend((ch, True) for ch in template[i + 1 : close])
            i = close + 1
        else:
            items.append((template[i], False))
            i += 1
    return tuple(items)


#: (template, context key, soft_end) -> spelling: a spelling depends on the context only
#: through its key (back/rounded harmony vowel; last letter a vowel or voiceless), so it is
#: computed once per key (there are a few hundred) instead of once per word
_SPELT: dict[tuple, str] = {}


def realize(template: str, ctx: Context, soft_end: bool = False) -> str:
    """The spelling of ``template`` after a stem with context ``ctx``.

    ``soft_end``: the next morpheme starts with a vowel, so a final ``K`` becomes ``ğ``.
    """
    key = (template, ctx[2], soft_end)
    spelt = _SPELT.get(key)
    if spelt is None:
        spelt = _SPELT[key] = _realize(template, ctx.vowel, ctx.last, soft_end)
    return spelt


def _realize(template: str, vowel: str | None, last: str | None, soft_end: bool) -> str:
    out = []
    items = parse_template(template)
    for n, (sym, optional) in enumerate(items):
        if optional:
            buffer_vowel = sym in "AI"
            after_vowel = last is not None and last in VOWELS
            if buffer_vowel == after_vowel:
                continue
        if sym == "A":
            ch = _two_way(vowel)
        elif sym == "I":
            ch = _four_way(vowel)
        elif sym in "DCG":
            hard = last is not None and last in VOICELESS
            ch = {"D": "td", "C": "çc", "G": "kg"}[sym][0 if hard else 1]
        elif sym == "K":
            ch = "ğ" if soft_end and n == len(items) - 1 else "k"
        else:
            ch = sym
        out.append(ch)
        if ch in VOWELS:
            vowel = ch
        last = ch
    return "".join(out)


@lru_cache(maxsize=None)
def starts_with_vowel(template: str) -> bool:
    """Whether ``template`` starts with a vowel after a consonant-final stem.

    That is when a stem softens (kitap + (y)I -> kitabı) or drops a vowel (ağız -> ağzı):
    buffer consonants are absent after a consonant, buffer vowels present.
    """
    for sym, optional in parse_template(template):
        if optional and sym not in "AI":
            continue
        return sym in "AI" or sym in VOWELS
    return False


def soften(stem: str) -> str:
    """Consonant softening of a stem's last letter: kitap -> kitab, renk -> reng."""
    last = stem[-1:]
    if last == "k" and stem[-2:-1] == "n":
        return stem[:-1] + "g"
    return stem[:-1] + SOFTEN[last] if last in SOFTEN else stem


def drop_last_vowel(stem: str) -> str:
    """Vowel drop before a vowel-initial suffix: ağız -> ağz, burun -> burn."""
    for i in range(len(stem) - 1, -1, -1):
        if stem[i] in VOWELS:
            return stem[:i] + stem[i + 1 :]
    return stem


def realizations(template: str) -> set[str]:
    """Every spelling ``template`` can take (for %Pure: a valid morpheme is one of these)."""
    out = set()
    for vowel in (None, "a", "e", "o", "ö"):
        for last in ("a", "e", "t", "d", None):
            for soft in (False, True):
                out.add(realize(template, Context(vowel, last), soft))
    return {s for s in out if s}


#: the progressive suffix: it drops the vowel a stem ends in (ara + Iyor -> arıyor)
PROGRESSIVE = "(I)yor"


def root_surface(root: str, flags: frozenset[str], next_template: str | None) -> str:
    """How ``root`` is spelt before the suffix ``next_template`` (None: word end).

    kitap (voicing) + (y)I -> kitab; ağız (vowel_drop) -> ağz; hak (doubling) -> hakk;
    ara (prog_drop) + (I)yor -> ar.
    """
    if next_template is None or not root:
        return root
    if next_template == PROGRESSIVE and "prog_drop" in flags and root[-1] in VOWELS:
        return root[:-1]
    if root[-1] not in VOWELS and starts_with_vowel(next_template):
        if "doubling" in flags:
            return root + root[-1]
        if "vowel_drop" in flags:
            root = drop_last_vowel(root)  # and then perhaps voicing too: kayıp -> kayb-ı
        if "voicing" in flags:
            root = soften(root)
    return root


def suffix_surface(template: str, ctx: Context, next_template: str | None) -> str:
    """How a suffix is spelt after ``ctx`` and before ``next_template`` (None: word end)."""
    soft = next_template is not None and starts_with_vowel(next_template)
    surface = realize(template, ctx, soft)
    if next_template == PROGRESSIVE and surface[-1:] in VOWELS:
        surface = surface[:-1]
    return surface


@lru_cache(maxsize=1 << 16)
def after(ctx: Context, surface: str, full: str, inverse: bool = False) -> Context:
    """The context after ``surface``, a spelling of ``full`` that may have dropped its last vowel.

    When no vowel is left (de + Iyor -> d-iyor), the dropped vowel still governs harmony.
    Memoised: the same suffix spellings follow the same contexts in word after word.
    """
    new = extend(ctx, surface)
    if new.vowel is None and surface != full:
        new = Context(extend(ctx, full).vowel, new.last)
    if inverse and new.vowel is not None:
        new = Context(FRONT_OF.get(new.vowel, new.vowel), new.last)
    return new


@lru_cache(maxsize=1 << 16)
def spell_root(root: str, flags: frozenset[str], next_template: str | None) -> tuple[str, Context]:
    """A root token as the decoder spells it before ``next_template``, and the context after it.

    Memoised (as :func:`spell_suffix`): the decoder and the encoder's losslessness check
    spell the same few thousand (root, next) and (suffix, context, next) triples again and again.
    """
    surface = root_surface(root, flags, next_template)
    return surface, after(Context(), surface, root, "inverse" in flags)


@lru_cache(maxsize=1 << 16)
def spell_suffix(template: str, ctx: Context, next_template: str | None) -> tuple[str, Context]:
    """A suffix id as the decoder spells it after ``ctx`` and before ``next_template``, and the context after it."""
    soft = next_template is not None and starts_with_vowel(next_template)
    surface = suffix_surface(template, ctx, next_template)
    return surface, after(ctx, surface, realize(template, ctx, soft))
