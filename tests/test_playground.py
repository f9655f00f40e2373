"""The playground: its JSON API, its page in a real headless browser, and the serve command."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from conftest import cli, one_error_line
from test_cli_tokenize import folders  # noqa: F401  (a fixture: two saved tokenizers)

import tokkit
from tokkit.corpora import ParallelCorpus
from tokkit.segments import segments, visible
from tokkit.playground import Playground, Server

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)").expect

pytest.importorskip("bottle", reason="bottle is not installed (the serve extra)")

TEXT = "Tokenizers split text: İstanbul'da 2024'te 東京 🎉"


@pytest.fixture(scope="module")
def reports(folders):
    """A reports folder: a results file (and one in a hidden folder), an HTML report, a JSON file that is no results file."""
    reports = folders / "reports"
    (reports / "sweep").mkdir(parents=True)
    (reports / ".hidden").mkdir()
    lines = {"eng_Latn": ["The quick brown fox.", "We walked."], "tur_Latn": ["Hızlı kahverengi tilki.", "Yürüdük."]}
    table = tokkit.evaluate(tokkit.load(folders / "bpe"), ParallelCorpus.from_lines(lines, spec="tiny"))
    table.write_json(reports / "sweep" / "results.json")
    table.write_json(reports / ".hidden" / "results.json")
    (reports / "report.html").write_text("<!DOCTYPE html><title>saved</title><h1>a saved report</h1>", encoding="utf-8")
    (reports / "other.json").write_text('{"not": "results"}', encoding="utf-8")
    return reports


@pytest.fixture
def server(folders, reports):
    playground = Playground(reports)
    playground.add(str(folders / "bpe"))
    serving = Server(playground, "127.0.0.1", 0)
    thread = threading.Thread(target=serving.serve_forever, daemon=True)
    thread.start()
    yield serving
    serving.shutdown()
    thread.join(timeout=10)


def call(server, method: str, path: str, payload=None, headers=None):
    """(status, parsed JSON or text) of one request."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(server.url.rstrip("/") + path, data=data, method=method,
                                     headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            status, body, kind = reply.status, reply.read().decode(), reply.headers.get_content_type()
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read().decode(), error.headers.get_content_type()
    return status, json.loads(body) if kind == "application/json" else body


# -- the JSON API ----------------------------------------------------------------------------
def test_tokenize_gives_what_the_library_gives(server, folders):
    status, data = call(server, "POST", "/api/tokenize", {"text": TEXT})
    assert status == 200
    assert (data["bytes"], data["chars"]) == (len(TEXT.encode()), len(TEXT))
    (shown,) = data["tokenizers"]
    tok = tokkit.load(folders / "bpe")
    assert shown["name"] == "bpe" and shown["ids"] == tok.encode(TEXT) and shown["tokens"] == len(tok.encode(TEXT))
    assert [s["id"] for s in shown["segments"]] == shown["ids"] and shown["roundtrip"]


def test_add_and_remove_tokenizers_by_spec(server, folders):
    status, data = call(server, "POST", "/api/tokenizers", {"spec": f"uni={folders / 'uni'}"})
    assert status == 200 and data["added"]["name"] == "uni" and data["added"]["vocab_size"] == 420
    _, listed = call(server, "GET", "/api/tokenizers")
    assert [t["name"] for t in listed["tokenizers"]] == ["bpe", "uni"]
    status, data = call(server, "POST", "/api/tokenizers", {"spec": str(folders / "bpe")})
    assert status == 400 and "loaded already" in data["error"] and "NAME=" in data["error"]
    status, data = call(server, "POST", "/api/tokenizers", {"spec": str(folders / "nothing")})
    assert status == 400 and data["error"].startswith("no tokenizer at") and "\n" not in data["error"]
    assert call(server, "DELETE", "/api/tokenizers/uni")[0] == 200
    assert call(server, "DELETE", "/api/tokenizers/uni")[0] == 404
    _, listed = call(server, "GET", "/api/tokenizers")
    assert [t["name"] for t in listed["tokenizers"]] == ["bpe"]


