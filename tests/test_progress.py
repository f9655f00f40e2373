"""Progress lines: they move, show rates, an ETA where the total is known, and start when their work does."""

from __future__ import annotations

import time

import pytest
from conftest import mixed_texts
from rich.progress import Progress as RichProgress

import tokkit
from tokkit.corpora import open_corpus
from tokkit.progress import AmountColumn, Progress, RateColumn, TimeColumn


class Recorder(Progress):
    """A Progress that also keeps, per line, what happened to it, in order."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[str, str]] = []
        self.lines = {}

    def add(self, description, total=None, unit="items", start=True):
        task = super().add(description, total, unit, start)
        self.lines[description] = task
        self.events.append(("add" if start else "add hidden", description))
        for name in ("start", "advance", "done"):
            method = getattr(task, name)
            setattr(task, name, self._logged(name, description, method))
        return task

    def _logged(self, name, description, method):
        def call(*args, **kwargs):
            self.events.append((name, description))
            return method(*args, **kwargs)
        return call

    def state(self, description):
        return next(t for t in self._rich.tasks if t.id == self.lines[description]._id)


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(mixed_texts(5000)) + "\n", encoding="utf-8")  # several MB: several updates
    return path


def test_reading_a_file_counts_its_bytes_of_its_size_then_the_merges_start(corpus_file):
    progress = Recorder()
    with progress.live():  # errors="replace": tokkit's reader, which counts every MB (Rust's is polled)
        tokkit.train("bpe", open_corpus(str(corpus_file), errors="replace"), 400, progress=progress)
    reading = progress.state("reading corpus")
    size = corpus_file.stat().st_size
    assert reading.total == size and reading.completed == size  # every byte, line endings included
    assert progress.events.count(("advance", "reading corpus")) > 2  # it moved while reading
    merges = "learning merges (up to 142)"
    # the merges line was made before the corpus was read, and shown (below it) when the reading ended
    assert progress.events.index(("add hidden", merges)) < progress.events.index(("done", "reading corpus"))
    assert progress.events.index(("start", merges)) > progress.events.index(("done", "reading corpus"))
    assert progress.state(merges).finished
    assert [t.description for t in progress._rich.tasks] == ["reading corpus", merges]


def test_size_hints(tmp_path):
    import gzip

    from tokkit.corpora import TextCorpus
    from tokkit.corpora.select import Selection

    plain, other = tmp_path / "a.txt", tmp_path / "b.txt"
    plain.write_text("one\ntwo\n", encoding="utf-8")
    other.write_text("three\n", encoding="utf-8")
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"four\n"))
    (tmp_path / "d.jsonl").write_text('{"text": "five"}\n', encoding="utf-8")
    assert open_corpus(str(plain)).size_hint() == 8
    assert open_corpus([str(plain), str(other)]).size_hint() == 14
    assert open_corpus(str(tmp_path / "c.txt.gz")).size_hint() is None  # its texts are not its size
    assert open_corpus(str(tmp_path / "d.jsonl")).size_hint() is None
    assert open_corpus(str(tmp_path)).size_hint() is None  # a folder with one of those
    assert Selection(open_corpus(str(plain)), budget=5).size_hint() == 5
    assert Selection(open_corpus(str(plain)), budget=500).size_hint() == 8
    assert Selection(open_corpus(str(plain)), sample=0.5).size_hint() is None
    assert TextCorpus(["x"]).size_hint() is None


def _render(column, task) -> str:
    return column.render(task).plain


def test_columns_show_amounts_rates_and_time_left():
    rich = RichProgress()
    sized = rich.add_task("reading", total=50_000_000, unit="bytes")
    counted = rich.add_task("scoring", total=40, unit="lines")
    open_ended = rich.add_task("merges", total=None, unit="merges")
    for _ in range(3):
        rich.advance(sized, 5_000_000)
        rich.advance(counted, 4)
        time.sleep(0.05)
    tasks = {t.description: t for t in rich.tasks}
    assert _render(AmountColumn(), tasks["reading"]) == "15.0/50.0 MB"
    assert _render(AmountColumn(), tasks["scoring"]) == "12/40 lines"
    assert _render(AmountColumn(), tasks["merges"]) == ""  # no "0/?"
    assert _render(RateColumn(), tasks["reading"]).endswith("MB/s")
    assert _render(RateColumn(), tasks["scoring"]).endswith("lines/s")
    assert _render(TimeColumn(), tasks["reading"]).startswith("eta ")
    assert _render(TimeColumn(), tasks["merges"]).startswith("0:00:")  # the time spent


def test_scoring_a_few_short_lines_moves_its_line():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokkit.transplant import scoring

    tok = tokkit.train("bpe", mixed_texts(), 300)[300]
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=tok.vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=128)
    model = transformers.LlamaForCausalLM(config).eval()
    lines = [f"line {i} of a short text" for i in range(40)]  # one forward pass would hold them all
    progress = Recorder()
    with progress.live():
        batched = scoring.score(model, tok, lines, progress=progress)
    assert progress.events.count(("advance", "scoring")) >= scoring.MIN_STEPS
    assert progress.state("scoring").completed == 40
    one_by_one = [scoring.score(model, tok, [line]) for line in lines]
    assert batched.bits_per_byte == pytest.approx(sum(s.bits_per_byte * s.bytes for s in one_by_one) / batched.bytes, rel=1e-5)
