/* The hybrid tokenizer's encoder, compiled: the steps of the pure-Python path of
 * tokkit.morphology.hybrid.tokenizer (HybridTokenizer.encode down to TurkishAnalyzer.best_stem),
 * each function named after the Python one it does.
 *
 * Why C: a first pass over new text spends its time in many small steps per word
 * (splitting, dict lookups, the walk over a word's prefixes, the suffix parses), none of
 * them a hot spot (bench/README.md, the hybrid section); compiled, the same steps cost a
 * fraction. Most rules stay in Python and reach this module as tables built there:
 *
 *  - the root spellings of the lexicon (TurkishAnalyzer.forms) become a trie, each
 *    spelling with its (entry, constraint, context) records in order;
 *  - the suffix machine (TurkishAnalyzer.suffix_machine: the harmony context key folded
 *    into the states) is parsed with the rule of TurkishAnalyzer.suffix_parses with
 *    limit 1: the parse with the fewest suffixes, the first edge in order among equals,
 *    memoised per (position, state) within the word;
 *  - the byte-level BPE fallback's merges;
 *  - the letters whose case and composition fast_entry decides, and the decoder's suffix
 *    spellings (harmony.realize, asked once per template and context key).
 *
 * What this module does not decide goes to the Python objects it is given: a chunk that
 * is not a word of Turkish letters (HybridTokenizer._entry), a piece with other
 * characters (CHUNK.findall), a BPE string longer than MAX_BPE. The caches are the
 * tokenizer's own dicts.
 *
 * How this file is kept equal to the Python path (the Python function each part follows,
 * the rules it ports rather than takes as tables, the tests that compare the two paths
 * on inputs made for each rule) is written in one place: the docstring of
 * morphology/hybrid/compiled.py, which builds this module's tables. Change a rule here
 * and tests/test_morphology_hybrid_compiled.py must still pass; break it on purpose
 * once and see a test fail.
 *
 * Built by setuptools as an optional extension: without a C compiler tokkit installs
 * and encodes in pure Python, with the same output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

/* the room for a word here: turkish.MAX_LETTERS (the longest word analysed, checked at
 * init) and its leading space must fit */
#define MAX_WORD 512
/* fast_entry's letters are below this code point */
#define LETTERS 0x250
#define MAX_COMPOSITIONS 64

enum { VOICING = 1, VOWEL_DROP = 2, DOUBLING = 4, INVERSE = 8, PROG_DROP = 16 };
static const char *FLAG_NAMES[] = {"voicing", "vowel_drop", "doubling", "inverse", "prog_drop"};

typedef struct {
    int32_t state;      /* the suffix machine's start state */
    int32_t proper;
    PyObject *root;     /* the entry's root (borrowed: the analyzer's forms hold its entry) */
    PyObject *tokens[2]; /* its root tokens without / with a space, [(flags, id)] (borrowed from root_ids), or NULL */
    Py_UCS4 vowel, last; /* the harmony context after the root (0: none) */
} Record;

/* A trie edge: (node << 32 | letter) + 1 (0: empty slot) -> the child node and the
 * records of the spelling that ends there (first to end): one memory access per letter. */
typedef struct {
    uint64_t key;
    int32_t node, first, end;
} Slot;

typedef struct {
    int32_t template;   /* index in TEMPLATES */
    int32_t target;     /* next state */
    int32_t start, len; /* the spelling, in the character pool */
} Edge;

typedef struct {
    PyObject_HEAD
    /* the tokenizer's */
    PyObject *pieces;       /* dict: piece cache */
    PyObject *chunks;       /* dict: chunk cache */
    Py_ssize_t cache_size;
    PyObject *marker_ids;   /* tuple: the ids of <cap>, <caps>, <nfd> */
    PyObject *suffix_ids;   /* list: template index -> id */
    PyObject *root_ids;     /* dict: (root, space) -> [(flags, id)] (kept alive for the records) */
    PyObject *entry_of;     /* tokenizer._entry */
    PyObject *ids_of_py;    /* tokenizer.ids_of */
    PyObject *findall;      /* CHUNK.findall */
    PyObject *forms;        /* the analyzer's forms (kept alive for the records) */
    PyObject *templates;    /* list: the suffix templates (TEMPLATES) */
    PyObject *context;      /* harmony.Context */
    PyObject *realize;      /* harmony.realize */
    PyObject *apostrophe_id, *right_quote_id;  /* the ids of ' and ’ */
    /* the suffix machine */
    int32_t nstates;
    uint8_t *accept;
    int32_t *edge_start;    /* nstates + 1 */
    Edge *edges;
    Py_UCS4 *pool;
    uint8_t *template_prog, *template_vowel;  /* per template: the progressive? starts with a vowel? */
    /* the trie of root spellings: node 0 is the root; child (node, ch) through a hash table */
    Slot *slots;
    uint64_t slot_mask;
    Record *records;
    /* the suffix parses of the word being analysed, per (position, state): the fewest
     * suffixes to its end (-1: no parse) and the first edge of that parse; a cell is
     * valid when its stamp is the word's generation (nothing to clear between words) */
    int16_t *cell_count;
    int32_t *cell_edge;
    uint32_t *cell_stamp;
    uint32_t generation;
    /* the byte-level BPE fallback: each byte's id, and its merges by (left, right) */
    int32_t byte_ids[256];
    long bpe_offset;        /* the fallback's ids start here in the hybrid vocabulary */
    uint64_t *merge_keys;   /* (left << 32 | right) + 1, 0 = empty */
    int32_t *merge_ranks, *merge_ids;
    uint64_t merge_mask;
    /* the decoder's spelling of suffixes: harmony.realize by (template, context key, soft) */
    PyObject **realized;
    Py_ssize_t ntemplates;
    /* where the suffixes after an apostrophe start, by the stem's context key */
    int32_t apostrophe_states[25];
    /* the letters of fast_entry: each one's lower case (0: not one of them), and the
     * compositions of a base letter and a combining mark (base, mark, composed) */
    Py_UCS4 lower_of[LETTERS];
    Py_UCS4 compositions[MAX_COMPOSITIONS][3];
    int ncompositions;
    Py_ssize_t max_letters; /* turkish.MAX_LETTERS: a longer word is not analysed */
} Encoder;

static PyObject *s_state, *s_proper, *s_root, *s_flag_names[5];

/* -- the trie ------------------------------------------------------------------------ */
/* a 64-bit mix (the finaliser of splitmix64) for open addressing */
static uint64_t
mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static Slot *
slot_of(Slot *slots, uint64_t mask, uint64_t key)
{
    uint64_t i = mix(key) & mask;
    while (slots[i].key != 0 && slots[i].key != key + 1)
        i = (i + 1) & mask;
    return &slots[i];
}

/* the trie edge from node by letter ch, or NULL */
static const Slot *
child(Encoder *e, int32_t node, Py_UCS4 ch)
{
    const Slot *slot = slot_of(e->slots, e->slot_mask, ((uint64_t)node << 32) | ch);
    return slot->key ? slot : NULL;
}

/* -- harmony ------------------------------------------------------------------------- */
static int
is_vowel(Py_UCS4 ch)
{
    switch (ch) {
    case 'a': case 0x131: case 'o': case 'u': case 0xE2: case 0xFB:  /* a ı o u â û */
    case 'e': case 'i': case 0xF6: case 0xFC: case 0xEE:             /* e i ö ü î */
        return 1;
    }
    return 0;
}

static Py_UCS4
front_of(Py_UCS4 v)  /* harmony.FRONT_OF */
{
    switch (v) {
    case 'a': return 'e';
    case 0x131: return 'i';
    case 'o': return 0xF6;
    case 'u': return 0xFC;
    case 0xE2: return 'e';
    case 0xFB: return 0xFC;
    }
    return v;
}

/* harmony.spell_root(root, flags, next) for the root token's spelling: its letters into
 * out (at most len + 1), their number returned, and the context after them (vowel, last;
 * 0 for none). `prog`/`vowel_next`: the next suffix is the progressive / starts with a
 * vowel; has_next 0 at the word's end. */