def test_requests_other_pages_could_forge_are_refused(server):
    status, data = call(server, "POST", "/api/tokenize", b"{}", headers={"Content-Type": "text/plain"})
    assert status == 415 and "application/json" in data["error"]
    status, data = call(server, "GET", "/api/tokenizers", headers={"Host": f"attacker.example:{server.port}"})
    assert status == 403
    connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
    connection.putrequest("POST", "/api/tokenize")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", "5000000")  # refused before a byte of it is read
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    status, data = call(server, "POST", "/api/tokenize", {"words": "x"})
    assert status == 400 and "text" in data["error"]


def test_reports_are_listed_and_opened(server):
    status, data = call(server, "GET", "/api/reports")
    assert status == 200
    assert sorted((r["path"], r["kind"]) for r in data["reports"]) == [("report.html", "html"), ("sweep/results.json", "results")]
    status, page = call(server, "GET", "/reports/sweep/results.json")
    assert status == 200 and "<title>tokkit evaluation</title>" in page and "tur_Latn" in page  # as tokkit report --format html
    status, page = call(server, "GET", "/reports/report.html")
    assert status == 200 and "a saved report" in page
    for path in ("/reports/other.json", "/reports/.hidden/results.json", "/reports/%2e%2e/bpe/tokenizer.json"):
        assert call(server, "GET", path)[0] == 404, path


def test_the_page_is_self_contained(server):
    with urllib.request.urlopen(server.url, timeout=60) as reply:
        policy = reply.headers["Content-Security-Policy"]
        page = reply.read().decode()
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no CDN, no remote anything


# -- in a browser ----------------------------------------------------------------------------
def test_typing_shows_every_tokenizers_pieces(browser, server, folders):
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server.url)
    page.fill("#spec", f"uni={folders / 'uni'}")
    page.click("#add button")
    page.wait_for_selector('section.tok[data-name="uni"]')
    text = "Kırmızı şapkalı kız  İstanbul'a gitti.\nThe quick brown fox 東京"
    page.fill("#text", text)
    for name in ("bpe", "uni"):
        tok = tokkit.load(folders / name)
        ids = tok.encode(text)
        section = f'section.tok[data-name="{name}"]'
        expect(page.locator(f"{section} .count")).to_have_text(f"{len(ids):,}", timeout=30_000)
        shown = page.eval_on_selector_all(f"{section} .piece", "pieces => pieces.map(p => Number(p.dataset.id))")
        assert shown == ids
        pieces = page.eval_on_selector_all(f"{section} .piece", "pieces => pieces.map(p => p.textContent)")
        assert pieces == [visible(s.text) for s in segments(tok, text)]  # what each token covers, spaces visible
        assert float(page.text_content(f"{section} .bpt")) == pytest.approx(len(text.encode()) / len(ids), abs=0.0051)
    assert page.locator("#reports a.report").count() == 2
    assert all(url.startswith(server.url) for url in requests)  # nothing fetched from elsewhere
    page.close()


def test_a_bad_spec_in_the_page_says_why(browser, server, folders):
    page = browser.new_page()
    page.goto(server.url)
    page.fill("#spec", str(folders / "nothing"))
    page.click("#add button")
    expect(page.locator("#add-error")).to_contain_text("no tokenizer at", timeout=30_000)
    page.close()


# -- the command -----------------------------------------------------------------------------
def test_serve_command_serves_until_stopped(folders):
    env = {**os.environ, "COLUMNS": "300"}
    process = subprocess.Popen([sys.executable, "-m", "tokkit", "serve", f"mine={folders / 'bpe'}", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first).group(0)
        assert "with mine" in first
        with urllib.request.urlopen(url + "api/tokenizers", timeout=60) as reply:
            assert [t["name"] for t in json.loads(reply.read())["tokenizers"]] == ["mine"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_port_in_use_is_one_line(capsys, server, folders):
    code, _, err = cli(capsys, "serve", folders / "bpe", "--port", server.port)
    assert code == 1 and f"port {server.port} on 127.0.0.1 is in use" in one_error_line(err)


def test_without_bottle_one_line_says_what_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "bottle", None)
    code, _, err = cli(capsys, "serve")
    assert code == 1 and "pip install 'tokkit[serve]'" in one_error_line(err)


def test_a_missing_reports_folder_is_one_line(capsys, tmp_path):
    code, _, err = cli(capsys, "serve", "--reports", tmp_path / "none", "--port", "0")
    assert code == 1 and "no such folder" in one_error_line(err)
