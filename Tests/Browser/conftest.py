"""Browser tests: the real server binary, driven by Debian's headless Chromium through chromedriver.

One server per test file, on a fresh temp database: a copy of the session's seed (`migrate`, `demo-data --dev`,
three staff accounts made with `staff add`, run once), then `serve --dev --listen 127.0.0.1:0`. No file sees what
another file did, so files pass alone and in any order; a test that needs earlier activity (the audit trail of a
counter registration) makes it itself with the step helpers at the end of this file. Every browser is phone-sized
(412×915) and runs with JavaScript switched off, so each flow proves the pages work without it. Browsers come
from a session-wide pool (ChromiumPool) and are wiped before each use, so no test sees another's cookies.

`MADOGUCHI_BIN` names the binary (the Makefile passes `$(swift build --show-bin-path)/madoguchi`).
`BROWSER_SCREENSHOTS`, when set, is a folder that receives a PNG of each key page (never fails a test).
"""

import os
import re
import secrets
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

# pytest has already compiled this file; keep the test modules' bytecode out of the repository too.
sys.dont_write_bytecode = True

REPO = Path(__file__).resolve().parents[2]
PHONE = (412, 915)


DESK = (1280, 900)


def set_viewport(driver, width, height, mobile):
    """The emulated viewport: headless windows have a minimum width, so the window size alone is not the page's."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def at_desk(browser):
    """A staff browser at desk width (the suite's browsers start as phones)."""
    browser.driver.set_window_size(*DESK)
    set_viewport(browser.driver, *DESK, mobile=False)
    return browser
WAIT_SECONDS = 15
# WebDriverWait polls every 0.5 s by default, so a condition met just after a check cost up to half a second.
POLL_SECONDS = 0.05

# The people the suite creates. Kept here so the audit test can check that none of them shows up by name.
ADMIN = {"login": "suzuki", "name": "鈴木 一郎", "role": "admin", "department": "総務課"}
CLERK = {"login": "tanaka", "name": "田中 次郎", "role": "clerk", "department": "町民課"}
SUPERVISOR = {"login": "kato", "name": "加藤 三郎", "role": "supervisor", "department": "町民課"}
DEMO_RESIDENT_NAME = "平取 花子"
WEB_RESIDENT = {
    "login": "taro.browser@example.jp",
    "name": "平取 太郎",
    "kana_typed": "びらとり たろう",
    "kana": "ビラトリ タロウ",
    "address": "北海道沙流郡平取町本町1番地",
}
COUNTER_RESIDENT = {
    "login": "080-2345-6789",
    "name": "振内 ハル",
    "kana": "フレナイ ハル",
    "address": "北海道沙流郡平取町振内町5番地",
}
RESIDENT_NAMES = [DEMO_RESIDENT_NAME, WEB_RESIDENT["name"], COUNTER_RESIDENT["name"]]


# MARK: The server


class Server:
    def __init__(self, base_url, demo, staff):
        self.base_url = base_url
        self.demo = demo  # {"admin": (login, password), "resident": (login, password), "clerk": (login, password)}
        self.staff = staff  # login -> password


def _child_environment():
    # Flags win over MADOGUCHI_* anyway; dropping them keeps a developer's shell from changing the run.
    env = {key: value for key, value in os.environ.items() if not key.startswith("MADOGUCHI_")}
    env["LC_ALL"] = "C.UTF-8"
    return env


def _run(binary, *arguments, stdin=None):
    result = subprocess.run(
        [binary, *arguments],
        cwd=REPO,
        env=_child_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        pytest.fail(
            f"madoguchi {' '.join(arguments[:2])} exited {result.returncode}: {result.stderr.strip()}",
            pytrace=False,
        )
    return result.stdout


def _parse_demo_credentials(output):
    demo = {}
    for kind, line in (("admin", "staff admin"), ("resident", "resident")):
        match = re.search(rf"^\s*{line}\s+\S+\s+login:\s*(\S+)\s+password:\s*(\S+)\s*$", output, re.MULTILINE)
        if match is None:
            pytest.fail(f"demo-data printed no {kind} credentials:\n{output}", pytrace=False)
        demo[kind] = (match.group(1), match.group(2))
    # The demo clerk (建設水道課) that the applications test works the queue as. Optional here, so a binary
    # that prints no clerk line still serves the other tests; that test fails with its own message instead.
    match = re.search(r"^\s*staff clerk\s+\S+\s+login:\s*(\S+)\s+password:\s*(\S+)", output, re.MULTILINE)
    if match is not None:
        demo["clerk"] = (match.group(1), match.group(2))
    return demo


class Seed:
    """The database every file's server starts from, made once per session, and the accounts in it."""

    def __init__(self, binary, database, demo, staff):
        self.binary = binary
        self.database = database
        self.demo = demo
        self.staff = staff


@pytest.fixture(scope="session")
def seed():
    """`migrate`, `demo-data --dev` and the three `staff add`s, run once: they took about 15 s of the 20 s each of
    the 11 files' servers needed to start (2-core host under load, 2026-12-02); each file's server now starts on
    its own copy of the result in under a second."""
    binary = os.environ.get("MADOGUCHI_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail(
            "set MADOGUCHI_BIN to the built madoguchi binary, e.g. "
            'MADOGUCHI_BIN="$(swift build --show-bin-path)/madoguchi"',
            pytrace=False,
        )
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-browser-seed-"))
    database = workdir / "seed.sqlite"
    common = ["--db", str(database), "--schemas", str(REPO / "Schemas")]

    _run(binary, "migrate", *common)
    demo = _parse_demo_credentials(_run(binary, "demo-data", "--dev", *common))
    staff = {}
    for member in (ADMIN, CLERK, SUPERVISOR):
        password = "browser-" + secrets.token_urlsafe(12)
        _run(
            binary, "staff", "add", "--login", member["login"], "--name", member["name"],
            "--role", member["role"], "--department", member["department"], "--password-stdin", *common,
            stdin=password + "\n",
        )
        staff[member["login"]] = password
    yield Seed(binary, database, demo, staff)
    shutil.rmtree(workdir, ignore_errors=True)


def _copy_database(source, destination):
    # SQLite's online backup copies a consistent snapshot, WAL included, so the copy is the seed exactly.
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(destination)) as copy:
        origin.backup(copy)


@pytest.fixture(scope="module")
def server(seed):
    binary = seed.binary
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-browser-"))
    database = str(workdir / "madoguchi.sqlite")
    common = ["--db", database, "--schemas", str(REPO / "Schemas")]
    _copy_database(seed.database, database)
    demo, staff = seed.demo, seed.staff

    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, "serve", "--dev", "--listen", "127.0.0.1:0", *common],
            cwd=REPO,
            env=_child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )

    def log_tail():
        return log_path.read_text(errors="replace")[-3000:]

    ready, _, _ = select.select([process.stdout], [], [], 30)
    first_line = process.stdout.readline().decode(errors="replace").strip() if ready else ""
    match = re.fullmatch(r"madoguchi listening on (http://127\.0\.0\.1:\d+)", first_line)
    if match is None:
        process.kill()
        process.wait()
        pytest.fail(f"serve did not start (first line {first_line!r}):\n{log_tail()}", pytrace=False)
    # Nothing else is expected on stdout, but never let a full pipe stall the server.
    threading.Thread(target=process.stdout.read, daemon=True).start()

    yield Server(match.group(1), demo, staff)

    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"serve did not stop within 30 s of SIGTERM:\n{log_tail()}", pytrace=False)
    tail = log_tail()
    shutil.rmtree(workdir, ignore_errors=True)
    assert code == 0, f"serve exited {code} after SIGTERM:\n{tail}"