static Py_ssize_t
spell_root(const Py_UCS4 *root, Py_ssize_t n, int flags, int has_next, int prog, int vowel_next, Py_UCS4 *out,
           Py_UCS4 *vowel, Py_UCS4 *last)
{
    memcpy(out, root, n * sizeof(Py_UCS4));
    Py_ssize_t m = n;
    /* harmony.root_surface */
    if (has_next && n > 0) {
        Py_UCS4 end = root[n - 1];
        if (prog && (flags & PROG_DROP) && is_vowel(end)) {
            m = n - 1;
        } else if (!is_vowel(end) && vowel_next) {
            if (flags & DOUBLING) {
                out[m++] = end;
            } else {
                if (flags & VOWEL_DROP) {  /* drop_last_vowel */
                    for (Py_ssize_t i = m - 1; i >= 0; i--) {
                        if (is_vowel(out[i])) {
                            memmove(out + i, out + i + 1, (m - i - 1) * sizeof(Py_UCS4));
                            m--;
                            break;
                        }
                    }
                }
                if ((flags & VOICING) && m > 0) {  /* soften */
                    Py_UCS4 *c = &out[m - 1];
                    if (*c == 'k' && m > 1 && out[m - 2] == 'n')
                        *c = 'g';
                    else if (*c == 'p')
                        *c = 'b';
                    else if (*c == 0xE7)
                        *c = 'c';
                    else if (*c == 't')
                        *c = 'd';
                    else if (*c == 'k' || *c == 'g')
                        *c = 0x11F;
                }
            }
        }
    }
    /* harmony.after(Context(), surface, root, inverse): apostrophes keep the context */
    *vowel = 0;
    *last = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (out[i] == '\'' || out[i] == 0x2019)
            continue;
        if (is_vowel(out[i]))
            *vowel = out[i];
        *last = out[i];
    }
    int same = m == n && memcmp(out, root, n * sizeof(Py_UCS4)) == 0;
    if (*vowel == 0 && !same)
        for (Py_ssize_t i = 0; i < n; i++)
            if (root[i] != '\'' && root[i] != 0x2019 && is_vowel(root[i]))
                *vowel = root[i];
    if ((flags & INVERSE) && *vowel)
        *vowel = front_of(*vowel);
    return m;
}

/* the flag bits of a frozenset of flag names */
static int
flag_bits(PyObject *flags)
{
    int bits = 0;
    if (PyAnySet_Check(flags) && PySet_GET_SIZE(flags) == 0)  /* most roots */
        return 0;
    for (int k = 0; k < 5; k++) {
        int has = PySequence_Contains(flags, s_flag_names[k]);
        if (has < 0)
            return -1;
        if (has)
            bits |= 1 << k;
    }
    return bits;
}

/* -- analysis ------------------------------------------------------------------------ */
typedef struct {
    Py_ssize_t n;
    const Py_UCS4 *word;
} Parse;

/* TurkishAnalyzer.suffix_parses(word[at:], state, limit=1): the number of suffixes of the
 * best parse (-1: none); the parse itself is left in p->edge. */
static int
parse_from(Encoder *e, Parse *p, Py_ssize_t at, int32_t state)
{
    Py_ssize_t cell = at * e->nstates + state;
    if (e->cell_stamp[cell] == e->generation)
        return e->cell_count[cell];
    int best = -1;
    int32_t best_edge = -1;
    if (at == p->n) {
        best = e->accept[state] ? 0 : -1;
    } else {
        for (int32_t k = e->edge_start[state]; k < e->edge_start[state + 1]; k++) {
            const Edge *edge = &e->edges[k];
            if (edge->len > p->n - at || memcmp(e->pool + edge->start, p->word + at, edge->len * sizeof(Py_UCS4)) != 0)
                continue;
            int rest = parse_from(e, p, at + edge->len, edge->target);
            if (rest >= 0 && (best < 0 || rest + 1 < best)) {
                best = rest + 1;
                best_edge = k;
            }
        }
    }
    e->cell_stamp[cell] = e->generation;
    e->cell_count[cell] = (int16_t)best;
    e->cell_edge[cell] = best_edge;
    return best;
}

/* TurkishAnalyzer.best_stem: the record and root length of the best analysis (-1: none).
 * Rank: (demoted, -root length, proper, number of suffixes), the first of the least;
 * roots longest first, stopping after a length that gave an analysis not demoted. */
static int32_t
best_stem(Encoder *e, Parse *p, int lowercase, Py_ssize_t *root_end)
{
    const Slot *heads[MAX_WORD + 1];
    Py_ssize_t ends[MAX_WORD + 1];
    Py_ssize_t nheads = 0;
    int32_t node = 0;
    for (Py_ssize_t end = 1; end <= p->n; end++) {
        const Slot *slot = child(e, node, p->word[end - 1]);
        if (slot == NULL)
            break;
        node = slot->node;
        if (slot->end > slot->first) {
            heads[nheads] = slot;
            ends[nheads++] = end;
        }
    }
    int32_t best = -1;
    long best_rank[4] = {0, 0, 0, 0};
    for (Py_ssize_t h = nheads - 1; h >= 0; h--) {
        int done = 0;
        for (int32_t r = heads[h]->first; r < heads[h]->end; r++) {
            const Record *record = &e->records[r];
            int count = parse_from(e, p, ends[h], record->state);
            if (count < 0)
                continue;
            int demoted = record->proper && lowercase;
            long rank[4] = {demoted, -(long)ends[h], record->proper, count};
            int better = best < 0;
            for (int k = 0; !better && k < 4 && rank[k] <= best_rank[k]; k++)
                better = rank[k] < best_rank[k];
            if (better) {
                best = r;
                *root_end = ends[h];
                memcpy(best_rank, rank, sizeof rank);
            }
            done = done || !demoted;
        }
        if (done)
            break;
    }
    return best;
}

/* -- plans ---------------------------------------------------------------------------- */
/* A word's plan, as HybridTokenizer._plan_word makes it: the root (a root token of the
 * vocabulary, or the letters word[0:root_end] for the BPE), the suffixes parsed after it,
 * and for a proper noun's apostrophe the apostrophe and what follows it (suffixes, or
 * the letters for the BPE). */
typedef struct {
    PyObject *token_id;            /* the root token's id (borrowed), or NULL: letters */
    int flags;                     /* the root token's flags */
    Py_ssize_t root_len;           /* the root token's dictionary form, in root[] */
    Py_UCS4 root[MAX_WORD + 1];
    Py_ssize_t root_end;           /* where the root's spelling ends in the word */
    int exact;                     /* the decoder spells it back by construction */
    Py_ssize_t nsuffixes;
    int32_t suffixes[MAX_WORD];
    Py_UCS4 apostrophe;            /* 0: none */
    Py_ssize_t tail_start;         /* after the apostrophe */
    Py_ssize_t ntail;              /* -1: the tail is letters for the BPE */
    int32_t tail[MAX_WORD];
} Plan;

/* hybrid.tokenizer._scan(Context(), text[0:end]) for letters: the harmony context after the
 * trailing run of alphabetic characters (anything else resets it). */
static void
scan_letters(const Py_UCS4 *text, Py_ssize_t end, Py_UCS4 *vowel, Py_UCS4 *last)
{
    Py_ssize_t start = end;
    while (start > 0 && Py_UNICODE_ISALPHA(text[start - 1]))
        start--;
    *vowel = 0;
    *last = start < end ? text[end - 1] : 0;
    for (Py_ssize_t i = start; i < end; i++)
        if (is_vowel(text[i]))
            *vowel = text[i];
}

/* The suffix templates of the best parse from (at, state), into out; their number. */
static Py_ssize_t
parsed_templates(Encoder *e, Parse *p, Py_ssize_t at, int32_t state, int32_t *out)
{
    Py_ssize_t n = 0;
    while (at < p->n) {
        const Edge *edge = &e->edges[e->cell_edge[at * e->nstates + state]];
        out[n++] = edge->template;
        at += edge->len;
        state = edge->target;
    }
    return n;
}

/* HybridTokenizer._morph_items: the root of an analysed word (a root token of the
 * vocabulary that spells the root here, else its letters) and its suffixes, and whether
 * the decoder spells them back by construction. 0, or -1 on error. */
static int
morph_items(Encoder *e, Parse *p, const Record *record, Py_ssize_t root_end, int space, Plan *plan)
{
    plan->root_end = root_end;
    plan->nsuffixes = parsed_templates(e, p, root_end, record->state, plan->suffixes);
    int has_next = plan->nsuffixes > 0;
    int prog = has_next && e->template_prog[plan->suffixes[0]];
    int vowel_next = has_next && e->template_vowel[plan->suffixes[0]];
    PyObject *root = record->root, *tokens = record->tokens[space];
    Py_ssize_t n = PyUnicode_GET_LENGTH(root);  /* at most root_end + 1 < MAX_WORD (see word_plan) */
    if (tokens != NULL && PyUnicode_AsUCS4(root, plan->root, MAX_WORD + 1, 0) == NULL)
        return -1;
    Py_ssize_t ntokens = tokens == NULL ? 0 : PyList_GET_SIZE(tokens);
    Py_UCS4 spelt[MAX_WORD + 1], vowel, last;
    for (Py_ssize_t t = 0; t < ntokens; t++) {
        int bits = flag_bits(PyTuple_GET_ITEM(PyList_GET_ITEM(tokens, t), 0));
        if (bits < 0)
            return -1;
        Py_ssize_t m = spell_root(plan->root, n, bits, has_next, prog, vowel_next, spelt, &vowel, &last);
        if (m == root_end && memcmp(spelt, p->word, m * sizeof(Py_UCS4)) == 0) {
            plan->token_id = PyTuple_GET_ITEM(PyList_GET_ITEM(tokens, t), 1);
            plan->flags = bits;
            plan->root_len = n;
            plan->exact = vowel == record->vowel && last == record->last;
            return 0;
        }
    }
    /* the root's letters through the BPE: the decoder's context is that of the letters */
    plan->token_id = NULL;
    scan_letters(p->word, root_end, &vowel, &last);
    plan->exact = vowel == record->vowel && last == record->last;
    return 0;
}

