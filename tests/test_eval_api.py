"""tokkit.evaluate and its result table, each value checked against a computation made
here from the tokenizer's own encode/decode; premium invariants; file formats; plots."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import statistics
import struct
from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pytest
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import models, pre_tokenizers

import tokkit
from tokkit import metrics as M
from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import CorpusError, ParallelCorpus, TextCorpus
from tokkit.evaluation import evaluate
from tokkit.results import ResultTable

LINES = {
    "eng_Latn": ["The quick brown fox jumps over the lazy dog.", "We walked to the park today.", "Twelve cats, 345 dogs."],
    "tur_Latn": ["Hızlı kahverengi tilki tembel köpeğin üstünden atlar.", "Bugün parka yürüdük.", "On iki kedi, 345 köpek."],
    "deu_Latn": ["Der schnelle braune Fuchs springt über den faulen Hund.", "Wir gingen heute in den Park.", "Zwölf Katzen, 345 Hunde."],
    "zho_Hans": ["敏捷的棕色狐狸跳过了懒狗。", "我们今天去公园散步了。", "十二只猫，345只狗。"],
}


@pytest.fixture(scope="module")
def toks(mixed_corpus):
    trained = tokkit.train("bpe", mixed_corpus, [300, 420])
    return [trained[300], trained[420]]


@pytest.fixture(scope="module")
def parallel():
    return ParallelCorpus.from_lines(LINES, spec="four")


@pytest.fixture(scope="module")
def table(toks, parallel):
    return evaluate(toks, parallel)


def _value(table, tok, lang, metric):
    rows = table.select(tokenizer=tok.name, lang=lang, metric=metric)
    assert len(rows) == 1, (tok.name, lang, metric, rows)
    return rows[0].value


def test_each_language_matches_an_independent_computation(toks, table):
    for tok in toks:
        for lang, lines in LINES.items():
            ids = [tok.encode(line) for line in lines]  # one by one, not encode_batch
            tokens = [i for line in ids for i in line]
            n_bytes = sum(len(line.encode("utf-8")) for line in lines)
            assert _value(table, tok, lang, "ctc") == len(tokens)
            assert _value(table, tok, lang, "bytes_per_token") == pytest.approx(n_bytes / len(tokens))
            assert _value(table, tok, lang, "chars_per_token") == pytest.approx(sum(map(len, lines)) / len(tokens))
            assert _value(table, tok, lang, "roundtrip_rate") == sum(tok.decode(x) == l for x, l in zip(ids, lines)) / 3
            ordinary = tok.vocab_size - len(tok.special_ids)
            assert _value(table, tok, lang, "vocab_utilisation") == pytest.approx(len(set(tokens)) / ordinary)
            freq = Counter(tokens)
            entropy = -sum(c / len(tokens) * math.log2(c / len(tokens)) for c in freq.values())
            assert _value(table, tok, lang, "entropy") == pytest.approx(entropy)
            assert _value(table, tok, lang, "unk_rate") == 0.0
            partial = sum(not _is_utf8(tok.token_bytes(i)) for i in tokens)
            assert _value(table, tok, lang, "byte_fallback_rate") == pytest.approx(partial / len(tokens))
            assert lang != "zho_Hans" or partial > 0  # 300 tokens lack most Chinese characters
            if lang == "zho_Hans":  # no spaces between words: no fertility
                assert not table.select(tokenizer=tok.name, lang=lang, metric="fertility")
            else:
                words = sum(len(line.split()) for line in lines)
                assert _value(table, tok, lang, "fertility") == pytest.approx(len(tokens) / words)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_whole_corpus_rows_sum_the_languages(toks, table):
    for tok in toks:
        total = sum(len(tok.encode(line)) for lines in LINES.values() for line in lines)
        assert _value(table, tok, "all", "ctc") == total
        assert _value(table, tok, "all", "throughput_mb_s") > 0
        assert not table.select(tokenizer=tok.name, lang="all", metric="premium")


def test_renyi_efficiency_agrees_with_tokenization_scorer_on_the_same_tokens(toks, table):
    tokenization_scorer = pytest.importorskip("tokenization_scorer")
    for tok in toks:
        for lang, lines in LINES.items():
            text = "\n".join(" ".join(f"t{i}" for i in tok.encode(line)) for line in lines)
            expected = tokenization_scorer.score(text, metric="renyi", power=2.5)
            assert _value(table, tok, lang, "renyi_efficiency") == pytest.approx(expected, rel=1e-9)


def test_premium_is_ctc_over_the_pivot_and_the_pivot_is_one(toks, table):
    for tok in toks:
        ctc = {lang: sum(len(tok.encode(line)) for line in lines) for lang, lines in LINES.items()}
        assert _value(table, tok, "eng_Latn", "premium") == 1.0
        for lang in LINES:
            assert _value(table, tok, lang, "premium") == pytest.approx(ctc[lang] / ctc["eng_Latn"])
            per_line = [len(tok.encode(a)) / len(tok.encode(b)) for a, b in zip(LINES[lang], LINES["eng_Latn"])]
            assert _value(table, tok, lang, "premium_median") == pytest.approx(statistics.median(per_line))
            q1, _, q3 = statistics.quantiles(per_line, n=4, method="inclusive")
            assert _value(table, tok, lang, "premium_iqr") == pytest.approx(q3 - q1)


def test_doubling_the_text_doubles_ctc_and_keeps_the_premium(toks, table):
    doubled = ParallelCorpus.from_lines({lang: lines * 2 for lang, lines in LINES.items()}, spec="doubled")
    twice = evaluate(toks, doubled, metrics=["ctc", "premium"])
    for tok in toks:
        for lang in LINES:
            assert _value(twice, tok, lang, "ctc") == 2 * _value(table, tok, lang, "ctc")
            assert _value(twice, tok, lang, "premium") == pytest.approx(_value(table, tok, lang, "premium"))


def test_premium_is_scale_free_across_pivots(toks, table, parallel):
    by_deu = evaluate(toks, parallel, metrics=["premium"], pivot="deu_Latn")
    for tok in toks:
        for lang in LINES:
            expected = _value(table, tok, lang, "premium") / _value(table, tok, "deu_Latn", "premium")
            assert _value(by_deu, tok, lang, "premium") == pytest.approx(expected)


def test_a_plain_corpus_gives_whole_corpus_rows_only(toks):
    result = evaluate(toks[0], TextCorpus(LINES["eng_Latn"], spec="eng"))
    assert set(result.langs()) == {"all"}
    assert "premium" not in result.metrics()
    words = sum(len(line.split()) for line in LINES["eng_Latn"])
    ctc = sum(len(toks[0].encode(line)) for line in LINES["eng_Latn"])
    assert _value(result, toks[0], "all", "fertility") == pytest.approx(ctc / words)
    with pytest.raises(tokkit.TokkitError, match="parallel"):
        evaluate(toks[0], TextCorpus(["a"], spec="eng"), metrics=["premium"])


def test_missing_pivot_and_unaligned_corpora_are_refused(toks, parallel):
    with pytest.raises(tokkit.TokkitError, match="pivot fin_Latn is not a language"):
        evaluate(toks[0], parallel, pivot="fin_Latn")
    ragged = ParallelCorpus.from_lines({**LINES, "tur_Latn": LINES["tur_Latn"][:2]}, spec="ragged")
    with pytest.raises(CorpusError, match="tur_Latn has 2"):
        evaluate(toks[0], ragged)
    with pytest.raises(tokkit.TokkitError, match="unknown metric nonsense"):
        evaluate(toks[0], parallel, metrics=["ctc", "nonsense"])


def test_petrov_rule_drops_pairs_with_many_unknown_tokens_and_says_so():
    rust = RustTokenizer(models.WordLevel({"<unk>": 0, "the": 1, "dog": 2, "a": 3, "cat": 4}, unk_token="<unk>"))
    rust.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = HFTokenizer(rust, name="words")
    corpus = ParallelCorpus.from_lines({"eng_Latn": ["the dog", "a cat"], "xyz_Latn": ["the qq", "a cat"],
                                        "deu_Latn": ["der Hund", "eine Katze"]}, spec="tiny")
    result = evaluate(tok, corpus)
    dropped = {d["lang"]: d for d in result.header["dropped"]}
    assert set(dropped) == {"xyz_Latn", "deu_Latn"}  # 1/4 and 4/4 unknown: both over 10%
    assert dropped["xyz_Latn"]["unknown_share"] == pytest.approx(0.25)
    assert not result.select(lang="xyz_Latn", metric="premium")
    assert _value(result, tok, "eng_Latn", "premium") == 1.0
    assert _value(result, tok, "deu_Latn", "unk_rate") == 1.0
    lossless = [tok.decode(tok.encode(line)) == line for line in ["the qq", "a cat"]]
    assert lossless == [False, True]
    assert _value(result, tok, "xyz_Latn", "roundtrip_rate") == 0.5


@pytest.mark.realdata
def test_premium_on_flores_matches_tiktoken_itself(data_dir):
    """cl100k_base through tokkit against counts from the tiktoken library directly."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    path = data_dir / "tokenizers/tiktoken/cl100k_base.tiktoken"
    ranks = load_tiktoken_bpe(str(path))
    pattern = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
    raw = tiktoken.Encoding("cl100k", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    result = evaluate(str(path), "flores200:devtest:eng_Latn,tur_Latn", metrics=["ctc", "premium"], data_dir=data_dir)
    counts = {}
    for lang in ("eng_Latn", "tur_Latn"):
        lines = (data_dir / f"flores200/devtest/{lang}.txt").read_text(encoding="utf-8").splitlines()
        counts[lang] = sum(len(ids) for ids in raw.encode_ordinary_batch(lines))
        assert result.select(lang=lang, metric="ctc")[0].value == counts[lang]
    assert result.select(lang="tur_Latn", metric="premium")[0].value == pytest.approx(counts["tur_Latn"] / counts["eng_Latn"])


def test_plugin_metrics_plug_in_for_their_languages(toks, parallel, monkeypatch):
    from tokkit.metrics import registry

    collected = []

    def count_words(reading):
        assert reading.ids == [reading.tokenizer.encode(t) for t in reading.texts]
        collected.append(reading.lang)
        return sum(len(t.split()) for t in reading.texts)

    words_seen = M.Metric("words_seen", "whitespace words", None, M.Scope.LANGUAGE, count_words,
                          lambda words, ctx: float(words), langs=frozenset({"tur_Latn"}))
    monkeypatch.setattr(registry, "plugin_metrics", lambda: {"words_seen": words_seen})
    result = evaluate(toks[0], parallel, metrics=["ctc", "words_seen"])
    rows = result.select(metric="words_seen")
    assert [(r.lang, r.value) for r in rows] == [("tur_Latn", float(sum(len(t.split()) for t in LINES["tur_Latn"])))]
    assert collected == ["tur_Latn"]  # collected only where the metric applies
    with_defaults = evaluate(toks[0], parallel, metrics=["default", "words_seen"])
    assert set(with_defaults.metrics()) == {*M.DEFAULT_METRICS, "words_seen"}


def test_json_round_trip_keeps_every_row_and_the_header(table, tmp_path):
    path = table.write_json(tmp_path / "r.json")
    again = ResultTable.read_json(path)
    assert again.rows == table.rows
    assert again.header == json.loads(json.dumps(table.header))
    with pytest.raises(tokkit.TokkitError, match="exists"):
        table.write_json(path)


def test_csv_and_dataframe_hold_the_same_rows(table):
    parsed = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert len(parsed) == len(table.rows)
    for row, back in zip(table.rows, parsed):
        assert (back["tokenizer"], back["lang"], back["metric"]) == (row.tokenizer, row.lang, row.metric)
        assert float(back["value"]) == row.value
    frame = table.to_pandas()
    assert frame.shape == (len(table.rows), 5)


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"rows": []}', "not a tokkit results file"),
    ('{"results": [{"tokenizer": "a"}]}', "malformed"),
    ('{"results": [{"tokenizer": "a", "corpus": "c", "lang": "x", "metric": "m", "value": "high"}]}', "malformed"),
])
def test_bad_results_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(tokkit.TokkitError, match=message):
        ResultTable.read_json(path)