# MARK: The browser

# Run in the browser's DOM by the test harness (DevTools), not by the page: page JavaScript stays off.
PAGE_CHECK_SCRIPT = """
const problems = [];
const lang = document.documentElement.getAttribute('lang');
if (lang !== 'ja') problems.push('<html lang> is ' + JSON.stringify(lang) + ', not "ja"');
if (!document.title.trim()) problems.push('the page has no <title>');
const bodySize = parseFloat(getComputedStyle(document.body).fontSize);
if (!(bodySize >= 18)) problems.push('body font-size is ' + bodySize + 'px, below 18px');
for (const control of document.querySelectorAll('input, select, textarea')) {
  if (control.type === 'hidden') continue;
  if (!control.getClientRects().length) continue;          // not rendered, so nothing to label
  const what = '<' + control.tagName.toLowerCase() + ' name="' + control.name + '">';
  if (!control.id) { problems.push(what + ' has no id'); continue; }
  if (document.querySelectorAll('[id="' + control.id + '"]').length !== 1)
    problems.push('id "' + control.id + '" is used more than once');
  const labels = [...document.querySelectorAll('label[for="' + control.id + '"]')];
  if (labels.length !== 1) problems.push(what + ' has ' + labels.length + ' <label for="' + control.id + '">');
  else if (!labels[0].textContent.trim()) problems.push(what + ' has an empty label');
  else if (![...control.labels].includes(labels[0])) problems.push(what + ' is not tied to its label');
}
const root = document.documentElement;
return {problems: problems, bodySize: bodySize, scrollWidth: root.scrollWidth};
"""