/* The realisation of suffix template t after a context of key `key` (soft: a final K
 * softened), from harmony.realize, memoised here by (template, key, soft). */
static PyObject *
realized(Encoder *e, int32_t t, int key, int soft, Py_UCS4 vowel, Py_UCS4 last)
{
    PyObject **slot = &e->realized[(t * 25 + key) * 2 + soft];
    if (*slot == NULL) {
        PyObject *v = vowel ? PyUnicode_FromOrdinal(vowel) : Py_NewRef(Py_None);
        PyObject *l = last ? PyUnicode_FromOrdinal(last) : Py_NewRef(Py_None);
        PyObject *ctx = v && l ? PyObject_CallFunctionObjArgs(e->context, v, l, NULL) : NULL;
        Py_XDECREF(v);
        Py_XDECREF(l);
        if (ctx == NULL)
            return NULL;
        *slot = PyObject_CallFunctionObjArgs(e->realize, PyList_GET_ITEM(e->templates, t), ctx, soft ? Py_True : Py_False, NULL);
        Py_DECREF(ctx);
        if (*slot != NULL && !PyUnicode_Check(*slot)) {
            Py_CLEAR(*slot);
            PyErr_SetString(PyExc_TypeError, "realize did not give a string");
        }
    }
    return *slot;
}

/* harmony.Context's key, numbered: harmony (none, back unrounded, back rounded, front
 * unrounded, front rounded) * 5 + last letter (none, vowel, voiceless, r/l, other). */
static int
context_key(Py_UCS4 vowel, Py_UCS4 last)
{
    int harmony = 0, kind = 0;
    if (vowel) {
        int back = vowel == 'a' || vowel == 0x131 || vowel == 'o' || vowel == 'u' || vowel == 0xE2 || vowel == 0xFB;
        int rounded = vowel == 'o' || vowel == 0xF6 || vowel == 'u' || vowel == 0xFC || vowel == 0xFB;
        harmony = 1 + (back ? 0 : 2) + (rounded ? 1 : 0);
    }
    if (last) {
        if (is_vowel(last))
            kind = 1;
        else if (last == 'f' || last == 's' || last == 't' || last == 'k' || last == 0xE7 || last == 0x15F || last == 'h'
                 || last == 'p')
            kind = 2;
        else if (last == 'r' || last == 'l')
            kind = 3;
        else
            kind = 4;
    }
    return harmony * 5 + kind;
}

/* Append text to out (capacity cap) at *m; 0 when it does not fit. */
static int
append(Py_UCS4 *out, Py_ssize_t cap, Py_ssize_t *m, const Py_UCS4 *text, Py_ssize_t n)
{
    if (*m + n > cap)
        return 0;
    memcpy(out + *m, text, n * sizeof(Py_UCS4));
    *m += n;
    return 1;
}

/* Spell suffixes after (vowel, last) as the decoder does (harmony.spell_suffix: the
 * realisation, its final vowel dropped before the progressive, then harmony.after);
 * `next`: the template after the last of them, or -1. 1, 0 when the text outgrows out,
 * -1 on error. */
static int
spell_suffixes(Encoder *e, const int32_t *templates, Py_ssize_t n, int32_t next, Py_UCS4 *vowel, Py_UCS4 *last,
               Py_UCS4 *out, Py_ssize_t cap, Py_ssize_t *m)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t nxt = i + 1 < n ? templates[i + 1] : next;
        int soft = nxt >= 0 && e->template_vowel[nxt];
        PyObject *full = realized(e, templates[i], context_key(*vowel, *last), soft, *vowel, *last);
        if (full == NULL)
            return -1;
        Py_ssize_t len = PyUnicode_GET_LENGTH(full);
        if (len > MAX_WORD)
            return 0;
        Py_UCS4 text[MAX_WORD + 1];
        if (PyUnicode_AsUCS4(full, text, MAX_WORD + 1, 0) == NULL && len > 0)
            return -1;
        Py_ssize_t surface = len;
        if (nxt >= 0 && e->template_prog[nxt] && len > 0 && is_vowel(text[len - 1]))
            surface--;
        Py_UCS4 new_vowel = *vowel, new_last = *last;
        for (Py_ssize_t k = 0; k < surface; k++) {
            if (text[k] == '\'' || text[k] == 0x2019)
                continue;
            if (is_vowel(text[k]))
                new_vowel = text[k];
            new_last = text[k];
        }
        if (new_vowel == 0 && surface != len)
            for (Py_ssize_t k = 0; k < len; k++)
                if (text[k] != '\'' && text[k] != 0x2019 && is_vowel(text[k]))
                    new_vowel = text[k];
        *vowel = new_vowel;
        *last = new_last;
        if (!append(out, cap, m, text, surface))
            return 0;
    }
    return 1;
}

/* Whether the decoder (HybridTokenizer._render) spells the plan back as word[-space:]:
 * 1 or 0, -1 on error. */
static int
renders_back(Encoder *e, const Plan *plan, const Py_UCS4 *word, Py_ssize_t n, int space)
{
    Py_UCS4 out[2 * MAX_WORD + 8], vowel, last;
    Py_ssize_t cap = 2 * MAX_WORD + 8, m = 0;
    if (space)
        out[m++] = ' ';
    if (plan->token_id != NULL) {
        int has_next = plan->nsuffixes > 0;
        Py_UCS4 spelt[MAX_WORD + 2];
        Py_ssize_t k = spell_root(plan->root, plan->root_len, plan->flags, has_next,
                                  has_next && e->template_prog[plan->suffixes[0]],
                                  has_next && e->template_vowel[plan->suffixes[0]], spelt, &vowel, &last);
        if (!append(out, cap, &m, spelt, k))
            return 0;
    } else {
        scan_letters(word, plan->root_end, &vowel, &last);
        if (!append(out, cap, &m, word, plan->root_end))
            return 0;
    }
    int done = spell_suffixes(e, plan->suffixes, plan->nsuffixes, -1, &vowel, &last, out, cap, &m);
    if (done <= 0)
        return done;
    if (plan->apostrophe) {  /* the apostrophe keeps the context */
        if (!append(out, cap, &m, &plan->apostrophe, 1))
            return 0;
        if (plan->ntail < 0) {
            if (!append(out, cap, &m, word + plan->tail_start, n - plan->tail_start))
                return 0;
        } else if ((done = spell_suffixes(e, plan->tail, plan->ntail, -1, &vowel, &last, out, cap, &m)) <= 0) {
            return done;
        }
    }
    return m == n + space && memcmp(out + space, word, n * sizeof(Py_UCS4)) == 0;
}

/* The plan as HybridTokenizer.word_plan gives it: ids, and strings for the BPE. */
static PyObject *
plan_items(Encoder *e, const Plan *plan, PyObject *key, const Py_UCS4 *word, Py_ssize_t n, int space)
{
    PyObject *items = PyList_New(0);
    if (items == NULL)
        return NULL;
    PyObject *root = plan->token_id != NULL
        ? Py_NewRef(plan->token_id)
        : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, word - space, plan->root_end + space);
    if (root == NULL || PyList_Append(items, root) < 0)
        goto fail_root;
    Py_DECREF(root);
    for (Py_ssize_t i = 0; i < plan->nsuffixes; i++)
        if (PyList_Append(items, PyList_GET_ITEM(e->suffix_ids, plan->suffixes[i])) < 0)
            goto fail;
    if (plan->apostrophe) {
        if (PyList_Append(items, plan->apostrophe == '\'' ? e->apostrophe_id : e->right_quote_id) < 0)
            goto fail;
        if (plan->ntail < 0) {
            PyObject *tail = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, word + plan->tail_start, n - plan->tail_start);
            if (tail == NULL || PyList_Append(items, tail) < 0) {
                Py_XDECREF(tail);
                goto fail;
            }
            Py_DECREF(tail);
        }
        for (Py_ssize_t i = 0; i < plan->ntail; i++)
            if (PyList_Append(items, PyList_GET_ITEM(e->suffix_ids, plan->tail[i])) < 0)
                goto fail;
    }
    return items;
