"""The KPI dashboard (/staff/kpi) and its printable 進行管理表 (/staff/kpi/report), JavaScript off, as a
supervisor would open them on the demo data (two fiscal years of usage events): both render at phone width
(390 px) and desk width (1280 px) with no axe violations, the charts are SVG images named by their <title>
with the same numbers in a table, and the report fits one A4 page when printed.

A PNG of each page at each width is always written to .build/test-artifacts/kpi/ (the folder CI keeps with the
accessibility screenshots), and also to BROWSER_SCREENSHOTS when that is set.
"""

import base64

from selenium.webdriver.common.by import By

from conftest import REPO, SUPERVISOR, printed_page
from test_accessibility import WIDTHS, Audit, report, set_width

ARTIFACTS = REPO / ".build" / "test-artifacts" / "kpi"


def keep_screenshot(browser, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.driver.save_screenshot(str(ARTIFACTS / f"{name}.png")), f"no screenshot of {name}"
    browser.screenshot(name)


def signed_in_supervisor(open_browser, server):
    browser = open_browser("supervisor")
    browser.staff_log_in(SUPERVISOR["login"], server.staff[SUPERVISOR["login"]])
    return browser


def test_the_dashboard_renders_at_both_widths_with_charts_and_their_tables(open_browser, server):
    browser = signed_in_supervisor(open_browser, server)
    audit = Audit(server)
    browser.go("/staff/kpi")
    assert browser.h1.startswith("KPI（めざすべき目標値）の進み具合")
    charts = browser.driver.find_elements(By.CSS_SELECTOR, "svg[role=img]")
    assert len(charts) == 2, "the monthly trend and the by-district chart"
    for chart in charts:
        title = chart.find_element(By.TAG_NAME, "title").get_attribute("textContent")
        assert title, "each chart is named by its <title>"
        assert chart.get_attribute("aria-labelledby")
    captions = [c.text for c in browser.driver.find_elements(By.TAG_NAME, "caption")]
    assert "月別オンライン利用人数（人）" in captions
    assert "地区別開催回数（回）" in captions
    text = browser.main_text
    assert "申請1件ごとに1人" in text  # the guest note
    # The demo data spans last fiscal year too: the selector offers it and its months are not all zero.
    years = [o.get_attribute("value") for o in browser.driver.find_elements(By.CSS_SELECTOR, "select#fy option")]
    assert len(years) >= 2
    browser.go(f"/staff/kpi?fy={years[1]}")
    cells = [td.text for td in browser.driver.find_elements(By.CSS_SELECTOR, ".kpi-section table tbody td")]
    assert any(cell not in ("0", "") for cell in cells[:12]), cells
    for name in WIDTHS:
        set_width(browser, name)
        keep_screenshot(browser, f"kpi-dashboard-{name}")
    audit.check(browser, "supervisor /staff/kpi (last year)")
    browser.go("/staff/kpi")
    audit.check(browser, "supervisor /staff/kpi")
    report(audit)


def test_the_report_renders_at_both_widths_and_prints_on_one_a4_page(open_browser, server):
    browser = signed_in_supervisor(open_browser, server)
    audit = Audit(server)
    browser.go("/staff/kpi/report")
    assert browser.h1.startswith("めざすべき目標値 進行管理表")
    headings = [th.text for th in browser.driver.find_elements(By.CSS_SELECTOR, ".kpi-report table thead th")]
    assert headings[:7] == ["指標", "現状値", "目標値 R12", "目標値 R17", "実績", "達成率", "判定"], headings
    for name in WIDTHS:
        set_width(browser, name)
        keep_screenshot(browser, f"kpi-report-{name}")
    audit.check(browser, "supervisor /staff/kpi/report")
    report(audit)
    page, rules = printed_page(browser, ".kpi-report")
    assert page == "kpi-report", f"the report prints on the named page kpi-report, not {page!r}"
    assert "" not in rules, f"no global @page rule sets every printout's margins: {rules}"
    assert rules["kpi-report"] == "12mm", rules
    pdf = browser.driver.execute_cdp_cmd(
        "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True}
    )
    document = base64.b64decode(pdf["data"])
    (ARTIFACTS / "kpi-report.pdf").write_bytes(document)
    pages = document.count(b"/Type /Page") - document.count(b"/Type /Pages")
    assert pages == 1, f"the report prints on {pages} A4 pages"
