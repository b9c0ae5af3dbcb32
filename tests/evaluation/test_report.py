"""The HTML report: escaped, self-contained, and readable in a real browser."""

import re

import pytest

from copilot.evaluation.metrics import pair_up
from copilot.evaluation.report import heat_colour, render_report, write_report
from copilot.evaluation.runner import run_classifier, run_record
from tests.evaluation.conftest import SMALL, ReplayClassifier


@pytest.fixture
def scored(small, small_predictions):
    # o1 carries markup in its subject and text; make it a mistake so the report shows it.
    preds = [p.model_copy(update={"label": "paid"}) if p.id == "o1" else p for p in small_predictions]
    result = run_classifier(ReplayClassifier(small, preds), small, progress=False)
    return run_record(SMALL, small, result), pair_up(small, result.predictions)


def test_reply_text_is_escaped(scored):
    html = render_report(*scored)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>Hello</b>" not in html and "&lt;b&gt;Hello&lt;/b&gt;" in html


def test_self_contained_no_scripts_or_remote_assets(scored):
    html = render_report(*scored)
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_misclassified_replies_are_listed_worst_first_by_label(scored):
    html = render_report(*scored)
    section = html.split("Misclassified replies (4)")[1].split("</table>")[0]
    ids = re.findall(r"<td class=\"id\">([\w-]+)<", section)
    assert ids == ["p2", "d2", "f2", "o1"]  # in label order: promise, dispute, frustration, other
    assert "also ok: promise_to_pay" not in section  # a2 is right through its alternate, so not listed
    others = html.split("Right label, other mistakes (1)")[1]
    assert "d1" in others and "escalation missed" in others


def test_heat_colour_grows_with_the_row_share():
    assert heat_colour(0, 10, True) == "#ffffff"
    assert heat_colour(10, 10, True) == "rgba(22, 128, 60, 0.90)"
    assert heat_colour(1, 10, False) == "rgba(200, 40, 30, 0.20)"


@pytest.mark.browser
def test_report_renders_in_chromium_without_network(scored, tmp_path, artifacts):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    write_report(path, *scored)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        cells = page.locator("table.heat td.cell")
        assert cells.count() == 64
        assert page.locator("table.heat tr").nth(2).locator("td.cell").nth(1).inner_text() == "2"  # promise row, promise column
        diagonal = cells.nth(0).evaluate("e => getComputedStyle(e).backgroundColor")
        assert diagonal.startswith("rgba(22, 128, 60")
        assert page.locator("table.examples").first.is_visible()
        page.locator("table.examples details").first.click()
        assert page.locator("table.examples details pre").first.is_visible()
        page.screenshot(path=str(artifacts / "eval-report.png"), full_page=True)
        browser.close()
    assert requests == [path.as_uri()]


def test_slices_get_their_own_table_only_when_replies_name_them(scored, small, small_predictions):
    assert "Accuracy by slice" not in render_report(*scored)
    sliced = [r.model_copy(update={"slice": "bank-advice" if r.label.value == "paid" else "greeting-line"}) for r in small]
    result = run_classifier(ReplayClassifier(sliced, small_predictions), sliced, progress=False)
    html = render_report(run_record(SMALL, sliced, result), pair_up(sliced, result.predictions))
    table = html.split('aria-label="Accuracy by slice"')[1].split("</table>")[0]
    assert "<td>greeting-line</td>" in table and 'class="n">10<' in table
