"""Every page, signed out, as a resident and as staff: the accessibility basics, and error summaries that lead
to their fields. (Browser.go already runs check_page on each page; this module makes sure every page gets a turn.)"""

import pytest
from selenium.webdriver.common.by import By

from conftest import ADMIN

RESIDENT_PAGES_SIGNED_OUT = ["/", "/register", "/login", "/reset", "/no-such-page"]
RESIDENT_PAGES_SIGNED_IN = ["/", "/mypage", "/profile"]
STAFF_PAGES = [
    "/staff/",
    "/staff/residents",
    "/staff/residents/new",
    "/staff/admin/staff",
    "/staff/audit",
]


def test_javascript_is_really_off(browser):
    browser.driver.get("data:text/html,<title>off</title><script>document.title = 'on'</script>")
    assert browser.driver.title == "off", "the browser ran a script: the no-JavaScript flows would prove nothing"


def test_the_page_check_catches_what_it_is_for(browser):
    browser.driver.get(
        "data:text/html;charset=utf-8,<html lang=en><title>t</title><body style='font-size:14px'>"
        "<label>名前</label><input id=a name=a><input id=b name=b><label for=b>b</label><label for=b>b2</label>"
        "<div style='width:900px'>wide</div></body></html>"
    )
    with pytest.raises(AssertionError) as failure:
        browser.check_page()
    message = str(failure.value)
    for expected in (
        'not "ja"',
        "below 18px",
        '<input name="a"> has 0 <label',
        '<input name="b"> has 2 <label',
        "px wide on a 412px phone",
    ):
        assert expected in message, message


def assert_basics(browser):
    result = browser.check_page()
    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert result["bodySize"] >= 18, f"{browser.path()}: body text is {result['bodySize']}px"
    assert len(browser.driver.find_elements(By.TAG_NAME, "h1")) == 1, f"{browser.path()}: not exactly one <h1>"


def test_resident_pages_meet_the_basics(browser, server):
    for path in RESIDENT_PAGES_SIGNED_OUT:
        browser.go(path)
        assert_basics(browser)
    assert browser.h1 == "ページが見つかりません"

    browser.resident_log_in(*server.demo["resident"])
    assert browser.path() == "/mypage"
    for path in RESIDENT_PAGES_SIGNED_IN:
        browser.go(path)
        assert_basics(browser)


def test_staff_pages_meet_the_basics(browser, server):
    browser.go("/staff/login")
    assert_basics(browser)
    browser.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    for path in STAFF_PAGES:
        browser.go(path)
        assert_basics(browser)


def assert_errors_lead_to_their_fields(browser, expected_fields):
    """Every link in the error summary points at a control on the page, whose message sits in the same field."""
    assert browser.title.startswith("エラー："), browser.title
    links = browser.driver.find_elements(By.CSS_SELECTOR, ".error-summary a")
    targets = [link.get_attribute("href").rsplit("#", 1)[1] for link in links]
    assert targets == expected_fields, targets
    for link, target in zip(links, targets):
        control = browser.driver.find_element(By.ID, target)
        assert control.tag_name in ("input", "select", "textarea"), f"#{target} is a <{control.tag_name}>"
        message = browser.driver.find_element(By.ID, f"{target}-error")
        assert message.is_displayed()
        assert message.text.endswith(link.text), (message.text, link.text)
        wrapper = control.find_element(By.XPATH, "ancestor::div[contains(@class,'field')][1]")
        assert wrapper.find_elements(By.ID, f"{target}-error"), f"#{target}-error is not beside #{target}"
        assert f"{target}-error" in (
            control.get_attribute("aria-describedby")
            or control.find_element(By.XPATH, "ancestor::fieldset[1]").get_attribute("aria-describedby")
            or ""
        ).split()


PROFILE_FIELDS = ["full_name", "full_name_kana", "birth_date", "postal_code", "address", "district", "contact_channel"]


def test_empty_forms_lead_to_every_field(browser, server):
    browser.go("/register").press("登録する")
    assert_errors_lead_to_their_fields(browser, ["login_id", "password"] + PROFILE_FIELDS)

    browser.go("/reset").press("パスワードを設定する")
    assert_errors_lead_to_their_fields(browser, ["login_id", "code", "password"])

    browser.staff_log_in(ADMIN["login"], server.staff[ADMIN["login"]])
    browser.go("/staff/residents/new").press("登録する")
    assert_errors_lead_to_their_fields(browser, ["login_id"] + PROFILE_FIELDS)
    browser.go("/staff/admin/staff").press("追加する")
    assert_errors_lead_to_their_fields(browser, ["login_id", "display_name", "department", "password"])
    browser.go("/staff/residents").press("検索する")
    assert_errors_lead_to_their_fields(browser, ["q"])


def test_error_link_shows_the_label_and_message_with_the_field(browser):
    browser.go("/register").press("登録する")
    browser.driver.find_element(By.CSS_SELECTOR, ".error-summary a[href='#address']").click()
    assert browser.driver.current_url.endswith("#address")
    top_of_screen = browser.driver.execute_script("return window.scrollY")
    label = browser.driver.find_element(By.CSS_SELECTOR, "label[for='address']")
    message = browser.driver.find_element(By.ID, "address-error")
    assert label.rect["y"] >= top_of_screen, "the field's label is above the screen"
    assert message.rect["y"] >= top_of_screen, "the field's error message is above the screen"