fail_root:
    Py_XDECREF(root);
fail:
    Py_DECREF(items);
    return NULL;
}

/* [item] */
static PyObject *
single(PyObject *item)
{
    PyObject *list = PyList_New(1);
    if (list != NULL)
        PyList_SET_ITEM(list, 0, Py_NewRef(item));
    return list;
}

/* Start the suffix parses of a new word (or of a new end of the same word). */
static void
new_parse(Encoder *e)
{
    if (++e->generation == 0) {  /* the stamps wrapped around: clear them */
        memset(e->cell_stamp, 0, (size_t)(MAX_WORD + 1) * e->nstates * sizeof(uint32_t));
        e->generation = 1;
    }
}

/* HybridTokenizer.word_plan (with _plan_word) for the normal form `key` of a word
 * (`cased`: written with capitals). */
static PyObject *
word_plan(Encoder *e, PyObject *key, int cased)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(key);
    int space = n > 0 && PyUnicode_READ_CHAR(key, 0) == ' ';
    if (n - space > e->max_letters)  /* not analysed: the BPE spells it */
        return single(key);
    /* (n <= MAX_WORD - 1; a root's dictionary form is at most one letter longer than its
     * spelling, so every root token checked here fits in MAX_WORD too) */
    Py_UCS4 letters[MAX_WORD + 1];
    if (PyUnicode_AsUCS4(key, letters, MAX_WORD + 1, 0) == NULL && n > 0)
        return NULL;
    const Py_UCS4 *word = letters + space;
    Py_ssize_t length = n - space, cut = length;
    for (Py_ssize_t i = 0; i < length && cut == length; i++)
        if (word[i] == '\'' || word[i] == 0x2019)
            cut = i;
    Plan *heap = PyMem_Malloc(sizeof(Plan));  /* per call: a callback may let another thread in */
    if (heap == NULL)
        return PyErr_NoMemory();
#define plan (*heap)
    plan.apostrophe = 0;
    Parse p = {.n = cut, .word = word};
    new_parse(e);
    Py_ssize_t root_end = 0;
    int32_t best = best_stem(e, &p, !cased, &root_end);
    PyObject *result = NULL;
    if (best >= 0) {
        if (morph_items(e, &p, &e->records[best], root_end, space, &plan) < 0)
            goto done;
    } else {  /* no analysis: the stem's letters for the BPE */
        plan.token_id = NULL;
        plan.root_end = cut;
        plan.nsuffixes = 0;
        plan.exact = 1;
    }
    if (cut < length) {  /* an apostrophe, then the suffixes of a proper noun (İstanbul'a) */
        plan.apostrophe = word[cut];
        plan.tail_start = cut + 1;
        plan.ntail = 0;
        plan.exact = 0;
        if (cut + 1 < length) {
            Py_UCS4 vowel, last;
            scan_letters(word, cut, &vowel, &last);
            int32_t state = e->apostrophe_states[context_key(vowel, last)];
            p.n = length;
            new_parse(e);
            plan.ntail = parse_from(e, &p, cut + 1, state) >= 0 ? parsed_templates(e, &p, cut + 1, state, plan.tail) : -1;
        }
    }
    if (best < 0 && cut == length) {  /* no analysis, no apostrophe: the BPE spells the word */
        result = single(key);
        goto done;
    }
    if (!plan.exact) {  /* HybridTokenizer.word_plan: check it by decoding it */
        int same = renders_back(e, &plan, word, length, space);
        if (same <= 0) {
            result = same < 0 ? NULL : single(key);
            goto done;
        }
    }
    result = plan_items(e, &plan, key, word, length, space);
done:
    PyMem_Free(heap);
    return result;
#undef plan
}

/* -- the BPE fallback ------------------------------------------------------------------ */
static uint64_t
merge_slot(Encoder *e, uint64_t key)
{
    uint64_t i = mix(key) & e->merge_mask;
    while (e->merge_keys[i] != 0 && e->merge_keys[i] != key + 1)
        i = (i + 1) & e->merge_mask;
    return i;
}

/* The longest text the fallback encodes here (its merges are found by a scan per merge);
 * a longer one goes to the Python path. */
#define MAX_BPE 256

/* Byte-level BPE (Sennrich et al., "Neural Machine Translation of Rare Words with Subword
 * Units", 2016) as the tokenizers library applies it to one pre-token: start from the
 * bytes' ids, then merge the adjacent pair of the lowest merge rank, the leftmost among
 * equals, until no pair has a merge. Appends the ids to `ids`; returns 1 when done, 0
 * when this text is not for this path, -1 on error. */
static int
bpe_encode(Encoder *e, PyObject *text, PyObject *ids)
{
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (utf8 == NULL)
        return -1;
    if (n > MAX_BPE)
        return 0;
    int32_t symbols[MAX_BPE];
    for (Py_ssize_t i = 0; i < n; i++)
        if ((symbols[i] = e->byte_ids[(unsigned char)utf8[i]]) < 0)
            return 0;
    while (n > 1) {
        int32_t best_rank = INT32_MAX, best_id = -1;
        Py_ssize_t at = -1;
        for (Py_ssize_t i = 0; i + 1 < n; i++) {
            uint64_t slot = merge_slot(e, ((uint64_t)symbols[i] << 32) | (uint32_t)symbols[i + 1]);
            if (e->merge_keys[slot] && e->merge_ranks[slot] < best_rank) {
                best_rank = e->merge_ranks[slot];
                best_id = e->merge_ids[slot];
                at = i;
            }
        }
        if (at < 0)
            break;
        symbols[at] = best_id;
        memmove(symbols + at + 1, symbols + at + 2, (n - at - 2) * sizeof(int32_t));
        n--;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *id = PyLong_FromLong(e->bpe_offset + symbols[i]);
        if (id == NULL || PyList_Append(ids, id) < 0) {
            Py_XDECREF(id);
            return -1;
        }
        Py_DECREF(id);
    }
    return 1;
}

/* HybridTokenizer.ids_of: the ids of a plan, its strings through the BPE fallback; a
 * string this path does not take sends the whole plan to the Python method. */
static PyObject *
ids_of(Encoder *e, PyObject *plan)
{
    Py_ssize_t n = PyList_GET_SIZE(plan);
    PyObject *ids = PyList_New(0);
    for (Py_ssize_t i = 0; ids != NULL && i < n; i++) {
        PyObject *item = PyList_GET_ITEM(plan, i);
        if (!PyUnicode_Check(item)) {
            if (PyList_Append(ids, item) < 0)
                Py_CLEAR(ids);
            continue;
        }
        int done = bpe_encode(e, item, ids);
        if (done <= 0) {
            Py_CLEAR(ids);
            if (done == 0)
                return PyObject_CallOneArg(e->ids_of_py, plan);
        }
    }
    if (ids == NULL)
        return NULL;
    Py_SETREF(ids, PyList_AsTuple(ids));
    return ids;
}

/* HybridTokenizer._entry for a chunk of Turkish letters (in apostrophes' company), in
 * lower case, Capitalised or in capitals, composed or written decomposed (a base letter
 * and one combining mark, as in much of TurkishMMLU): its marker ids, its normal form
 * (leading space + composed lower-case word) and whether it was written with capitals.
 * 1 when decided here, 0 for the Python method, -1 on error. */
