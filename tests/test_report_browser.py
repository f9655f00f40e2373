"""The HTML report in a real headless browser (Chromium through Playwright)."""

from __future__ import annotations

import tokkit
from tokkit import reports
from tokkit.corpora import ParallelCorpus

LINES = {
    "eng_Latn": ["The quick brown fox jumps over the lazy dog.", "We walked to the park today."],
    "tur_Latn": ["Hızlı kahverengi tilki tembel köpeğin üstünden atlar.", "Bugün parka yürüdük."],
}


def test_the_report_renders_every_table_offline(browser, mixed_corpus, tmp_path):
    tok = tokkit.train("bpe", mixed_corpus, 300)[300]
    table = tokkit.evaluate(tok, ParallelCorpus.from_lines(LINES, spec="tiny"))
    path = tmp_path / "report.html"
    path.write_text(reports.render(table, "html"), encoding="utf-8")
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    headings = page.locator("h2").all_inner_texts()
    assert headings and all(h.startswith("tiny") for h in headings)
    assert page.locator("table").count() == len(headings)
    assert page.locator("th", has_text=tok.name).count() == len(headings)
    assert requests == [path.as_uri()]  # nothing fetched beyond the file itself
    page.close()
