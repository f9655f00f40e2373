"""The playground: a local web page that shows, as you type, how every loaded tokenizer
cuts the text, and opens saved reports.

The page (``playground.html`` beside this module) is self-contained: its script and
style are inline and it loads nothing from elsewhere (its Content-Security-Policy lets it
reach only this server). It calls a small JSON API:

- ``GET /api/tokenizers``: the loaded tokenizers (name, spec, format, vocabulary size);
- ``POST /api/tokenizers`` ``{"spec": "NAME=SPEC"}``: load one more (what
  :func:`tokkit.loading.load_named` reads);
- ``DELETE /api/tokenizers/NAME``: unload one;
- ``POST /api/tokenize`` ``{"text": "..."}``: every tokenizer's
  :func:`~tokkit.segments.tokenization` of the text (ids, segments, counts);
- ``GET /api/reports``: the results files (``tokkit eval --json``, sweeps) and HTML
  reports under the ``reports`` folder; ``GET /reports/PATH`` shows one, a results file
  rendered as the HTML report ``tokkit report --format html`` writes.

Errors are ``{"error": "one line"}`` with a 4xx status. The server is for one person on
their own machine: it binds to 127.0.0.1 by default; while it does, it answers only
requests addressed to that host (a page elsewhere cannot reach it through a DNS name that
points at 127.0.0.1), and a ``POST`` must be ``application/json`` (which a page of
another origin cannot send without this server's consent), so other pages cannot drive
it. Reports are served with a policy that forbids them any network access.

**Why bottle.** A one-file WSGI framework with no dependencies of its own: it gives the
routing, JSON bodies and path-safe file serving that ``http.server`` would need written
by hand, and as WSGI it runs on the standard library's ``wsgiref`` server in a thread
(one thread per request), which a test starts on a free port and stops cleanly. An
asynchronous stack (starlette and uvicorn, aiohttp) would bring several packages and an
event loop that tokenizers, synchronous and CPU-bound, have no use for.
"""

from __future__ import annotations

import errno
import json
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tokkit.errors import TokkitError, require
from tokkit.tokenizer import Tokenizer

#: the largest request body the API reads (a pasted text)
MAX_BODY = 4_000_000
#: report files are found this many folders deep under ``reports``, at most this many
REPORT_DEPTH, MAX_REPORTS = 3, 500
#: hosts that mean this machine alone
LOOPBACK = ("127.0.0.1", "localhost", "::1")

#: the page may reach this server and nothing else
PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:"
#: a report may reach nothing at all
REPORT_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:"


@dataclass
class Loaded:
    """A tokenizer the playground shows, and the spec it was loaded from."""

    name: str
    spec: str
    tokenizer: Tokenizer

    def to_json(self) -> dict:
        return {"name": self.name, "spec": self.spec, "format": self.tokenizer.format, "vocab_size": self.tokenizer.vocab_size}


class Playground:
    """What the page shows: the loaded tokenizers, in order, and the reports folder."""

    def __init__(self, reports: str | Path | None = None):
        self.reports = Path(reports).expanduser() if reports is not None else None
        if self.reports is not None and not self.reports.is_dir():
            raise TokkitError(f"--reports {reports}: no such folder")
        self._loaded: dict[str, Loaded] = {}
        self._lock = threading.Lock()

    # -- tokenizers --------------------------------------------------------------------
    def add(self, arg: str) -> Loaded:
        """Load ``NAME=SPEC`` (or a plain spec) and show it; a taken name is refused."""
        from tokkit.loading import load_named, split_name

        arg = arg.strip()
        if not arg:
            raise TokkitError("give a tokenizer: a folder, tokenizer.json, .model, .tiktoken, .gguf or hf:NAME, as NAME=SPEC to name it")
        tokenizer = load_named(arg)
        with self._lock:
            if tokenizer.name in self._loaded:
                raise TokkitError(f"a tokenizer named {tokenizer.name} is loaded already: name this one, NAME={split_name(arg)[1]}")
            loaded = self._loaded[tokenizer.name] = Loaded(tokenizer.name, split_name(arg)[1], tokenizer)
        return loaded

    def remove(self, name: str) -> None:
        with self._lock:
            if self._loaded.pop(name, None) is None:
                raise KeyError(name)

    def loaded(self) -> list[Loaded]:
        with self._lock:
            return list(self._loaded.values())

    def tokenize(self, text: str) -> dict:
        """Every loaded tokenizer's tokenization of ``text``."""
        from tokkit.segments import tokenization

        shown = [{**entry.to_json(), **tokenization(entry.tokenizer, text, entry.name).to_json()} for entry in self.loaded()]
        return {"bytes": len(text.encode("utf-8", "surrogatepass")), "chars": len(text), "tokenizers": shown}

    # -- reports -----------------------------------------------------------------------
    def report_files(self) -> list[dict]:
        """The results files and HTML reports under the reports folder, newest first."""
        if self.reports is None:
            return []
        found = []
        for path in sorted(self.reports.rglob("*")):
            relative = path.relative_to(self.reports)
            if not _listable(relative):
                continue
            kind = _report_kind(path)
            if kind is not None:
                stat = path.stat()
                found.append({"path": relative.as_posix(), "kind": kind, "bytes": stat.st_size, "modified": stat.st_mtime})
            if len(found) == MAX_REPORTS:
                break
        return sorted(found, key=lambda r: -r["modified"])

    def report_path(self, relative: str) -> Path:
        """The report file at ``relative`` under the folder; ``KeyError`` for anything else."""
        if self.reports is None:
            raise KeyError(relative)
        root = self.reports.resolve()
        path = (root / relative).resolve()
        if root not in path.parents or not _listable(path.relative_to(root)) or _report_kind(path) is None:
            raise KeyError(relative)
        return path