static int
fast_entry(Encoder *e, PyObject *chunk, PyObject **head, PyObject **key, int *cased)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(chunk);
    int kind = PyUnicode_KIND(chunk);
    const void *data = PyUnicode_DATA(chunk);
    Py_ssize_t start = n > 0 && PyUnicode_READ(kind, data, 0) == ' ';
    if (n == start || n - start > MAX_WORD)
        return 0;
    Py_UCS4 word[MAX_WORD + 2];
    Py_ssize_t m = 0;
    int decomposed = 0, precomposed = 0;
    for (Py_ssize_t i = start; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= 0x300 && ch < 0x370) {  /* a combining mark: composes with the letter before */
            int k = 0;
            while (k < e->ncompositions && !(m > 0 && e->compositions[k][0] == word[m - 1] && e->compositions[k][1] == ch))
                k++;
            if (k == e->ncompositions)
                return 0;
            word[m - 1] = e->compositions[k][2];
            decomposed = 1;
            continue;
        }
        if (ch == '\'' || ch == 0x2019) {
            if (m == 0)
                return 0;
        } else if (ch >= LETTERS || e->lower_of[ch] == 0) {
            return 0;
        } else {
            for (int k = 0; k < e->ncompositions && !precomposed; k++)
                precomposed = e->compositions[k][2] == ch;
        }
        word[m++] = ch;
    }
    if (decomposed && precomposed)  /* partly decomposed: the <nfd> marker would not restore it */
        return 0;
    Py_ssize_t letters = 0, upper = 0;
    int first_upper = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (word[i] == '\'' || word[i] == 0x2019)
            continue;
        letters++;
        if (e->lower_of[word[i]] != word[i]) {
            upper++;
            first_upper = first_upper || i == 0;
            word[i] = e->lower_of[word[i]];
        }
    }
    PyObject *marker = NULL;  /* borrowed */
    if (upper == 0)
        marker = NULL;
    else if (first_upper && upper == 1)
        marker = PyTuple_GET_ITEM(e->marker_ids, 0);  /* <cap> */
    else if (upper == letters && m > 1)
        marker = PyTuple_GET_ITEM(e->marker_ids, 1);  /* <caps> */
    else
        return 0;  /* mixed case: as it is */
    *head = PyTuple_New(decomposed + (marker != NULL));
    if (*head == NULL)
        return -1;
    if (decomposed)
        PyTuple_SET_ITEM(*head, 0, Py_NewRef(PyTuple_GET_ITEM(e->marker_ids, 2)));  /* <nfd> */
    if (marker != NULL)
        PyTuple_SET_ITEM(*head, decomposed, Py_NewRef(marker));
    if (start) {
        memmove(word + 1, word, m * sizeof(Py_UCS4));
        word[0] = ' ';
    }
    *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, word, m + start);  /* the canonical kind */
    if (*key == NULL) {
        Py_CLEAR(*head);
        return -1;
    }
    *cased = marker != NULL;
    return 1;
}

/* HybridTokenizer._encode_chunk: the chunk's markers and normal form (fast_entry, else
 * the Python method), then the known-word table or the plan of the normal form. */
static PyObject *
encode_chunk(Encoder *e, PyObject *chunk, PyObject *known, PyObject *known_cased)
{
    PyObject *head = NULL, *key = NULL;
    int cased = 0;
    int decided = fast_entry(e, chunk, &head, &key, &cased);
    if (decided < 0)
        return NULL;
    if (!decided) {
        PyObject *entry = PyObject_CallOneArg(e->entry_of, chunk);  /* (head, key, cased) */
        if (entry == NULL)
            return NULL;
        head = Py_NewRef(PyTuple_GET_ITEM(entry, 0));
        key = Py_NewRef(PyTuple_GET_ITEM(entry, 1));
        PyObject *c = PyTuple_GET_ITEM(entry, 2);
        cased = c == Py_None ? -1 : c == Py_True;
        Py_DECREF(entry);
    }
    if (head == NULL || key == NULL) {
        Py_XDECREF(head);
        Py_XDECREF(key);
        return NULL;
    }
    PyObject *body = NULL, *result = NULL;
    if (cased < 0) {  /* not a word the markers restore: the BPE spells it */
        PyObject *plan = single(chunk);
        if (plan != NULL) {
            result = ids_of(e, plan);
            Py_DECREF(plan);
        }
        goto done;
    }
    body = PyDict_GetItemWithError(cased ? known_cased : known, key);
    if (body != NULL) {
        Py_INCREF(body);
    } else if (!PyErr_Occurred()) {
        PyObject *plan = word_plan(e, key, cased);
        if (plan != NULL) {
            body = ids_of(e, plan);
            Py_DECREF(plan);
        }
    }
    if (body != NULL)
        result = PySequence_Concat(head, body);
done:
    Py_XDECREF(body);
    Py_DECREF(head);
    Py_DECREF(key);
    return result;
}

/* dict[key] = value in a cache that is emptied when full */
static int
cache_put(PyObject *cache, Py_ssize_t size, PyObject *key, PyObject *value)
{
    if (PyDict_GET_SIZE(cache) >= size)
        PyDict_Clear(cache);
    return PyDict_SetItem(cache, key, value);
}

/* A chunk's ids: the known-word table (unless `in_known` is 0: looked up already), the
 * chunk cache, else encoded. */
static PyObject *
chunk_ids(Encoder *e, PyObject *chunk, PyObject *known, PyObject *known_cased, int in_known)
{
    PyObject *hit = in_known ? PyDict_GetItemWithError(known, chunk) : NULL;
    if (hit == NULL && !PyErr_Occurred())
        hit = PyDict_GetItemWithError(e->chunks, chunk);
    if (hit != NULL)
        return Py_NewRef(hit);
    if (PyErr_Occurred())
        return NULL;
    PyObject *ids = encode_chunk(e, chunk, known, known_cased);
    if (ids != NULL && cache_put(e->chunks, e->cache_size, chunk, ids) < 0)
        Py_CLEAR(ids);
    return ids;
}

static int
is_alpha_after_space(PyObject *piece)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(piece);
    int kind = PyUnicode_KIND(piece);
    const void *data = PyUnicode_DATA(piece);
    Py_ssize_t start = n > 0 && PyUnicode_READ(kind, data, 0) == ' ';
    if (start == n)
        return 0;
    for (Py_ssize_t i = start; i < n; i++)
        if (!Py_UNICODE_ISALPHA(PyUnicode_READ(kind, data, i)))
            return 0;
    return 1;
}

/* list.extend(ids, part) */
static int
extend(PyObject *ids, PyObject *part)
{
    if (!PyTuple_CheckExact(part)) {  /* a table filled by hand, say */
        Py_ssize_t n = PyList_GET_SIZE(ids);
        return PyList_SetSlice(ids, n, n, part);
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(part); i++)
        if (PyList_Append(ids, PyTuple_GET_ITEM(part, i)) < 0)
            return -1;
    return 0;
}

/* The longest piece chunk_ends cuts; a longer one goes to the regex */
#define MAX_PIECE 256

enum { LETTER, DIGIT, OTHER };

/* A character's class for chunk_ends, or -1 where the regex must decide (whitespace,
 * controls, combining marks and anything from U+0250 on but the right single quote). */
static int
char_class(Py_UCS4 ch)
{
    if (Py_UNICODE_ISALPHA(ch) && ch < 0x250)
        return LETTER;
    if (Py_UNICODE_ISNUMERIC(ch) && ch < 0x250)
        return DIGIT;
    if (ch == 0x2019)
        return OTHER;
    if (ch < 0x21 || (ch >= 0x7F && ch <= 0xA0) || ch >= 0x250 || Py_UNICODE_ISSPACE(ch))
        return -1;
    return OTHER;
}

/* hybrid.pretokenize.chunks_of without the regex, for pieces of Latin letters, digits and punctuation
 * (after an optional leading space): the end of each chunk into ends, their number, or
 * -1 for the regex. CHUNK's alternatives, which the first character picks: a letter run
 * with in-word apostrophes, up to three digits, a run of anything else; the leading space
 * goes with the first chunk. */
static Py_ssize_t
chunk_ends(PyObject *piece, Py_ssize_t *ends)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(piece);
    int kind = PyUnicode_KIND(piece);
    const void *data = PyUnicode_DATA(piece);
    Py_ssize_t i = n > 0 && PyUnicode_READ(kind, data, 0) == ' ';
    if (i == n || n > MAX_PIECE)
        return -1;
    int classes[MAX_PIECE];
    for (Py_ssize_t k = i; k < n; k++)
        if ((classes[k] = char_class(PyUnicode_READ(kind, data, k))) < 0)
            return -1;
    Py_ssize_t count = 0;
    while (i < n) {
        int cls = classes[i++];
        if (cls == LETTER) {
            for (;;) {
                while (i < n && classes[i] == LETTER)
                    i++;
                Py_UCS4 ch = i < n ? PyUnicode_READ(kind, data, i) : 0;
                if ((ch == '\'' || ch == 0x2019) && i + 1 < n && classes[i + 1] == LETTER)
                    i++;
                else
                    break;
            }
        } else if (cls == DIGIT) {
            for (int k = 1; k < 3 && i < n && classes[i] == DIGIT; k++)
                i++;
        } else {
            while (i < n && classes[i] == OTHER)
                i++;
        }
        ends[count++] = i;
    }
    return count;
}

/* The pieces of text that end at ends[0..count) */
static PyObject *
split_at(PyObject *text, const Py_ssize_t *ends, Py_ssize_t count)
{
    PyObject *parts = PyList_New(count);
    for (Py_ssize_t k = 0; parts != NULL && k < count; k++) {
        PyObject *part = PyUnicode_Substring(text, k ? ends[k - 1] : 0, ends[k]);
        if (part == NULL)
            Py_CLEAR(parts);
        else
            PyList_SET_ITEM(parts, k, part);
    }
    return parts;
}