@pytest.mark.parametrize("field, value, message", [
    ("tokenizers", "abc", 'header.tokenizers must be a list, not "abc"'),
    ("tokenizers", [{"name": 3}], "header.tokenizers[0].name must be a string, not 3"),
    ("corpora", ["a", "b"], 'header.corpora[0] must be an object, not "a"'),
    ("corpora", [{"spec": "x", "langs": "eng"}], 'header.corpora[0].langs must be a list, not "eng"'),
    ("dropped", {"a": 1}, 'header.dropped must be a list, not {"a": 1}'),
    ("dropped", [{"tokenizer": "a"}], "header.dropped[0].corpus is missing"),
    ("pivot", ["eng_Latn"], 'header.pivot must be a string, not ["eng_Latn"]'),
    ("alpha", "2.5", 'header.alpha must be a number, not "2.5"'),
    ("tokkit_version", 1, "header.tokkit_version must be a string, not 1"),
])
def test_a_results_header_of_the_wrong_types_is_refused_in_one_line(table, tmp_path, field, value, message):
    """Refused rather than rendered without it: the header says what the numbers mean."""
    path = tmp_path / "res.json"
    payload = table.to_json()
    path.write_text(json.dumps({**payload, "header": {**payload["header"], field: value}}))
    with pytest.raises(tokkit.TokkitError) as caught:
        ResultTable.read_json(path)
    assert str(caught.value) == f"{path}: {message}"


