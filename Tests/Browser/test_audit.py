"""The audit viewer (/staff/audit) shows what staff just did, by ids only: no resident's name appears.

Each test makes the trail it looks for, on this file's own server: a search and a record view, or a counter
registration with a reset code the resident then uses, and a staff member added by the admin."""

import re

from selenium.webdriver.common.by import By

from conftest import (
    ADMIN,
    COUNTER_RESIDENT,
    DEMO_RESIDENT_NAME,
    RESIDENT_NAMES,
    SUPERVISOR,
    WEB_RESIDENT,
    fill_counter_registration,
    fill_new_staff,
    fill_password_reset,
)

# Everything that would identify a resident, for every resident the suite creates.
PERSONAL = RESIDENT_NAMES + [
    "ビラトリ ハナコ",
    "hanako@example.jp",
    "北海道沙流郡平取町本町28番地",
    WEB_RESIDENT["kana"],
    WEB_RESIDENT["address"],
    WEB_RESIDENT["login"],
    COUNTER_RESIDENT["kana"],
    COUNTER_RESIDENT["address"],
    COUNTER_RESIDENT["login"],
    COUNTER_RESIDENT["login"].replace("-", ""),
]


def assert_no_personal_data(browser):
    page = browser.driver.page_source + browser.main_text
    leaked = [value for value in PERSONAL if value in page]
    assert not leaked, f"{browser.path()}: personal data in the audit viewer: {leaked}"


def test_supervisor_sees_search_and_record_view_without_names(browser, server):
    browser.staff_log_in(SUPERVISOR["login"], server.staff[SUPERVISOR["login"]])
    assert browser.has_link("監査ログ") and not browser.has_link("職員管理")

    # Look someone up and open their record: both must leave a trace.
    browser.follow("住民を検索する")
    browser.fill("氏名・フリガナ・ログインID", "花子").press("検索する")
    browser.follow(DEMO_RESIDENT_NAME)
    assert browser.h1 == "住民の記録"
    resident_id = re.search(r"住民番号 (\d+)", browser.main_text).group(1)

    browser.follow("監査ログ", within="nav")
    assert browser.path() == "/staff/audit"
    assert browser.h1 == "監査ログ"
    rows = browser.table()
    actor = f"職員 {SUPERVISOR['login']}（"
    # Newest first: the record view, the search that listed the same id, the login.
    assert [row["操作"] for row in rows[:3]] == ["resident.read", "resident.search", "login.success"], rows[:3]
    read, search, login = rows[:3]
    assert read["対象"] == f"resident {resident_id}"
    assert resident_id in search["対象"].removeprefix("resident ").split(",")
    for row in (read, search, login):
        assert row["操作者"].startswith(actor), row
        assert row["接続元"] == "127.0.0.1"
        assert row["リクエストID"]
    assert len({read["リクエストID"], search["リクエストID"], login["リクエストID"]}) == 3
    browser.screenshot("20-staff-audit-log")
    assert_no_personal_data(browser)

    # The filter is a plain GET form.
    browser.fill("操作（任意）", "resident.read").fill("対象の番号（任意）", resident_id).press("絞り込む")
    assert browser.path().startswith("/staff/audit?")
    assert browser.value("操作（任意）") == "resident.read"
    filtered = browser.table()
    assert filtered and all(
        (row["操作"], row["対象"]) == ("resident.read", f"resident {resident_id}") for row in filtered
    )
    assert_no_personal_data(browser)


def register_at_the_counter_and_reset_the_password(browser, open_browser):
    """As the logged-in admin: register COUNTER_RESIDENT, print a reset code, and let them use it. Returns the id."""
    browser.go("/staff/residents/new")
    fill_counter_registration(browser, COUNTER_RESIDENT).press("登録する")
    match = re.fullmatch(r"/staff/residents/(\d+)\?done=created", browser.path())
    assert match, browser.path()
    browser.press("再設定コードを発行する")
    assert browser.h1 == "パスワード再設定コード"
    code = browser.driver.find_element(By.CSS_SELECTOR, ".one-time-code").text
    phone = open_browser("counter resident")
    phone.go("/reset")
    fill_password_reset(phone, COUNTER_RESIDENT["login"], code, "furenai-no-haru-41").press("パスワードを設定する")
    assert phone.path() == "/login?reset=1", phone.main_text[:300]
    return match.group(1)


def test_admin_sees_the_counter_trail_and_the_added_staff_member(browser, open_browser, server):
    browser.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    resident_id = register_at_the_counter_and_reset_the_password(browser, open_browser)
    browser.go("/staff/admin/staff")
    new_staff = {"login": "sato.hoken", "name": "佐藤 花", "department": "保健福祉課", "role": "監督者"}
    fill_new_staff(browser, new_staff, "hoken-fukushi-2026").press("追加する")
    assert browser.path() == "/staff/admin/staff?done=created", browser.main_text[:300]

    browser.go(f"/staff/audit?subject_type=resident&subject_id={resident_id}")
    rows = browser.table()
    seen = {(row["操作"], row["操作者"].split("（")[0]) for row in rows}
    admin = f"職員 {ADMIN['login']}"
    for expected in (
        ("resident.create", admin),
        ("resident.read", admin),
        ("resident.reset_code.issue", admin),
        ("resident.password_reset", f"住民 {resident_id}"),
    ):
        assert expected in seen, f"{expected} missing from {sorted(seen)}"
    assert all(row["対象"] == f"resident {resident_id}" for row in rows)
    assert_no_personal_data(browser)

    browser.go("/staff/audit?action=staff.create&actor_type=staff")
    assert [row["操作者"].split("（")[0] for row in browser.table()] == [admin]
    assert_no_personal_data(browser)