/* The chunks of a piece (chunk_ends), else None: for the tests. */
static PyObject *
chunks_of(PyObject *module, PyObject *piece)
{
    if (!PyUnicode_Check(piece)) {
        PyErr_SetString(PyExc_TypeError, "chunks_of takes a str");
        return NULL;
    }
    Py_ssize_t ends[MAX_PIECE];
    Py_ssize_t count = chunk_ends(piece, ends);
    if (count < 0)
        Py_RETURN_NONE;
    return split_at(piece, ends, count);
}

/* HybridTokenizer._encode_piece (with chunks_of): the ids of one space-separated piece. */
static PyObject *
encode_piece(Encoder *e, PyObject *piece, PyObject *known, PyObject *known_cased)
{
    if (is_alpha_after_space(piece))  /* one chunk, the piece itself: the table has not got it */
        return chunk_ids(e, piece, known, known_cased, 0);
    Py_ssize_t ends[MAX_PIECE];
    Py_ssize_t count = chunk_ends(piece, ends);
    PyObject *chunks = count < 0 ? PyObject_CallOneArg(e->findall, piece) : split_at(piece, ends, count);
    if (chunks == NULL)
        return NULL;
    PyObject *ids = PyList_New(0);
    for (Py_ssize_t i = 0; ids != NULL && i < PyList_GET_SIZE(chunks); i++) {
        PyObject *part = chunk_ids(e, PyList_GET_ITEM(chunks, i), known, known_cased, 1);
        if (part == NULL || extend(ids, part) < 0)
            Py_CLEAR(ids);
        Py_XDECREF(part);
    }
    Py_DECREF(chunks);
    if (ids == NULL)
        return NULL;
    Py_SETREF(ids, PyList_AsTuple(ids));
    return ids;
}

/* HybridTokenizer.encode: split at spaces, each piece after the first with its space;
 * the piece cache, the known-word table, else the piece's chunks. */
static PyObject *
Encoder_encode(Encoder *e, PyObject *args)
{
    PyObject *text, *known, *known_cased;
    if (!PyArg_ParseTuple(args, "UO!O!:encode", &text, &PyDict_Type, &known, &PyDict_Type, &known_cased))
        return NULL;
    if (e->pieces == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Encoder was not initialised");
        return NULL;
    }
    PyObject *ids = PyList_New(0);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), start = 0, from = 0;
    while (ids != NULL) {
        /* the pieces are text[start:space], from one space to the next */
        Py_ssize_t space = PyUnicode_FindChar(text, ' ', from, n, 1);
        PyObject *piece = space == -2 ? NULL : PyUnicode_Substring(text, start, space < 0 ? n : space);
        if (piece == NULL) {
            Py_CLEAR(ids);
            break;
        }
        PyObject *hit = PyDict_GetItemWithError(e->pieces, piece);
        if (hit != NULL) {
            Py_INCREF(hit);
        } else if (!PyErr_Occurred()) {
            /* a chunk of the table is a piece of that one chunk */
            hit = PyDict_GetItemWithError(known, piece);
            if (hit != NULL)
                Py_INCREF(hit);
            else if (!PyErr_Occurred())
                hit = encode_piece(e, piece, known, known_cased);
            if (hit != NULL && cache_put(e->pieces, e->cache_size, piece, hit) < 0)
                Py_CLEAR(hit);
        }
        Py_DECREF(piece);
        if (hit == NULL || extend(ids, hit) < 0)
            Py_CLEAR(ids);
        Py_XDECREF(hit);
        if (space < 0)
            break;
        start = space;
        from = space + 1;
    }
    return ids;
}

#define FIELDS(X) \
    X(pieces) X(chunks) X(marker_ids) X(suffix_ids) X(root_ids) X(entry_of) \
    X(ids_of_py) X(findall) X(forms) X(templates) X(context) X(realize) X(apostrophe_id) X(right_quote_id)

static void
free_tables(Encoder *e)
{
    PyMem_Free(e->accept);
    PyMem_Free(e->edge_start);
    PyMem_Free(e->edges);
    PyMem_Free(e->pool);
    PyMem_Free(e->template_prog);
    PyMem_Free(e->template_vowel);
    PyMem_Free(e->slots);
    PyMem_Free(e->records);
    PyMem_Free(e->cell_count);
    PyMem_Free(e->cell_edge);
    PyMem_Free(e->cell_stamp);
    PyMem_Free(e->merge_keys);
    PyMem_Free(e->merge_ranks);
    PyMem_Free(e->merge_ids);
    for (Py_ssize_t i = 0; e->realized != NULL && i < e->ntemplates * 50; i++)
        Py_XDECREF(e->realized[i]);
    PyMem_Free(e->realized);
    memset(&e->nstates, 0, sizeof(Encoder) - offsetof(Encoder, nstates));
}

/* The suffix machine's tables from TurkishAnalyzer.suffix_machine's accept and edges. */
static int
build_machine(Encoder *e, PyObject *accept, PyObject *edges, PyObject *template_prog, PyObject *template_vowel)
{
    if (!PyList_Check(accept) || !PyList_Check(edges) || PyList_GET_SIZE(accept) != PyList_GET_SIZE(edges)
        || !PyList_Check(template_prog) || !PyList_Check(template_vowel)
        || PyList_GET_SIZE(template_prog) != PyList_GET_SIZE(template_vowel)) {
        PyErr_SetString(PyExc_TypeError, "Encoder: malformed suffix machine");
        return -1;
    }
    Py_ssize_t nstates = PyList_GET_SIZE(accept), ntemplates = PyList_GET_SIZE(template_prog), nedges = 0, nchars = 0;
    for (Py_ssize_t s = 0; s < nstates; s++) {
        PyObject *out = PyList_GET_ITEM(edges, s);
        if (!PyList_Check(out)) {
            PyErr_SetString(PyExc_TypeError, "Encoder: malformed suffix machine");
            return -1;
        }
        nedges += PyList_GET_SIZE(out);
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(out); k++) {
            PyObject *edge = PyList_GET_ITEM(out, k);
            if (!PyTuple_Check(edge) || PyTuple_GET_SIZE(edge) != 3 || !PyUnicode_Check(PyTuple_GET_ITEM(edge, 1))) {
                PyErr_SetString(PyExc_TypeError, "Encoder: malformed suffix machine");
                return -1;
            }
            nchars += PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(edge, 1));
        }
    }
    e->nstates = (int32_t)nstates;
    e->accept = PyMem_Malloc(nstates + 1);
    e->edge_start = PyMem_Malloc((nstates + 1) * sizeof(int32_t));
    e->edges = PyMem_Malloc((nedges + 1) * sizeof(Edge));
    e->pool = PyMem_Malloc((nchars + 1) * sizeof(Py_UCS4));
    e->template_prog = PyMem_Malloc(ntemplates + 1);
    e->template_vowel = PyMem_Malloc(ntemplates + 1);
    size_t cells = (size_t)(MAX_WORD + 1) * nstates;
    e->cell_count = PyMem_Malloc(cells * sizeof(int16_t) + 1);
    e->cell_edge = PyMem_Malloc(cells * sizeof(int32_t) + 1);
    e->cell_stamp = PyMem_Calloc(cells + 1, sizeof(uint32_t));
    if (!e->accept || !e->edge_start || !e->edges || !e->pool || !e->template_prog || !e->template_vowel
        || !e->cell_count || !e->cell_edge || !e->cell_stamp) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t t = 0; t < ntemplates; t++) {
        int prog = PyObject_IsTrue(PyList_GET_ITEM(template_prog, t));
        int vowel = PyObject_IsTrue(PyList_GET_ITEM(template_vowel, t));
        if (prog < 0 || vowel < 0)
            return -1;
        e->template_prog[t] = (uint8_t)prog;
        e->template_vowel[t] = (uint8_t)vowel;
    }
    Py_ssize_t k = 0, c = 0;
    for (Py_ssize_t s = 0; s < nstates; s++) {
        int yes = PyObject_IsTrue(PyList_GET_ITEM(accept, s));
        if (yes < 0)
            return -1;
        e->accept[s] = (uint8_t)yes;
        e->edge_start[s] = (int32_t)k;
        PyObject *out = PyList_GET_ITEM(edges, s);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(out); i++, k++) {
            PyObject *edge = PyList_GET_ITEM(out, i), *surface = PyTuple_GET_ITEM(edge, 1);
            long template = PyLong_AsLong(PyTuple_GET_ITEM(edge, 0));
            long target = PyLong_AsLong(PyTuple_GET_ITEM(edge, 2));
            if (PyErr_Occurred())
                return -1;
            if (template < 0 || template >= ntemplates || target < 0 || target >= nstates) {
                PyErr_SetString(PyExc_ValueError, "Encoder: a suffix machine edge out of range");
                return -1;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(surface);
            if (PyUnicode_AsUCS4(surface, e->pool + c, len + 1, 0) == NULL && len > 0)
                return -1;
            e->edges[k] = (Edge){(int32_t)template, (int32_t)target, (int32_t)c, (int32_t)len};
            c += len;
        }
    }
    e->edge_start[nstates] = (int32_t)k;
    return 0;
}