class Browser:
    """One person's phone: a headless Chromium with JavaScript off, plus the steps people take on a page."""

    def __init__(self, driver, base_url, who):
        # `who` names the person in failure messages when a test has several phones open.
        self.driver = driver
        self.base_url = base_url
        self.who = who

    # Navigation

    def go(self, path):
        self.driver.get(self.base_url + path)
        self._settle()
        return self

    def path(self):
        parts = urlsplit(self.driver.current_url)
        return parts.path + (("?" + parts.query) if parts.query else "")

    def _settle(self):
        WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=POLL_SECONDS).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.check_page()

    def _navigate_by(self, element, what):
        old_root = self.driver.find_element(By.TAG_NAME, "html")
        page = self.path()
        if self.driver.execute_script("return document.documentElement.scrollWidth") > PHONE[0] + 1:
            # A page wider than the phone is shown zoomed out, and once a field has had focus the phone's
            # visible area is no longer where chromedriver aims its taps. Activate with the keyboard instead
            # (Enter on a focused button or link), which needs no script either. Only staff pages get here:
            # check_page forbids resident pages from being wider than the phone.
            element.send_keys(Keys.ENTER)
        else:
            element.click()
        try:
            WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=POLL_SECONDS).until(lambda d: _is_stale(old_root))
        except TimeoutException:
            raise AssertionError(f"[{self.who}] {page}: {what} led nowhere within {WAIT_SECONDS} s") from None
        self._settle()

    # Where a button or link is: "page" is the page's own content, "nav" the account menu at the top.
    AREAS = {"page": "//main//*[not(ancestor-or-self::nav)]", "nav": "//nav[contains(@class,'account')]//*"}

    def press(self, label, within="page"):
        """Taps the button that reads `label`."""
        what = f"button {label!r}"
        self._navigate_by(self._one(f"{self.AREAS[within]}[self::button][normalize-space(.)='{label}']", what), what)
        return self

    def follow(self, text, within="page"):
        """Taps the link that reads `text`."""
        what = f"link {text!r}"
        self._navigate_by(self._one(f"{self.AREAS[within]}[self::a][normalize-space(.)='{text}']", what), what)
        return self

    def tap(self, element, what):
        """Taps a button or link found some other way, e.g. one of several links that read the same."""
        self._navigate_by(element, what)
        return self

    def log_out(self):
        return self.press("ログアウト", within="nav")

    def staff_log_in(self, login, password):
        self.go("/staff/login")
        assert self.h1 == "職員ログイン"
        self.fill("ログインID", login).fill("パスワード", password).press("ログイン")
        assert self.path() == "/staff/", f"{login} did not reach the dashboard: {self.main_text[:300]}"
        assert self.h1 == "ダッシュボード"
        return self

    def resident_log_in(self, login, password):
        self.go("/login")
        assert self.h1 == "ログイン"
        return self.fill("ログインID", login).fill("パスワード", password).press("ログイン")

    # What a person sees

    @property
    def h1(self):
        return self.driver.find_element(By.TAG_NAME, "h1").text

    @property
    def title(self):
        return self.driver.title

    @property
    def main_text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    @property
    def nav_text(self):
        return self.driver.find_element(By.CSS_SELECTOR, "nav.account").text

    def has_link(self, text):
        return bool(self.driver.find_elements(By.XPATH, f"//a[normalize-space(.)='{text}']"))

    def summary(self):
        """The definition list of a record (マイページ, the staff record page) as {term: description}."""
        terms = self.driver.find_elements(By.CSS_SELECTOR, "dl.summary dt")
        return {dt.text: dt.find_element(By.XPATH, "following-sibling::dd[1]").text for dt in terms}

    def table(self):
        """The first table's body as a list of {column heading: cell text}."""
        headings = [th.text for th in self.driver.find_elements(By.CSS_SELECTOR, "table thead th")]
        rows = self.driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
        return [dict(zip(headings, [td.text for td in row.find_elements(By.TAG_NAME, "td")])) for row in rows]

    # Forms, found by their visible labels

    def field(self, label):
        """The control whose <label for> reads `label` (exactly, as shown, e.g. "電話番号（任意）"); a required
        field's label may add its "（必須）" mark, which test_inclusion checks where it matters."""
        found = self._one(
            f"//label[normalize-space(.)='{label}' or normalize-space(.)='{label}（必須）']", f"label {label!r}"
        )
        target = found.get_attribute("for")
        assert target, f"label {label!r} has no for attribute"
        return self.driver.find_element(By.ID, target)

    def fill(self, label, value):
        control = self.field(label)
        if control.get_attribute("type") == "date":
            self._fill_date(control, value, label)
        else:
            control.clear()
            control.send_keys(value)
        return self

    def _fill_date(self, control, iso, label):
        # Chromium's date box takes keys in the browser locale's order (en-US here: month, day, year).
        year, month, day = iso.split("-")
        control.send_keys(month + day + year)
        assert control.get_property("value") == iso, f"could not type {iso} into the date field {label!r}"

    def choose(self, label):
        """Taps a radio button's label, which a browser turns into a choice without any script."""
        control = self.field(label)
        self.driver.find_element(By.CSS_SELECTOR, f"label[for='{control.get_attribute('id')}']").click()
        assert control.is_selected(), f"tapping {label!r} did not select it"
        return self

    def select(self, label, option):
        Select(self.field(label)).select_by_visible_text(option)
        return self

    def value(self, label):
        return self.field(label).get_property("value")

    # Checks and pictures

    def check_page(self):
        """The accessibility basics every page must meet; resident pages must also fit a phone's width."""
        result = self.driver.execute_script(PAGE_CHECK_SCRIPT)
        problems = list(result["problems"])
        # On a phone a too-wide page is zoomed out until it fits, so the text shrinks below 18px. Residents'
        # pages must fit; staff mostly work on desktops, so theirs are only required to work.
        if not self.path().startswith("/staff") and result["scrollWidth"] > PHONE[0] + 1:
            problems.append(f"page is {result['scrollWidth']}px wide on a {PHONE[0]}px phone")
        assert not problems, f"[{self.who}] {self.path()} ({self.title}): " + "; ".join(problems)
        return result

    def screenshot(self, name):
        folder = os.environ.get("BROWSER_SCREENSHOTS")
        if not folder:
            return None
        try:
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"{name}.png")
            return path if self.driver.save_screenshot(path) else None
        except (OSError, WebDriverException):
            return None

    def _one(self, xpath, what):
        found = [element for element in self.driver.find_elements(By.XPATH, xpath) if element.is_displayed()]
        assert len(found) == 1, f"[{self.who}] {self.path()}: expected one visible {what}, found {len(found)}"
        return found[0]


