"""axe-core 4.x on every page a resident or a clerk can reach, at phone width (390 px) and desk width (1280 px):
0 violations at wcag2a, wcag2aa, wcag21a and wcag21aa, no duplicate id, and no page wider than the phone.

The pages are found, not listed: the crawl follows every same-origin GET link from the start pages (signed out,
as the demo resident, as an admin), so a new module's pages are checked as soon as something links to them.
Error states no link leads to (a validation error, a failed login, a 404) are reached by the steps below.

The pages load with JavaScript off, as in every browser test; axe is injected through WebDriver's
execute_script, which runs in the page (DevTools) even while the page's own scripts are disabled. With
JavaScript off the page's timers never fire (measured: a setTimeout callback never runs, a resolved promise's
does), and axe.run waits on setTimeout, so TIMERS_AS_MICROTASKS maps setTimeout/requestAnimationFrame onto
promise callbacks in the page first. test_axe_runs_while_page_javascript_is_off proves that axe then runs on a
page whose own script is refused.

axe-core comes from the pinned PyPI wheel axe-playwright-python (Tests/Proof/requirements.txt; axe-core 4.12.1,
MPL-2.0): only its axe.min.js file is read, its playwright dependency is never imported. AXE_SCRIPT names another
copy. On a failure each failing page's screenshot is written to .build/test-artifacts/accessibility/.
"""

import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import WebDriverException

from conftest import ADMIN, REPO, set_viewport

WIDTHS = {"phone": (390, 844, True), "desktop": (1280, 900, False)}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = REPO / ".build" / "test-artifacts" / "accessibility"
# Pages to start from. Query strings reach lists that start empty for a clerk of another department.
RESIDENT_START = ["/", "/applications", "/applications/lookup", "/login", "/register", "/reset",
                  "/classes"]
STAFF_START = [
    "/staff/", "/staff/applications?department=all", "/staff/residents?q=%E5%B9%B3%E5%8F%96",
    "/staff/kpi", "/staff/kpi/report", "/staff/kpi/figures", "/staff/classes",
]
# Links that end a session, answer a file, or are not pages.
NOT_PAGES = re.compile(r"(^/api/|^/assets/|^/logout|/logout$|\.csv$|/attachments/|^/metrics|^/healthz|^/readyz)")


def axe_source():
    override = os.environ.get("AXE_SCRIPT")
    if override:
        return Path(override).read_text()
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            "axe-core is missing: pip install --target .build/python -r Tests/Proof/requirements.txt and run with "
            "PYTHONPATH=.build/python (or set AXE_SCRIPT to an axe.min.js 4.x)",
            pytrace=False,
        )
    return (Path(list(spec.submodule_search_locations)[0]) / "axe.min.js").read_text()


AXE = axe_source()
AXE_VERSION = re.search(r"axe v(\d+\.\d+\.\d+)", AXE[:200]).group(1)

TIMERS_AS_MICROTASKS = """
if (!window.__axeTimers) {
  window.__axeTimers = true;
  let next = 1;
  const finished = new Set();
  window.setTimeout = function (callback, delay, ...args) {
    const id = next++;
    Promise.resolve().then(() => {
      if (finished.has(id)) return;
      finished.add(id);
      if (typeof callback === 'function') callback(...args);
    });
    return id;
  };
  window.clearTimeout = function (id) { finished.add(id); };
  window.requestAnimationFrame = function (callback) { return window.setTimeout(() => callback(performance.now())); };
}
"""


def inject_axe(driver):
    """Loads axe into the page on screen (once per page)."""
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(TIMERS_AS_MICROTASKS + AXE)


RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(result => done({violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' '))}))}))
  .catch(error => done({error: String(error)}));
""" % (TAGS,)

# axe 4.10 retired its duplicate-id rules (browsers cope), but a duplicate id still breaks label[for] and
# aria-describedby, and the issue counts it as a failure: checked here, on every element with an id.
PAGE_FACTS = """
const seen = {}, duplicates = [];
for (const element of document.querySelectorAll('[id]')) {
  if (seen[element.id]) { if (!duplicates.includes(element.id)) duplicates.push(element.id); }
  seen[element.id] = true;
}
const links = [...document.querySelectorAll('a[href]')]
  .filter(a => !a.hasAttribute('download'))
  .map(a => a.href);
return {duplicates: duplicates, links: links, scrollWidth: document.documentElement.scrollWidth,
        title: document.title};
