"""The one result table every evaluation produces, and its file formats.

An evaluation result is a list of tidy ("long") rows ``{tokenizer, corpus, lang, metric,
value}`` plus a header (tokkit version, tokenizer and corpus specs, corpus fingerprints,
the pivot language, the languages Petrov's rule left out). The terminal table, JSON,
CSV, Markdown, HTML and PNG plots are all renderings of this one table, so a saved run
(``{"header": {...}, "results": [rows]}``) can be re-rendered in any format without
recomputing anything.

``lang`` is a language code for a row about one language of a multilingual corpus, and
``"all"`` for a row about a whole corpus (all its languages together, or a corpus
without languages).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from tokkit.errors import TokkitError
from tokkit.json_shape import Shape

#: the ``lang`` of a row about a whole corpus
ALL = "all"

COLUMNS = ("tokenizer", "corpus", "lang", "metric", "value")

#: the header fields the renderings read; each may be absent (a sweep's header has
#: other fields, a hand-made file may have none), but one that is there has its type
HEADER = {
    "tokkit_version?": str,
    "created?": str,
    "tokenizers?": list[{"name?": str, "format?": str, "vocab_size?": int}],
    "corpora?": list[{"spec?": str, "sha256?": str, "langs?": list[str], "lines?": int}],
    "pivot?": str,
    "alpha?": float,
    "dropped?": list[{"tokenizer": str, "corpus": str, "lang": str, "unknown_share": float, "reason": str}],
}
#: a saved result table (the rows are checked one by one, to name a bad row)
RESULTS_FILE = Shape({"header?": HEADER, "results": list})


@dataclass(frozen=True)
class Row:
    """One measured value."""

    tokenizer: str
    corpus: str
    lang: str
    metric: str
    value: float


@dataclass
class ResultTable:
    """Tidy rows plus a header; see the module docstring."""

    header: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    # -- access ------------------------------------------------------------------------
    def add(self, tokenizer: str, corpus: str, lang: str, metric: str, value: float) -> None:
        self.rows.append(Row(tokenizer, corpus, lang, metric, value))

    def extend(self, other: "ResultTable") -> None:
        self.rows.extend(other.rows)

    def to_rows(self) -> list[Row]:
        return list(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.rows]

    def to_pandas(self):
        """A pandas DataFrame with the five columns (needs pandas)."""
        from tokkit.errors import require

        pandas = require("pandas", "pandas")
        return pandas.DataFrame(self.to_dicts(), columns=list(COLUMNS))

    def _distinct(self, attr: str, rows: Iterable[Row] | None = None) -> list[str]:
        return list(dict.fromkeys(getattr(row, attr) for row in (self.rows if rows is None else rows)))

    def tokenizers(self) -> list[str]:
        return self._distinct("tokenizer")

    def corpora(self) -> list[str]:
        return self._distinct("corpus")

    def metrics(self) -> list[str]:
        return self._distinct("metric")

    def langs(self, corpus: str | None = None) -> list[str]:
        return self._distinct("lang", (r for r in self.rows if corpus is None or r.corpus == corpus))

    def select(self, *, tokenizer: str | None = None, corpus: str | None = None, lang: str | None = None,
               metric: str | None = None) -> list[Row]:
        """The rows matching every given field."""
        wanted = {"tokenizer": tokenizer, "corpus": corpus, "lang": lang, "metric": metric}
        return [r for r in self.rows if all(v is None or getattr(r, k) == v for k, v in wanted.items())]

    def grid(self, corpus: str, metric: str) -> dict[str, dict[str, float]]:
        """``{lang: {tokenizer: value}}`` for one corpus and metric."""
        out: dict[str, dict[str, float]] = {}
        for row in self.select(corpus=corpus, metric=metric):
            out.setdefault(row.lang, {})[row.tokenizer] = row.value
        return out

    # -- JSON --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"header": self.header, "results": self.to_dicts()}

    def write_json(self, path: str | Path, force: bool = False) -> Path:
        from tokkit.atomic import atomic_file

        with atomic_file(path, force=force) as handle:
            json.dump(self.to_json(), handle, indent=1, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
        return Path(path)

    @classmethod
    def from_json(cls, payload: Any, source: str = "results") -> "ResultTable":
        """Rebuild a table from its JSON form; anything malformed is one TokkitError line.

        A header field of the wrong type is refused like a bad row rather than left out
        of the rendering: the header says what the numbers mean (the pivot a premium is
        relative to, the pairs Petrov's rule left out), so a report that silently
        dropped it would show the numbers without saying what they are."""
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise TokkitError(f"{source} is not a tokkit results file: expected {{\"header\": ..., \"results\": [...]}}")
        RESULTS_FILE.check(payload, source)
        rows = []
        for i, item in enumerate(payload["results"]):
            try:
                value = item["value"]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError("value is not a number")
                rows.append(Row(*(str(item[c]) for c in COLUMNS[:4]), value))
            except (KeyError, TypeError) as exc:
                raise TokkitError(f"{source}: result {i} is malformed ({exc}); expected the fields {', '.join(COLUMNS)}") from exc
        return cls(header=payload.get("header", {}), rows=rows)

    @classmethod
    def read_json(cls, path: str | Path) -> "ResultTable":
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TokkitError(f"no results file at {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TokkitError(f"cannot read results file {path}: {exc}") from None
        except ValueError as exc:
            raise TokkitError(f"{path} is not valid JSON: {exc}") from None
        return cls.from_json(payload, source=str(path))

    # -- CSV ---------------------------------------------------------------------------
    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow([row.tokenizer, row.corpus, row.lang, row.metric, format_value(row.value, exact=True)])
        return buffer.getvalue()


def format_value(value: float, exact: bool = False) -> str:
    """A value for a table cell: integers as integers with thousands separators
    (``79,404``), others with 4 significant digits, or whole with separators from 10,000
    on; ``exact`` keeps every digit and no separator, for CSV."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15)
    if exact:
        return str(int(value)) if whole else repr(value)
    if whole:
        return f"{int(value):,}"
    if not math.isfinite(value):
        return repr(value)
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.3g}"
