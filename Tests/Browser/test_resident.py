"""A resident on a phone, JavaScript off: register (after a mistake), マイページ, log out and in, edit the profile."""

from selenium.webdriver.common.by import By

from conftest import WEB_RESIDENT

PASSWORD = "yuki-no-biratori-2026"


def fill_registration(browser, confirmation):
    (
        browser.fill("ログインID（メールアドレスまたは携帯電話の番号）", WEB_RESIDENT["login"])
        .fill("パスワード", PASSWORD)
        .fill("パスワード（確認のためもう一度）", confirmation)
        .fill("氏名（漢字）", WEB_RESIDENT["name"])
        .fill("フリガナ", WEB_RESIDENT["kana_typed"])  # hiragana: the page says it is accepted
        .fill("生年月日", "1948-11-03")
        .fill("郵便番号", "055-0107")
        .fill("住所", WEB_RESIDENT["address"])
        .select("お住まいの地区", "平取")
        .choose("メール")
    )


def test_register_with_a_mistake_then_log_out_in_and_edit_profile(browser):
    browser.go("/")
    assert browser.h1 == "オンライン窓口"
    assert "はじめての方" in browser.main_text
    browser.screenshot("01-resident-start")

    browser.follow("新規登録")
    assert browser.path() == "/register"
    assert browser.h1 == "新規登録"

    # First try: the confirmation does not match.
    fill_registration(browser, confirmation=PASSWORD + "x")
    browser.press("登録する")
    assert browser.path() == "/register"
    assert browser.title.startswith("エラー："), browser.title

    error_summary = browser.driver.find_element(By.CSS_SELECTOR, ".error-summary")
    assert error_summary.get_attribute("role") == "alert"
    assert "入力内容に問題があります" in error_summary.text
    links = error_summary.find_elements(By.TAG_NAME, "a")
    assert [link.text for link in links] == ["確認のために入力したパスワードが一致しません。"]
    assert links[0].get_attribute("href").endswith("#password_confirmation")
    # The summary is the first thing on the page: above the heading, inside the first screen.
    heading = browser.driver.find_element(By.TAG_NAME, "h1")
    assert error_summary.location["y"] < heading.location["y"]
    assert error_summary.rect["y"] + error_summary.rect["height"] <= browser.driver.execute_script(
        "return window.innerHeight"
    )
    browser.screenshot("02-resident-register-error")

    # The message sits beside its field, and the field says so to screen readers.
    confirmation = browser.field("パスワード（確認のためもう一度）")
    assert confirmation.get_attribute("id") == "password_confirmation"
    message = browser.driver.find_element(By.ID, "password_confirmation-error")
    assert message.is_displayed()
    assert message.text.endswith("確認のために入力したパスワードが一致しません。")
    same_field = confirmation.find_element(By.XPATH, "ancestor::div[contains(@class,'field')][1]")
    assert same_field.find_element(By.CLASS_NAME, "field-error").get_attribute("id") == "password_confirmation-error"
    gap = confirmation.location["y"] - (message.location["y"] + message.size["height"])
    assert 0 <= gap < 60, f"the message is {gap}px away from its field"
    assert "password_confirmation-error" in confirmation.get_attribute("aria-describedby").split()
    assert confirmation.get_attribute("aria-invalid") == "true"
    # Only the broken field is marked.
    assert browser.field("氏名（漢字）").get_attribute("aria-invalid") is None

    # The summary link takes the person to the field (plain fragment link, no script).
    links[0].click()
    assert browser.driver.current_url.endswith("#password_confirmation")
    top = confirmation.rect["y"] - browser.driver.execute_script("return window.scrollY")
    assert -1 <= top < browser.driver.execute_script("return window.innerHeight"), "the field is not on screen"

    # What was typed is kept, except the passwords, which are asked for again.
    assert browser.value("氏名（漢字）") == WEB_RESIDENT["name"]
    assert browser.value("住所") == WEB_RESIDENT["address"]
    assert browser.value("生年月日") == "1948-11-03"
    assert browser.field("メール").is_selected()
    assert browser.value("パスワード") == ""

    browser.fill("パスワード", PASSWORD).fill("パスワード（確認のためもう一度）", PASSWORD).press("登録する")

    # Registering signs the resident in and lands on マイページ.
    assert browser.path() == "/mypage"
    assert browser.h1 == "マイページ"
    assert f"{WEB_RESIDENT['name']} さん" in browser.nav_text
    record = browser.summary()
    assert record["氏名"] == WEB_RESIDENT["name"]
    assert record["フリガナ"] == WEB_RESIDENT["kana"]  # the hiragana was turned into katakana
    assert record["住所"] == WEB_RESIDENT["address"]
    assert record["地区"] == "平取"
    assert record["電話番号"] == "（未登録）"
    assert record["ログインID"] == WEB_RESIDENT["login"]
    browser.screenshot("03-resident-mypage")

    browser.log_out()
    assert browser.path() == "/?signed_out=1"
    assert "ログアウトしました。" in browser.main_text
    assert "さん" not in browser.nav_text
    browser.go("/mypage")
    assert browser.path() == "/login", "マイページ must ask for a login after logging out"

    browser.resident_log_in(WEB_RESIDENT["login"].upper(), PASSWORD)  # e-mail login IDs ignore case
    assert browser.path() == "/mypage"
    assert f"{WEB_RESIDENT['name']} さん" in browser.nav_text

    browser.follow("登録内容を変更する")
    assert browser.h1 == "登録内容の変更"
    assert browser.value("氏名（漢字）") == WEB_RESIDENT["name"]
    assert browser.value("電話番号（任意）") == ""
    browser.fill("電話番号（任意）", "01457-2-1234").press("保存する")
    assert browser.path() == "/profile?saved=1"
    assert "登録内容を保存しました。" in browser.main_text
    assert browser.value("電話番号（任意）") in ("01457-2-1234", "0145721234")
    browser.screenshot("04-resident-profile-saved")

    browser.follow("マイページへ戻る")
    assert browser.summary()["電話番号"] in ("01457-2-1234", "0145721234")


def test_wrong_password_and_unknown_login_id_look_the_same(browser, server):
    demo_login, demo_password = server.demo["resident"]

    browser.resident_log_in(demo_login, demo_password + "-wrong")
    assert browser.path() == "/login"
    wrong_password = (browser.title, browser.main_text)
    assert "ログインIDまたはパスワードが正しくありません。" in wrong_password[1]
    assert browser.value("ログインID") == demo_login
    browser.screenshot("05-resident-login-rejected")

    browser.resident_log_in("nobody-here@example.jp", demo_password)
    assert browser.path() == "/login"
    unknown_login = (browser.title, browser.main_text)

    assert unknown_login == wrong_password, "the two rejections must not tell an ID that exists from one that does not"
    link = browser.driver.find_element(By.CSS_SELECTOR, ".error-summary a")
    assert link.get_attribute("href").endswith("#login_id")

    # And the right password still works afterwards.
    browser.resident_log_in(demo_login, demo_password)
    assert browser.path() == "/mypage"
    assert "平取 花子 さん" in browser.nav_text