def _listable(relative: Path) -> bool:
    """Whether a path under the reports folder is one the page may list: not hidden, not too deep."""
    return len(relative.parts) <= REPORT_DEPTH and not any(part.startswith(".") for part in relative.parts)


def _report_kind(path: Path) -> str | None:
    """``html`` for an HTML file, ``results`` for a tokkit results file, else ``None``."""
    if not path.is_file():
        return None
    if path.suffix.lower() in (".html", ".htm"):
        return "html"
    if path.suffix.lower() == ".json":
        from tokkit.results import ResultTable

        try:
            ResultTable.read_json(path)
        except TokkitError:
            return None
        return "results"
    return None


# -- the web application -----------------------------------------------------------------
def app(playground: Playground, allowed_hosts: tuple[str, ...] | None = None):
    """The WSGI application (a ``bottle.Bottle``) serving ``playground``.

    ``allowed_hosts``: the ``Host`` header values it answers (``None``: any).
    """
    bottle = require("bottle", "serve")
    web = bottle.Bottle()
    request, response = bottle.request, bottle.response

    def fail(status: int, message: str):
        return bottle.HTTPResponse(json.dumps({"error": message}), status, {"Content-Type": "application/json"})

    def body() -> dict:
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise fail(415, "send the request as application/json")
        if request.content_length > MAX_BODY:
            raise fail(413, f"the request is larger than {MAX_BODY:,} bytes")
        try:
            payload = json.loads(request.body.read(MAX_BODY + 1) or b"{}")
        except ValueError as exc:
            raise fail(400, f"the request is not valid JSON ({exc})") from None
        if not isinstance(payload, dict):
            raise fail(400, "the request must be a JSON object")
        return payload

    @web.hook("before_request")
    def check_host():
        if allowed_hosts is not None and request.get_header("Host", "") not in allowed_hosts:
            raise fail(403, "this playground answers only requests addressed to it by its own address")

    @web.get("/")
    def page():
        response.set_header("Content-Security-Policy", PAGE_POLICY)
        response.content_type = "text/html; charset=utf-8"
        return resources.files("tokkit").joinpath("playground.html").read_text(encoding="utf-8")

    @web.get("/api/tokenizers")
    def tokenizers():
        return {"tokenizers": [entry.to_json() for entry in playground.loaded()], "reports": playground.reports is not None}

    @web.post("/api/tokenizers")
    def add():
        spec = body().get("spec")
        if not isinstance(spec, str):
            raise fail(400, "give the tokenizer as {\"spec\": \"NAME=SPEC\"}")
        try:
            return {"added": playground.add(spec).to_json()}
        except TokkitError as exc:
            raise fail(400, str(exc)) from None

    @web.delete("/api/tokenizers/<name>")
    def remove(name: str):
        try:
            playground.remove(name)
        except KeyError:
            raise fail(404, f"no tokenizer named {name} is loaded") from None
        return {"removed": name}

    @web.post("/api/tokenize")
    def tokenize():
        text = body().get("text")
        if not isinstance(text, str):
            raise fail(400, "give the text as {\"text\": \"...\"}")
        return playground.tokenize(text)

    @web.get("/api/reports")
    def reports():
        return {"folder": str(playground.reports) if playground.reports else None, "reports": playground.report_files()}

    @web.get("/reports/<relative:path>")
    def report(relative: str):
        try:
            path = playground.report_path(relative)
        except KeyError:
            raise fail(404, f"no report {relative} in the reports folder") from None
        response.set_header("Content-Security-Policy", REPORT_POLICY)
        if _report_kind(path) == "html":
            return bottle.static_file(path.name, root=str(path.parent), mimetype="text/html", charset="utf-8")
        from tokkit import reports as rendering
        from tokkit.results import ResultTable

        response.content_type = "text/html; charset=utf-8"
        return rendering.render(ResultTable.read_json(path), "html")

    return web


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request (a browser holds idle connections open,
    which would block a server that answers one at a time)."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No log line per request (the terminal shows the address and nothing else)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server:
    """The playground served on ``host``:``port`` (``0``: a free port); ``url`` says where."""

    def __init__(self, playground: Playground, host: str = "127.0.0.1", port: int = 8000):
        from tokkit.checks import check_number

        check_number("port", port, at_least=0, at_most=65535, whole=True)
        web = app(playground)
        try:
            self._server = make_server(host, port, web, server_class=_ThreadingServer, handler_class=_QuietHandler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise TokkitError(f"port {port} on {host} is in use: choose another with --port (0 picks a free one)") from None
            raise TokkitError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
        self.host, self.port = host, self._server.server_address[1]
        if host in LOOPBACK:  # the port is known now: answer only this machine's names for it
            self._server.set_app(app(playground, tuple(f"{name}:{self.port}" for name in ("127.0.0.1", "localhost", "[::1]"))))
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}/"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def shutdown(self) -> None:
        """Stop serving (from another thread) and close the socket."""
        self._server.shutdown()
        self._server.server_close()