def test_a_results_header_may_lack_any_field_and_keep_others(table):
    payload = table.to_json()
    assert ResultTable.from_json({"results": payload["results"]}).rows == table.rows
    again = ResultTable.from_json({**payload, "header": {"unit": {"lang": "tur"}, "pivot": "eng_Latn"}})
    assert again.header == {"unit": {"lang": "tur"}, "pivot": "eng_Latn"} and again.rows == table.rows


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


class _Page(HTMLParser):
    """What a page loads from elsewhere, its inline scripts, and its images."""

    def __init__(self):
        super().__init__()
        self.external, self.images, self.scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (tag in ("script", "img", "iframe") and "src" in attrs and not attrs["src"].startswith("data:")) or (
                tag == "link" and "href" in attrs):
            self.external.append(attrs.get("src") or attrs.get("href"))
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "script":
            self._script = [attrs.get("type", ""), attrs.get("id"), ""]

    def handle_data(self, data):
        if self._script is not None:
            self._script[2] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None


def _parsed(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_html_report_embeds_every_row_and_loads_nothing(table):
    from tokkit import reports

    page = _parsed(reports.render(table, "html"))
    assert page.external == [] and page.images == []
    data = json.loads(next(text for kind, id, text in page.scripts if id == "tokkit-data"))
    assert any(kind == "" and "tokkit-data" in text for kind, id, text in page.scripts)  # the page's own script
    tokenizers = data["tokenizers"]
    [corpus] = data["corpora"]
    for row in table.rows:
        assert corpus["values"][row.metric][row.lang][tokenizers.index(row.tokenizer)] == row.value
    assert corpus["scripts"] == {"eng_Latn": "Latn", "tur_Latn": "Latn", "deu_Latn": "Latn", "zho_Hans": "Hans"}
    definitions = {d["name"]: d for d in data["metrics"]}
    assert definitions["premium"] == {"name": "premium", "about": M.get_metric("premium").about, "higher": False, "pivot": True}


def test_html_report_keeps_a_sample_text_from_closing_its_script(table):
    from tokkit import reports

    hostile = "</script><script>alert(1)</script><!--"
    copy = ResultTable(header={**table.header, "samples": {"per_lang": 1, "corpora": {"four": {"eng_Latn": [
        {"line": 0, "text": hostile, "tokens": {}}]}}}}, rows=table.rows)
    text = reports.render(copy, "html")
    assert hostile not in text
    page = _parsed(text)
    data = json.loads(next(text for kind, id, text in page.scripts if id == "tokkit-data"))
    assert data["samples"]["corpora"]["four"]["eng_Latn"][0]["text"] == hostile


def test_a_sweeps_report_embeds_its_curves(tmp_path):
    pytest.importorskip("matplotlib")
    from tokkit import reports

    sweep = ResultTable(header={"pivot": "eng_Latn"})
    for size in (1000, 2000):
        sweep.add(f"tur_Latn-{size}", "flores", "all", "vocab_size", size)
        sweep.add(f"tur_Latn-{size}", "flores", "tur_Latn", "premium", 2.0 - size / 2000)
    page = _parsed(reports.render(sweep, "html"))
    assert len(page.images) == 1 and page.images[0].startswith("data:image/png;base64,")
    width, height = png_size(base64.b64decode(page.images[0].split(",", 1)[1]))
    assert 300 < width < 3000 and 200 < height < 2000


def test_premium_plot_is_strips_per_script_with_readable_labels(table, tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from tokkit import plots
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection

    fig = plots.premium_by_script_figure(table)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    [ax] = fig.axes
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels == ["Latn\n2", "Hans\n1"]  # scripts by their number of languages, the pivot left out
    renderer = canvas.get_renderer()
    texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title, ax.xaxis.label, ax.yaxis.label]
    assert all(t.get_fontsize() >= 9 for t in texts if t.get_text())
    boxes = [label.get_window_extent(renderer) for label in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))
    strips = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert {c.get_label(): len(c.get_offsets()) for c in strips[:2]} == {"bpe-300": 2, "bpe-420": 2}  # Latn: tur, deu
    assert sum(len(c.get_offsets()) for c in strips) == 2 * 3  # a dot per tokenizer and language, the pivot left out
    assert not any(len(line.get_xdata()) > 2 for line in ax.get_lines())  # no line joins one language to the next
    path = plots.write_png(plots.premium_by_script(table), tmp_path / "p.png")
    width, height = png_size(path.read_bytes())
    assert (width, height) == (800, 600)  # 8 x 6 inches at 100 dpi
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width)
    colours = {tuple(np.round(px[:3], 2)) for px in pixels.reshape(-1, pixels.shape[2])[::7]}
    from matplotlib import colormaps

    for k in range(2):  # each tokenizer's colour is drawn
        r, g, b, _ = colormaps["tab10"](k)
        assert any(abs(c[0] - r) < 0.03 and abs(c[1] - g) < 0.03 and abs(c[2] - b) < 0.03 for c in colours)


def test_markdown_marks_the_best_value(table):
    from tokkit import reports

    text = reports.to_markdown(table)
    assert "## four: premium per language" in text
    best = min(r.value for r in table.select(lang="tur_Latn", metric="premium"))
    assert f"**{best:.4g}**" in text


def test_render_table_shows_one_metric_per_language_or_per_corpus(toks, table):
    from rich.console import Console

    from tokkit import reports

    console = Console(record=True, width=200)
    console.print(reports.render_table(table, "premium", title="premiums"))
    text = console.export_text()
    assert "premiums" in text and "tur_Latn" in text and "median without eng_Latn" in text
    plain = evaluate(toks, TextCorpus(LINES["eng_Latn"], spec="eng"), metrics=["ctc"])
    console.print(reports.render_table(plain, "ctc"))
    best = min(r.value for r in plain.rows)
    assert f"{best}*" in console.export_text()
    with pytest.raises(tokkit.TokkitError, match="no premium"):
        reports.render_table(plain, "premium")
