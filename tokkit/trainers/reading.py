"""How training text reaches a trainer: streamed in bounded segments, or read by the
``tokenizers`` library itself.

**Segments.** A trainer never holds a text longer than :data:`MAX_SEGMENT` characters: the
corpus hands it over in pieces (:meth:`~tokkit.corpora.base.Corpus.pieces`, which reads
a long line without holding it), and :func:`segments` cuts it before a space that
follows a non-space character and precedes one. Every tokkit pre-tokenizer (the GPT-2
and cl100k regexes, with or without digit splitting) already splits there: no regex
alternative matches a non-space character followed by a space, and none looks behind,
so both halves pre-tokenize as they would inside the whole text. A run of more than
``MAX_SEGMENT`` characters without such a space is cut every ``MAX_SEGMENT`` characters.
Texts that long are dumps rather than prose; the cut bounds the memory that the
``tokenizers`` pre-tokenizer needs per text (tens of bytes per byte of text).

**Rust reads plain files.** When a corpus is plain UTF-8 files read strictly
(:meth:`~tokkit.corpora.base.Corpus.plain_files`) and no line needs cutting,
:func:`train_bpe` hands the paths to ``Tokenizer.train(files, trainer)``: Rust reads and
pre-tokenizes them on all cores, with no Python per line. Its reader keeps each line's
``\\n`` (and ``\\r\\n``), which tokkit's corpora drop, so the training pre-tokenizer first
removes that ending (``Split`` on ``\\r?\\n``, removed): both paths feed the trainer the
same pre-tokens and give byte-identical tokenizers. Meanwhile the main thread computes
the corpus fingerprint from the files' bytes
(:class:`~tokkit.corpora.readers.PlainFilesDigest`) and follows how far Rust has read
each file from ``/proc/self/fdinfo`` (Linux; elsewhere the display shows a spinner).
Invalid UTF-8 stops Rust's reader; tokkit's reader then finds the first bad byte, so the
error is the same one line as on the Python path.

**Pre-token cap.** The ``tokenizers`` BPE trainer rewrites a word's symbols with
``Vec::insert``/``remove`` on every merge, so a word of ``n`` symbols costs ``O(n)`` per
merge occurrence and ``O(n^2)`` in all: one long run of one letter (a megabyte of
``a``, one pre-token) stalls training. Training therefore cuts every pre-token into pieces of at
most :data:`~tokkit.trainers.bpe_family.MAX_PRETOKEN` symbols
(:func:`~tokkit.trainers.bpe_family.capped`); see there for the value.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Iterator

from tokenizers import Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import pre_tokenizers

from tokkit.corpora import Corpus
from tokkit.corpora.base import Fingerprint
from tokkit.corpora.readers import PlainFilesDigest, has_long_line, read_lines
from tokkit.errors import TokkitError
from tokkit.progress import BYTES, Progress, Task
from tokkit.trainers.bpe_family import capped

#: the longest text a trainer is handed whole, in characters
MAX_SEGMENT = 1 << 20
#: bytes read between two progress updates (one update per text costs more than training)
_PROGRESS_STEP = 1 << 20
#: seconds between two looks at how far Rust has read
_POLL = 0.25


def _cut_point(window: str, limit: int) -> int:
    """The last ``i <= limit`` with a space at ``window[i]`` between two non-space
    characters (``limit`` when there is none): ``window[:i]`` and ``window[i:]``
    pre-tokenize as the whole does."""
    i = window.rfind(" ", 1, min(limit, len(window) - 2) + 1)
    while i > 0 and (window[i - 1].isspace() or window[i + 1].isspace()):
        i = window.rfind(" ", 1, i)
    return i if i > 0 else limit


def segments(pieces: Iterator[tuple[str, bool]], limit: int) -> Iterator[str]:
    """The texts of ``(piece, ends)`` pairs, each longer than ``limit`` characters cut into
    segments of at most ``limit`` (see the module docstring)."""
    window = ""
    for piece, ends in pieces:
        window = window + piece if window else piece
        while len(window) > limit:
            cut = _cut_point(window, limit)
            yield window[:cut]
            window = window[cut:]
        if ends:
            yield window
            window = ""


def stream_texts(
    corpus: Corpus, progress: Progress | None, label: str = "reading corpus", fingerprint: Fingerprint | None = None,
    then: Task | None = None,
) -> Iterator[str]:
    """The corpus's texts as :func:`segments`, counting bytes on the progress display (of
    the corpus's size where it is known, so the line has a rate and an ETA); empty corpora
    are refused.

    ``fingerprint`` is fed every text, so ``corpus.describe(fingerprint.hexdigest())``
    needs no second pass over the corpus. ``then``: a line made with ``start=False`` for
    the work that follows the reading (a trainer's merges), started when the reading ends.
    """
    seen = []  # a non-empty text

    def pieces() -> Iterator[tuple[str, bool]]:
        for piece, ends in _counted(corpus.pieces(MAX_SEGMENT), corpus, progress, label):
            if fingerprint is not None:
                fingerprint.add(piece, ends)
            if piece and not seen:
                seen.append(True)
            yield piece, ends

    yield from segments(pieces(), MAX_SEGMENT)
    if then is not None:
        then.start()
    if not seen:
        raise TokkitError(f"corpus {corpus.spec} is empty: nothing to train on")


def count_texts(corpus: Corpus, progress: Progress | None, label: str) -> int:
    """How many texts the corpus holds (one streamed pass, no text held whole)."""
    return sum(ends for _, ends in _counted(corpus.pieces(MAX_SEGMENT), corpus, progress, label))


def _counted(pieces, corpus: Corpus, progress: Progress | None, label: str):
    """``pieces``, their bytes counted on a progress line."""
    task = progress.add(label, total=corpus.size_hint(), unit=BYTES) if progress else None
    pending = 0
    for piece, ends in pieces:
        if task is not None:
            pending += len(piece.encode("utf-8", "surrogatepass")) + ends
            if pending >= _PROGRESS_STEP:
                task.advance(pending)
                pending = 0
        yield piece, ends
    if task is not None:
        task.advance(pending)
        task.done()


def train_bpe(
    tokenizer: RustTokenizer, trainer, corpus: Corpus, progress: Progress | None, stage: str = "",
    chunks: Callable[[Iterator[str]], Iterator[str]] | None = None,
) -> str:
    """Train ``tokenizer`` (a ``tokenizers.Tokenizer`` with its inference pre-tokenizer)
    with ``trainer`` on ``corpus``; the corpus fingerprint.

    Rust reads the corpus's files when it can (see the module docstring), else Python
    streams its segments, through ``chunks`` when the trainer cuts them further (it then
    always streams). Either way the trainer sees capped pre-tokens, and ``tokenizer``'s
    own pre-tokenizer is back in place when this returns. ``stage`` prefixes the
    progress lines ("stage 1: ").
    """
    saved = tokenizer.pre_tokenizer
    files = corpus.plain_files() if chunks is None else None
    merges = trainer.vocab_size - len(trainer.special_tokens) - len(trainer.initial_alphabet)
    merging = progress.add(f"{stage}learning merges (up to {merges:,})", start=False) if progress else None
    try:
        if files is not None and not has_long_line(files, MAX_SEGMENT):
            tokenizer.pre_tokenizer = capped(pre_tokenizers.Sequence([_LINE_END, saved]))
            fingerprint = _train_on_files(tokenizer, trainer, corpus, files, _ReadWatch(files, progress, stage, merging))
        else:
            tokenizer.pre_tokenizer = capped(saved)
            digest = Fingerprint()
            texts = stream_texts(corpus, progress, f"{stage}reading corpus", digest, then=merging)
            tokenizer.train_from_iterator(chunks(texts) if chunks else texts, trainer=trainer)
            fingerprint = digest.hexdigest()
    finally:
        try:
            tokenizer.pre_tokenizer = saved
        except RuntimeError:  # an interrupt left Rust training on its thread, which holds the tokenizer
            pass
    if merging is not None:
        merging.done()
    return fingerprint


#: the line ending that Rust's file reader keeps and tokkit's corpora drop
_LINE_END = pre_tokenizers.Split(Regex(r"\r?\n"), behavior="removed")


def _train_on_files(tokenizer, trainer, corpus: Corpus, files: list[Path], watch: "_ReadWatch") -> str:
    """Rust reads ``files``; the main thread hashes them and follows Rust's reading."""
    outcome: dict = {}

    def train() -> None:
        try:
            tokenizer.train([str(path) for path in files], trainer=trainer)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    digest = PlainFilesDigest(files)
    watch.hashing = digest
    worker = threading.Thread(target=train, name="tokkit-bpe-train", daemon=True)
    worker.start()
    for _ in digest.blocks():
        watch.look()
    while worker.is_alive():
        watch.look()
        worker.join(_POLL)
    watch.finish()
    if "error" in outcome:
        _raise_read_error(outcome["error"], files)
    if not digest.has_text:
        raise TokkitError(f"corpus {corpus.spec} is empty: nothing to train on")
    return digest.fingerprint.hexdigest()


def _raise_read_error(error: BaseException, files: list[Path]) -> None:
    """Rust's training failed: where the files are at fault (a bad byte, a file gone),
    tokkit's reader finds it and says so in its one line; else the error is a bug."""
    for path in files:
        for _ in read_lines(path, str(path)):
            pass
    raise error


class _ReadWatch:
    """The progress of Rust reading ``files``, from the read offsets the kernel shows in
    ``/proc/self/fdinfo`` (where there is none, the line has no total); when the reading
    ends it starts ``merging``, the line of the merges, which Rust does not report."""

    def __init__(self, files: list[Path], progress: Progress | None, stage: str, merging: Task | None):
        self.paths = [os.path.realpath(path) for path in files]
        self.sizes = [os.path.getsize(path) for path in files]
        self.total = sum(self.sizes)
        self.merging = merging
        self.hashing: PlainFilesDigest | None = None  # its own reads are not Rust's
        self.proc = Path("/proc/self/fd").is_dir()
        self.reading = progress.add(f"{stage}reading corpus", total=self.total if self.proc else None, unit=BYTES) if progress else None
        self.current = 0  # the file Rust reads now
        self.shown = 0  # bytes shown as read

    def look(self) -> None:
        if self.reading is None or not self.proc or self.shown >= self.total:
            return
        position = self._position()
        if position is None:  # no file open: not begun, between two files, or all read
            if self.shown == 0 or self.current < len(self.paths) - 1:
                return
            position = self.total
        self._show(position)

    def finish(self) -> None:
        """Rust is done: it has read every file."""
        if self.reading is not None:
            self._show(self.total if self.proc else self.shown)
            self.reading.done()
            self.merging.start()

    def _show(self, position: int) -> None:
        if position > self.shown:
            self.reading.advance(position - self.shown)
            self.shown = position
        if self.shown >= self.total:
            self.reading.done()
            self.merging.start()

    def _position(self) -> int | None:
        """Bytes Rust has read: the files before the one it reads, and its offset there."""
        own = self.hashing.reading if self.hashing is not None else None
        for fd in os.listdir("/proc/self/fd"):
            if int(fd) == own:
                continue
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target not in self.paths[self.current :]:
                continue
            index = self.paths.index(target, self.current)
            try:
                with open(f"/proc/self/fdinfo/{fd}") as info:
                    offset = int(next(line for line in info if line.startswith("pos:")).split()[1])
            except (OSError, StopIteration, ValueError):
                continue
            self.current = index
            return sum(self.sizes[:index]) + min(offset, self.sizes[index])
        return None