def _is_stale(element):
    try:
        element.tag_name
        return False
    except WebDriverException:
        return True


def _chrome_options():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={PHONE[0]},{PHONE[1]}",
        "--lang=en-US",  # fixes the date box's key order; the pages themselves are Japanese either way
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--password-store=basic",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "profile.managed_default_content_settings.javascript": 2,  # JavaScript off
            "intl.accept_languages": "ja,en-US",
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    return options


class ChromiumPool:
    """The session's Chromiums, each handed to one person at a time and wiped before it is handed out again.

    Launching and quitting Chromium and chromedriver took 5-8 s per browser on the loaded 2-core host, and the 29
    tests opened 40-odd. A test still gets as many separate phones as it opens (each its own
    profile, so its own cookies); a reused one comes back with no cookie, no cache, a blank page and the phone's
    size, which `take` checks, so no test sees what an earlier one did."""

    def __init__(self):
        self.idle = []
        self.every = []

    def take(self):
        driver = self.idle.pop() if self.idle else self._launch()
        try:
            self._wipe(driver)
        except WebDriverException:
            # A browser a failed test left unusable is replaced, never reused.
            self._quit(driver)
            driver = self._launch()
            self._wipe(driver)
        return driver

    def give_back(self, driver):
        self.idle.append(driver)

    def close(self):
        for driver in self.every:
            self._quit(driver)

    def _launch(self):
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=_chrome_options())
        self.every.append(driver)
        driver.set_page_load_timeout(WAIT_SECONDS)
        return driver

    def _wipe(self, driver):
        for handle in driver.window_handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(driver.window_handles[0])
        driver.get("about:blank")
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        left = driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
        assert not left, f"a reused browser still holds cookies: {[cookie['name'] for cookie in left]}"
        driver.set_window_size(*PHONE)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})  # printed_page's print media, undone
        set_viewport(driver, *PHONE, mobile=True)

    def _quit(self, driver):
        if driver in self.every:
            self.every.remove(driver)
        try:
            driver.quit()
        except WebDriverException:
            pass