static Py_UCS4
letter_of(PyObject *ch)  /* a context's vowel or last letter: a one-letter str or None */
{
    return PyUnicode_Check(ch) && PyUnicode_GET_LENGTH(ch) == 1 ? PyUnicode_READ_CHAR(ch, 0) : 0;
}

/* The trie of root spellings and their records, from TurkishAnalyzer.forms
 * (spelling -> [(entry, constraint, context)]), the machine's state numbers and the root
 * tokens of each root (HybridTokenizer._root_ids). */
static int
build_trie(Encoder *e, PyObject *forms, PyObject *machine_ids, PyObject *root_ids)
{
    if (!PyDict_Check(forms) || !PyDict_Check(machine_ids) || !PyDict_Check(root_ids)) {
        PyErr_SetString(PyExc_TypeError, "Encoder: forms and machine ids must be dicts");
        return -1;
    }
    Py_ssize_t pos = 0, nchars = 0, nrecords = 0;
    PyObject *spelling, *records;
    while (PyDict_Next(forms, &pos, &spelling, &records)) {
        if (!PyUnicode_Check(spelling) || !PyList_Check(records)) {
            PyErr_SetString(PyExc_TypeError, "Encoder: malformed forms");
            return -1;
        }
        nchars += PyUnicode_GET_LENGTH(spelling);
        nrecords += PyList_GET_SIZE(records);
    }
    /* built in a table sized by the letters, then moved to one sized by the nodes */
    uint64_t size = 1024;
    while (size < 2 * (uint64_t)nchars + 2)
        size <<= 1;
    uint64_t mask = size - 1;
    Slot *slots = PyMem_Calloc(size, sizeof(Slot));
    int32_t *first = PyMem_Malloc((nchars + 2) * sizeof(int32_t));  /* per node: its spelling's first record, or -1 */
    int32_t *count = PyMem_Calloc(nchars + 2, sizeof(int32_t));
    int32_t *node_first = PyMem_Malloc((nchars + 2) * sizeof(int32_t));  /* per node: where its records start */
    Record *unsorted = PyMem_Malloc((nrecords + 1) * sizeof(Record));
    e->records = PyMem_Malloc((nrecords + 1) * sizeof(Record));
    int status = -1;
    if (!slots || !first || !count || !node_first || !unsorted || !e->records) {
        PyErr_NoMemory();
        goto done;
    }
    int32_t nnodes = 1;
    first[0] = -1;
    Py_ssize_t r = 0;
    pos = 0;
    while (PyDict_Next(forms, &pos, &spelling, &records)) {
        int32_t node = 0;
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(spelling); i++) {
            uint64_t key = ((uint64_t)node << 32) | PyUnicode_READ_CHAR(spelling, i);
            Slot *slot = slot_of(slots, mask, key);
            if (!slot->key) {
                slot->key = key + 1;
                slot->node = nnodes;
                first[nnodes++] = -1;
            }
            node = slot->node;
        }
        first[node] = (int32_t)r;
        count[node] = (int32_t)PyList_GET_SIZE(records);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(records); i++, r++) {
            PyObject *record = PyList_GET_ITEM(records, i);
            if (!PyTuple_Check(record) || PyTuple_GET_SIZE(record) != 3 || !PyTuple_Check(PyTuple_GET_ITEM(record, 2))
                || PyTuple_GET_SIZE(PyTuple_GET_ITEM(record, 2)) != 3) {
                PyErr_SetString(PyExc_TypeError, "Encoder: malformed forms");
                goto done;
            }
            PyObject *entry = PyTuple_GET_ITEM(record, 0), *ctx = PyTuple_GET_ITEM(record, 2);
            PyObject *state = PyObject_GetAttr(entry, s_state);
            PyObject *proper = state == NULL ? NULL : PyObject_GetAttr(entry, s_proper);
            PyObject *root = proper == NULL ? NULL : PyObject_GetAttr(entry, s_root);
            PyObject *key = proper == NULL ? NULL : PyTuple_Pack(3, state, PyTuple_GET_ITEM(ctx, 2), PyTuple_GET_ITEM(record, 1));
            PyObject *id = key == NULL ? NULL : PyDict_GetItemWithError(machine_ids, key);
            int is_proper = proper == NULL ? -1 : PyObject_IsTrue(proper);
            int root_ok = root != NULL && PyUnicode_Check(root);
            Py_XDECREF(state);
            Py_XDECREF(proper);
            Py_XDECREF(root);  /* the entry keeps it */
            Py_XDECREF(key);
            if (!root_ok && !PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "Encoder: a root entry's root is not a str");
            if (id == NULL || is_proper < 0 || !root_ok) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_KeyError, "Encoder: a root's start state is not in the suffix machine");
                goto done;
            }
            long state_id = PyLong_AsLong(id);
            if (state_id == -1 && PyErr_Occurred())
                goto done;
            unsorted[r] = (Record){(int32_t)state_id, is_proper, root, {NULL, NULL}, letter_of(PyTuple_GET_ITEM(ctx, 0)),
                                   letter_of(PyTuple_GET_ITEM(ctx, 1))};
            for (int space = 0; space < 2; space++) {
                PyObject *pair = PyTuple_Pack(2, root, space ? Py_True : Py_False);
                PyObject *tokens = pair == NULL ? NULL : PyDict_GetItemWithError(root_ids, pair);
                Py_XDECREF(pair);
                if (tokens != NULL && !PyList_Check(tokens))
                    PyErr_SetString(PyExc_TypeError, "Encoder: root_ids values must be lists");
                if (PyErr_Occurred())
                    goto done;
                unsorted[r].tokens[space] = tokens;
            }
        }
    }
    /* records in node order, each node's in their list order */
    int32_t at = 0;
    for (int32_t node = 0; node < nnodes; node++) {
        node_first[node] = at;
        if (first[node] >= 0) {
            memcpy(e->records + at, unsorted + first[node], count[node] * sizeof(Record));
            at += count[node];
        }
    }
    uint64_t final = 1024;
    while (final < 2 * (uint64_t)nnodes)
        final <<= 1;
    e->slot_mask = final - 1;
    if ((e->slots = PyMem_Calloc(final, sizeof(Slot))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (uint64_t i = 0; i < size; i++) {
        if (slots[i].key) {
            Slot *slot = slot_of(e->slots, e->slot_mask, slots[i].key - 1);
            int32_t node = slots[i].node;
            *slot = (Slot){slots[i].key, node, node_first[node], node_first[node] + count[node]};
        }
    }
    status = 0;
done:
    PyMem_Free(slots);
    PyMem_Free(first);
    PyMem_Free(count);
    PyMem_Free(node_first);
    PyMem_Free(unsorted);
    return status;
}

/* The BPE fallback's tables: each byte's id (or -1), and its merges in rank order as
 * (left id, right id, merged id). */
static int
build_bpe(Encoder *e, PyObject *byte_ids, PyObject *merges)
{
    if (!PyList_Check(byte_ids) || PyList_GET_SIZE(byte_ids) != 256 || !PyList_Check(merges)) {
        PyErr_SetString(PyExc_TypeError, "Encoder: bpe_byte_ids must be 256 ids, bpe_merges a list");
        return -1;
    }
    for (int b = 0; b < 256; b++) {
        long id = PyLong_AsLong(PyList_GET_ITEM(byte_ids, b));
        if (id == -1 && PyErr_Occurred())
            return -1;
        e->byte_ids[b] = (int32_t)id;
    }
    Py_ssize_t n = PyList_GET_SIZE(merges);
    uint64_t slots = 64;
    while (slots < 2 * (uint64_t)n + 2)
        slots <<= 1;
    e->merge_mask = slots - 1;
    e->merge_keys = PyMem_Calloc(slots, sizeof(uint64_t));
    e->merge_ranks = PyMem_Malloc(slots * sizeof(int32_t));
    e->merge_ids = PyMem_Malloc(slots * sizeof(int32_t));
    if (!e->merge_keys || !e->merge_ranks || !e->merge_ids) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t r = 0; r < n; r++) {
        long left, right, merged;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(merges, r), "lll", &left, &right, &merged))
            return -1;
        uint64_t key = ((uint64_t)left << 32) | (uint32_t)right;
        uint64_t slot = merge_slot(e, key);
        if (e->merge_keys[slot])  /* a pair merged twice: the first rank wins */
            continue;
        e->merge_keys[slot] = key + 1;
        e->merge_ranks[slot] = (int32_t)r;
        e->merge_ids[slot] = (int32_t)merged;
    }
    return 0;
}