"""


def set_width(browser, name):
    set_viewport(browser.driver, *WIDTHS[name])


class Audit:
    """Runs the checks on the page the browser shows, at both widths, and keeps every problem found."""

    def __init__(self, server):
        self.origin = server.base_url
        self.problems = []
        self.checked = []

    def check(self, browser, label):
        """Checks what is on screen now (after a POST too); returns the page's same-origin links."""
        links = []
        for name in WIDTHS:
            set_width(browser, name)
            facts = browser.driver.execute_script(PAGE_FACTS)
            found = []
            if facts["duplicates"]:
                found.append("duplicate id: " + ", ".join(facts["duplicates"]))
            width = WIDTHS[name][0]
            if name == "phone" and facts["scrollWidth"] > width + 1:
                found.append(f"page is {facts['scrollWidth']} px wide on a {width} px phone")
            inject_axe(browser.driver)
            result = browser.driver.execute_async_script(RUN_AXE)
            if "error" in result:
                found.append("axe failed: " + result["error"])
            for violation in result.get("violations", []):
                found.append(
                    f"axe {violation['id']} ({violation['impact']}): {violation['help']}: "
                    + " | ".join(violation["nodes"])
                )
            self.checked.append(f"{label} @{name}")
            if found:
                self.problems.append(f"{label} [{facts['title']}] at {name} width:\n    " + "\n    ".join(found))
                self._screenshot(browser, label, name)
            links = facts["links"]
        set_width(browser, "phone")
        return self._same_origin(links)

    def crawl(self, browser, start, who):
        """Visits every page reachable by GET links from `start`, one page per route shape."""
        queue, seen = list(start), set()
        while queue:
            path = queue.pop(0)
            shape = route_shape(path)
            if shape in seen:
                continue
            seen.add(shape)
            browser.driver.get(self.origin + path)
            for link in self.check(browser, f"{who} {path}"):
                if route_shape(link) not in seen:
                    queue.append(link)
        return seen

    def _same_origin(self, links):
        paths = []
        for link in links:
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                continue
            path = parts.path + (("?" + parts.query) if parts.query else "")
            if not NOT_PAGES.search(parts.path):
                paths.append(path)
        return paths

    def _screenshot(self, browser, label, width):
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")[:80] or "page"
            browser.driver.save_screenshot(str(ARTIFACTS / f"{name}-{width}.png"))
        except (OSError, WebDriverException):
            pass


def route_shape(path):
    """/staff/applications/12 and /staff/applications/7 are one page to check; so are ?a=1 and ?a=2."""
    bare = path.split("?", 1)[0]
    bare = re.sub(r"/\d+(?=/|$)", "/N", bare)
    return re.sub(r"/[A-HJ-NPR-Y2-9]{8}(?=/|$)", "/REF", bare)


def report(audit):
    assert audit.checked, "nothing was checked"
    assert not audit.problems, (
        f"axe {AXE_VERSION}: {len(audit.problems)} of {len(audit.checked)} page views fail "
        f"(screenshots in {ARTIFACTS}):\n" + "\n".join(audit.problems)
    )


def test_axe_runs_while_page_javascript_is_off(browser):
    browser.driver.get(
        "data:text/html;charset=utf-8,<html lang=ja><title>off</title><script>document.title='on'</script>"
        "<body><img src=x.png><p id=a>1</p><p id=a>2</p></body></html>"
    )
    assert browser.driver.title == "off", "the page's own script ran: JavaScript is not off"
    audit = Audit(type("S", (), {"base_url": "http://127.0.0.1:1"})())
    audit.check(browser, "data page")
    found = "\n".join(audit.problems)
    assert "axe image-alt" in found, found  # axe ran in the page and saw the missing alt text
    assert "duplicate id: a" in found, found
    assert AXE_VERSION.startswith("4."), AXE_VERSION


def test_every_resident_page_passes_axe(open_browser, server):
    audit = Audit(server)
    guest = open_browser("guest")
    audit.crawl(guest, RESIDENT_START + ["/no-such-page"], "guest")

    # Error states: a form sent empty, a failed login, a wrong reference.
    guest.go("/register").press("登録する")
    audit.check(guest, "guest /register with errors")
    guest.go("/login").fill("ログインID", "nobody@example.jp").fill("パスワード", "wrong-password-1").press("ログイン")
    audit.check(guest, "guest /login failed")
    guest.go("/applications/lookup").fill("受付番号", "ABCD-2345").fill("確認コード", "ABCD-EFGH-JKLM").press("確認する")
    audit.check(guest, "guest lookup failed")
    guest.go("/applications/new/road-light-report").press("入力内容を確認する")
    audit.check(guest, "guest application form with errors")

    resident = open_browser("resident")
    resident.resident_log_in(*server.demo["resident"])
    audit.crawl(resident, ["/mypage", "/", "/applications", "/profile", "/no-such-page"], "resident")
    resident.go("/profile").fill("郵便番号", "12").press("保存する")
    audit.check(resident, "resident /profile with errors")
    report(audit)


def test_every_staff_page_passes_axe(open_browser, server):
    audit = Audit(server)
    staff = open_browser("staff")
    staff.go("/staff/login").fill("ログインID", ADMIN["login"]).fill("パスワード", "wrong-password-123").press("ログイン")
    audit.check(staff, "staff login failed")
    staff.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    audit.crawl(staff, STAFF_START + ["/staff/no-such-page"], "staff")
    staff.go("/staff/residents/new").press("登録する")
    audit.check(staff, "staff /staff/residents/new with errors")
    staff.go("/staff/admin/staff").press("追加する")
    audit.check(staff, "staff /staff/admin/staff with errors")
    staff.go("/staff/kpi/figures").fill("印刷等コスト（千円）（任意）", "たくさん").press("保存する")
    audit.check(staff, "staff /staff/kpi/figures with errors")
    report(audit)