@pytest.fixture(scope="session")
def chromium_pool():
    pool = ChromiumPool()
    yield pool
    pool.close()


@pytest.fixture
def open_browser(server, chromium_pool):
    """Opens another phone, e.g. the resident's own while staff work at the counter."""
    opened = []

    def open_one(who="browser"):
        driver = chromium_pool.take()
        opened.append(driver)
        return Browser(driver, server.base_url, who)

    yield open_one
    for driver in opened:
        chromium_pool.give_back(driver)


@pytest.fixture
def browser(open_browser):
    return open_browser()


# MARK: Steps more than one test takes


def fill_counter_registration(browser, resident):
    """At /staff/residents/new: the form for `resident` (COUNTER_RESIDENT's shape), not yet submitted."""
    return (
        browser.fill("ログインID（メールアドレスまたは携帯電話の番号）", resident["login"])
        .fill("氏名（漢字）", resident["name"])
        .fill("フリガナ", resident["kana"])
        .fill("生年月日", "1941-02-14")
        .fill("郵便番号", "055-0311")
        .fill("住所", resident["address"])
        .select("お住まいの地区", "振内")
        .choose("電話")
    )


def fill_new_staff(browser, member, password):
    """At /staff/admin/staff: the add form for `member` ({login, name, department, role label}), not yet sent."""
    return (
        browser.fill("ログインID", member["login"])
        .fill("氏名", member["name"])
        .select("担当課", member["department"])
        .choose(member["role"])
        .fill("初期パスワード", password)
    )


def fill_password_reset(phone, login, code, password):
    """At /reset: a printed reset code used to set `password`, not yet sent."""
    return (
        phone.fill("ログインID", login)
        .fill("再設定コード（8文字）", code)
        .fill("新しいパスワード", password)
        .fill("新しいパスワード（確認のためもう一度）", password)
    )


# MARK: Printouts

PRINTED_PAGE_SCRIPT = """
const rules = [];
const walk = (list) => {
  for (const rule of list) {
    if (rule instanceof CSSPageRule) rules.push([rule.selectorText, rule.style.getPropertyValue('margin')]);
    else if (rule.cssRules) walk(rule.cssRules);
  }
};
for (const sheet of document.styleSheets) walk(sheet.cssRules);
const root = document.querySelector(arguments[0]);
return {page: root ? getComputedStyle(root).page : null, rules: rules};
"""


def printed_page(browser, root):
    """How the page prints: the named page (CSS `page`) of the printout's `root` element under print media, and
    every @page rule of the stylesheet as {page name: margin}, where a global rule would be the name ""."""
    driver = browser.driver
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        result = driver.execute_script(PRINTED_PAGE_SCRIPT, root)
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    return result["page"], dict(result["rules"])