/* fast_entry's tables: letters as (letter, its lower case) pairs, compositions as
 * (base, mark, composed) triples, each a str of one character. */
static int
build_letters(Encoder *e, PyObject *letters, PyObject *compositions)
{
    if (!PyList_Check(letters) || !PyList_Check(compositions) || PyList_GET_SIZE(compositions) > MAX_COMPOSITIONS) {
        PyErr_SetString(PyExc_TypeError, "Encoder: letters and compositions must be lists");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(letters); i++) {
        Py_UCS4 letter, lower;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(letters, i), "CC", &letter, &lower))
            return -1;
        if (letter >= LETTERS || lower >= LETTERS) {
            PyErr_SetString(PyExc_ValueError, "Encoder: a letter beyond the table");
            return -1;
        }
        e->lower_of[letter] = lower;
    }
    e->ncompositions = (int)PyList_GET_SIZE(compositions);
    for (int k = 0; k < e->ncompositions; k++)
        if (!PyArg_ParseTuple(PyList_GET_ITEM(compositions, k), "CCC", &e->compositions[k][0], &e->compositions[k][1],
                              &e->compositions[k][2]))
            return -1;
    return 0;
}

static int
Encoder_init(Encoder *e, PyObject *args, PyObject *kwargs)
{
#define NAME(f) #f,
    static char *names[] = {
        FIELDS(NAME) "machine_ids", "accept", "edges", "template_prog", "template_vowel", "bpe_byte_ids", "bpe_merges",
        "bpe_offset", "apostrophe_states", "letters", "compositions", "max_letters", "cache_size", NULL};
#undef NAME
#define DECLARE(f) PyObject *f = NULL;
    FIELDS(DECLARE)
#undef DECLARE
    PyObject *machine_ids, *accept, *edges, *template_prog, *template_vowel, *bpe_byte_ids, *bpe_merges, *apostrophe_states, *letters, *compositions;
    long bpe_offset;
    Py_ssize_t max_letters;
#define ADDRESS(f) &f,
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$OOOOOOOOOOOOOOOOOOOOOlOOOnn:Encoder", names, FIELDS(ADDRESS) & machine_ids,
                                     &accept, &edges, &template_prog, &template_vowel, &bpe_byte_ids, &bpe_merges,
                                     &bpe_offset, &apostrophe_states, &letters, &compositions, &max_letters, &e->cache_size))
        return -1;
#undef ADDRESS
    if (!PyDict_Check(pieces) || !PyDict_Check(chunks) || !PyList_Check(suffix_ids) || !PyDict_Check(root_ids)
        || !PyTuple_Check(marker_ids) || PyTuple_GET_SIZE(marker_ids) != 3 || PyList_GET_SIZE(suffix_ids) != PyList_Size(template_prog)) {
        PyErr_SetString(PyExc_TypeError, "Encoder: the caches and tables must be dicts, marker_ids three ids, suffix_ids a list per template");
        return -1;
    }
    if (e->cache_size < 1 || max_letters < 0 || max_letters > MAX_WORD - 2) {
        PyErr_Format(PyExc_ValueError, "Encoder: cache_size must be at least 1, max_letters at most %d", MAX_WORD - 2);
        return -1;
    }
    free_tables(e);
    e->bpe_offset = bpe_offset;
    e->max_letters = max_letters;
    if (!PyList_Check(templates) || PyList_GET_SIZE(templates) != PyList_GET_SIZE(suffix_ids) || !PyList_Check(apostrophe_states)
        || PyList_GET_SIZE(apostrophe_states) != 25) {
        PyErr_SetString(PyExc_TypeError, "Encoder: templates must match suffix_ids, apostrophe_states be 25 states");
        return -1;
    }
    e->ntemplates = PyList_GET_SIZE(templates);
    e->realized = PyMem_Calloc(e->ntemplates * 50 + 1, sizeof(PyObject *));
    if (e->realized == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (build_machine(e, accept, edges, template_prog, template_vowel) < 0 || build_trie(e, forms, machine_ids, root_ids) < 0
        || build_bpe(e, bpe_byte_ids, bpe_merges) < 0) {
        free_tables(e);
        return -1;
    }
    for (int k = 0; k < 25; k++) {
        long state = PyLong_AsLong(PyList_GET_ITEM(apostrophe_states, k));
        if (state < 0 || state >= e->nstates) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "Encoder: an apostrophe state out of range");
            free_tables(e);
            return -1;
        }
        e->apostrophe_states[k] = (int32_t)state;
    }
    if (build_letters(e, letters, compositions) < 0) {
        free_tables(e);
        return -1;
    }
#define KEEP(f) Py_XSETREF(e->f, Py_NewRef(f));
    FIELDS(KEEP)
#undef KEEP
    return 0;
}

/* Encoder.spell_root: harmony.spell_root's spelling and context, for the tests. */
static PyObject *
Encoder_spell_root(Encoder *e, PyObject *args)
{
    PyObject *root, *flags;
    int has_next, prog, vowel_next;
    if (!PyArg_ParseTuple(args, "UOppp:spell_root", &root, &flags, &has_next, &prog, &vowel_next))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(root);
    if (n >= MAX_WORD)
        return PyErr_Format(PyExc_ValueError, "a root of at most %d letters", MAX_WORD - 1);
    Py_UCS4 letters[MAX_WORD + 1], spelt[MAX_WORD + 1], vowel, last;
    if (PyUnicode_AsUCS4(root, letters, MAX_WORD + 1, 0) == NULL && n > 0)
        return NULL;
    int bits = flag_bits(flags);
    if (bits < 0)
        return NULL;
    Py_ssize_t m = spell_root(letters, n, bits, has_next, prog, vowel_next, spelt, &vowel, &last);
    PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, spelt, m);
    PyObject *v = vowel ? PyUnicode_FromOrdinal(vowel) : Py_NewRef(Py_None);
    PyObject *l = last ? PyUnicode_FromOrdinal(last) : Py_NewRef(Py_None);
    PyObject *out = text && v && l ? PyTuple_Pack(3, text, v, l) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(v);
    Py_XDECREF(l);
    return out;
}

static int
Encoder_traverse(Encoder *e, visitproc visit, void *arg)
{
#define VISIT(f) Py_VISIT(e->f);
    FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int
Encoder_clear(Encoder *e)
{
#define CLEAR(f) Py_CLEAR(e->f);
    FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void
Encoder_dealloc(Encoder *e)
{
    PyObject_GC_UnTrack(e);
    Encoder_clear(e);
    free_tables(e);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyMethodDef Encoder_methods[] = {
    {"encode", (PyCFunction)Encoder_encode, METH_VARARGS,
     "encode(text, known, known_cased) -> list of ids, as HybridTokenizer.encode."},
    {"spell_root", (PyCFunction)Encoder_spell_root, METH_VARARGS,
     "spell_root(root, flags, has_next, next_is_progressive, next_starts_with_vowel) -> (text, vowel, last)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tokkit.morphology._hybrid_encode.Encoder",
    .tp_doc = "The hybrid tokenizer's encoder over its own caches and tables (see the module).",
    .tp_basicsize = sizeof(Encoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Encoder_init,
    .tp_dealloc = (destructor)Encoder_dealloc,
    .tp_traverse = (traverseproc)Encoder_traverse,
    .tp_clear = (inquiry)Encoder_clear,
    .tp_methods = Encoder_methods,
};

static PyMethodDef module_functions[] = {
    {"chunks_of", chunks_of, METH_O, "chunks_of(piece) -> hybrid.pretokenize.chunks_of(piece) without the regex, or None where it defers"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hybrid_encode", "The hybrid tokenizer's encoder, compiled (see the C source).", -1,
    module_functions,
};

PyMODINIT_FUNC
PyInit__hybrid_encode(void)
{
    if ((s_state = PyUnicode_InternFromString("state")) == NULL || (s_proper = PyUnicode_InternFromString("proper")) == NULL
        || (s_root = PyUnicode_InternFromString("root")) == NULL)
        return NULL;
    for (int k = 0; k < 5; k++)
        if ((s_flag_names[k] = PyUnicode_InternFromString(FLAG_NAMES[k])) == NULL)
            return NULL;
    if (PyType_Ready(&EncoderType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Encoder", (PyObject *)&EncoderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
