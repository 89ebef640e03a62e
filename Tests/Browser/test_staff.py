"""Staff at /staff/, JavaScript off: roles, staff admin, counter registration, a reset code used by the resident."""

import re

from selenium.webdriver.common.by import By

from conftest import (
    ADMIN,
    CLERK,
    COUNTER_RESIDENT,
    SUPERVISOR,
    fill_counter_registration,
    fill_new_staff,
    fill_password_reset,
)

NEW_STAFF = {"login": "sato.hoken", "name": "佐藤 花", "department": "保健福祉課", "role": "監督者"}
NEW_STAFF_PASSWORD = "hoken-fukushi-2026"


def test_clerk_is_refused_staff_admin_and_admin_adds_a_staff_member(browser, server):
    browser.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    assert f"{CLERK['name']}（{CLERK['department']}・担当者）" in browser.nav_text
    assert browser.has_link("住民検索")
    assert not browser.has_link("職員管理"), "a clerk must not be offered the staff admin page"
    assert not browser.has_link("監査ログ"), "a clerk must not be offered the audit log"
    browser.screenshot("10-staff-clerk-dashboard")

    # Typing the address anyway: a Japanese 403 page, with the request id to quote.
    browser.go("/staff/admin/staff")
    assert browser.h1 == "この操作は許可されていません"
    assert "この操作を行う権限がありません。" in browser.main_text
    assert "お問い合わせの際は、次の番号をお伝えください" in browser.main_text
    assert "職員アカウント一覧" not in browser.main_text
    assert browser.has_link("職員用トップへ戻る"), "a staff error page leads back to the staff side"
    browser.screenshot("11-staff-clerk-forbidden")
    browser.go("/staff/audit")
    assert browser.h1 == "この操作は許可されていません"

    browser.go("/staff/")
    browser.log_out()
    assert browser.path() == "/staff/login"
    browser.go("/staff/")
    assert browser.path() == "/staff/login", "the dashboard must ask for a login after logging out"

    browser.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    assert f"{ADMIN['name']}（{ADMIN['department']}・管理者）" in browser.nav_text
    browser.follow("職員アカウントを追加・無効化する")
    assert browser.path() == "/staff/admin/staff"
    assert browser.h1 == "職員管理"
    members = {row["ログインID"]: row for row in browser.table()}
    for member, role in ((ADMIN, "管理者"), (CLERK, "担当者"), (SUPERVISOR, "監督者")):
        row = members[member["login"]]
        assert (row["氏名"], row["担当課"], row["役割"]) == (member["name"], member["department"], role)
    assert members[ADMIN["login"]]["状態"] == "有効（ご自身）"
    assert members[CLERK["login"]]["状態"].startswith("有効")
    assert "admin" in members  # the demo admin from demo-data

    fill_new_staff(browser, NEW_STAFF, NEW_STAFF_PASSWORD).press("追加する")
    assert browser.path() == "/staff/admin/staff?done=created"
    assert "職員アカウントを追加しました。" in browser.main_text
    row = {row["ログインID"]: row for row in browser.table()}[NEW_STAFF["login"]]
    assert (row["氏名"], row["担当課"], row["役割"]) == (NEW_STAFF["name"], NEW_STAFF["department"], "監督者")
    browser.screenshot("12-staff-admin-added")

    # The new account works, with the role chosen on the form.
    browser.log_out()
    browser.staff_log_in(NEW_STAFF["login"], NEW_STAFF_PASSWORD)
    assert f"{NEW_STAFF['name']}（{NEW_STAFF['department']}・監督者）" in browser.nav_text
    assert browser.has_link("監査ログ") and not browser.has_link("職員管理")


def test_counter_registration_reset_code_and_the_residents_first_login(browser, open_browser, server):
    browser.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    browser.follow("窓口で住民を登録する")
    assert browser.path() == "/staff/residents/new"
    assert browser.h1 == "窓口での住民登録"
    fill_counter_registration(browser, COUNTER_RESIDENT)
    browser.screenshot("13-staff-counter-registration")
    browser.press("登録する")

    assert re.fullmatch(r"/staff/residents/\d+\?done=created", browser.path()), browser.path()
    assert browser.h1 == "住民の記録"
    assert "登録しました。続けて再設定コードを発行し、ご本人にお渡しください。" in browser.main_text
    record = browser.summary()
    assert record["氏名"] == COUNTER_RESIDENT["name"]
    assert record["地区"] == "振内"
    assert record["連絡方法"] == "電話"
    assert record["登録方法"] == "窓口で登録"
    assert record["パスワード"].startswith("未設定")

    # Find the same person again through the search, as a clerk would the next day.
    browser.follow("住民検索へ戻る")
    browser.fill("氏名・フリガナ・ログインID", "フレナイ").press("検索する")
    assert browser.h1 == "住民検索"
    results = browser.table()
    assert [row["氏名"] for row in results] == [COUNTER_RESIDENT["name"]]
    assert results[0]["地区"] == "振内"
    browser.follow(COUNTER_RESIDENT["name"])
    assert browser.h1 == "住民の記録"
    resident_id = re.search(r"住民番号 (\d+)", browser.main_text).group(1)
    assert browser.path() == f"/staff/residents/{resident_id}"

    browser.press("再設定コードを発行する")
    assert browser.h1 == "パスワード再設定コード"
    assert f"{COUNTER_RESIDENT['name']} 様" in browser.main_text
    printed = browser.summary()
    assert printed["ログインID"] in (COUNTER_RESIDENT["login"], COUNTER_RESIDENT["login"].replace("-", ""))
    code = browser.driver.find_element(By.CSS_SELECTOR, ".one-time-code").text
    assert re.fullmatch(r"[A-HJ-NPR-Y2-9]{4}-[A-HJ-NPR-Y2-9]{4}", code), code
    assert printed["有効期限"].endswith("まで")
    browser.screenshot("14-staff-reset-code")

    # On the resident's own phone: set a password with the printed code, then log in.
    phone = open_browser("counter resident")
    phone.go("/")
    phone.follow("パスワードを設定")
    assert phone.path() == "/reset"
    assert phone.h1 == "パスワードの再設定"
    new_password = "furenai-no-haru-41"
    fill_password_reset(phone, COUNTER_RESIDENT["login"], code, new_password).press("パスワードを設定する")
    assert phone.path() == "/login?reset=1"
    assert "パスワードを設定しました。新しいパスワードでログインしてください。" in phone.main_text
    phone.screenshot("15-resident-reset-done")
    phone.resident_log_in(COUNTER_RESIDENT["login"], new_password)
    assert phone.path() == "/mypage"
    assert f"{COUNTER_RESIDENT['name']} さん" in phone.nav_text
    assert phone.summary()["氏名"] == COUNTER_RESIDENT["name"]

    # The code is single-use.
    other = open_browser("someone with the old paper")
    other.go("/reset")
    fill_password_reset(other, COUNTER_RESIDENT["login"], code, "another-password-99").press("パスワードを設定する")
    assert other.path() == "/reset"
    assert "ログインIDまたは再設定コードが正しくないか、コードの有効期限が切れています。" in other.main_text

    # Back at the counter, the record now says the password is set.
    browser.go(f"/staff/residents/{resident_id}")
    assert browser.summary()["パスワード"] == "設定済み"
