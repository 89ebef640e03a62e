"""スマホ教室 with JavaScript off: a guest signs up on a phone, staff sign up a caller, and staff take attendance
on a tablet and close it, which the KPI dashboard's classes cards count. The demo data gives the sessions (all
three districts, one full with a waitlist)."""

import re

from selenium.webdriver.common.by import By

from conftest import CLERK, SUPERVISOR, printed_page, set_viewport

TABLET = (800, 1280)
# The KPI dashboard's two classes cards: 開催回数 (session_held events) and 参加者数 (attended events).
CLASS_CARDS = ("smartphone_classes", "class_attendees")


def as_tablet(browser):
    set_viewport(browser.driver, *TABLET, mobile=True)
    return browser


def test_a_guest_signs_up_on_a_phone_with_name_kana_and_phone(browser):
    browser.go("/classes")
    assert browser.h1 == "スマホ教室"
    text = browser.main_text
    for district in ("平取地区", "振内地区", "貫気別地区"):
        assert district in text
    assert "満席です。キャンセル待ちで申し込めます" in text, "the demo's full 振内 class shows it is full"
    browser.screenshot("60-classes-listing")
    browser.follow("はじめてのスマホ教室")
    assert browser.h1 == "はじめてのスマホ教室"
    assert "平取町中央生活館" in browser.main_text

    # No phone number: the form says so beside the field, and nothing is signed up.
    browser.fill("お名前", "本町 ヨシ").fill("フリガナ", "ほんちょう よし").choose("自分のスマホを持っていく")
    browser.press("この教室に申し込む")
    assert "電話番号を入力してください。" in browser.main_text
    assert browser.title.startswith("エラー：")

    browser.fill("電話番号", "01457-2-3456").choose("貸出スマホを借りたい")
    browser.screenshot("61-classes-signup-form")
    browser.press("この教室に申し込む")
    assert browser.h1 == "お申し込みを受け付けました"
    assert "参加が決まりました。貸出スマホをご用意します。" in browser.main_text
    browser.screenshot("62-classes-signed-up")
    browser.follow("お申し込みの確認・取り消しのページ")
    assert browser.h1 == "お申し込みの状況"
    assert "参加が決まりました" in browser.main_text


def test_staff_sign_up_a_caller_by_phone_onto_the_waitlist(browser, server):
    browser.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    browser.go("/staff/classes")
    assert browser.h1 == "スマホ教室"
    browser.follow("LINEをはじめよう（振内）")
    assert browser.h1 == "LINEをはじめよう（振内）"
    browser.fill("お名前", "振内 ミツ").fill("電話番号", "01457-3-9999").choose("自分のスマホを持っていく")
    browser.screenshot("63-classes-staff-caller")
    browser.press("申し込みを受け付ける")
    assert "申し込みを受け付けました。" in browser.main_text
    waiting = browser.driver.find_element(By.XPATH, "//h2[starts-with(., 'キャンセル待ち')]/following::table[1]")
    assert "振内 ミツ" in waiting.text, "the full class puts the caller on the waitlist"
    assert "0145739999" in waiting.text


def kpi_class_figures(browser):
    """This fiscal year's figure on each classes card of /staff/kpi, as the number it shows ("3回" → 3)."""
    browser.go("/staff/kpi")
    figures = {}
    for card in CLASS_CARDS:
        value = browser.driver.find_element(By.CSS_SELECTOR, f"#kpi-{card} .kpi-value").text
        match = re.match(r"([\d,]+)", value)
        assert match, f"the {card} card shows no number: {value!r}"
        figures[card] = int(match.group(1).replace(",", ""))
    return figures


def test_staff_take_attendance_on_a_tablet_and_close_it(browser, server):
    # A supervisor, because the KPI dashboard that must show the closed class is theirs to read.
    browser.staff_log_in(SUPERVISOR["login"], server.staff[SUPERVISOR["login"]])
    before = kpi_class_figures(browser)
    browser.go("/staff/classes")
    browser.follow("マイナンバーカードとスマホ")
    session_id = re.fullmatch(r"/staff/classes/(\d+)", browser.path()).group(1)
    browser.fill("お名前", "貫気別 トメ").fill("電話番号", "01457-5-1111").choose("自分のスマホを持っていく")
    browser.press("申し込みを受け付ける")
    as_tablet(browser)
    browser.follow("出欠をとる（タブレット）")
    assert browser.h1 == "出欠：マイナンバーカードとスマホ"
    present = browser.driver.find_element(By.CSS_SELECTOR, "button[aria-label='貫気別 トメさん 出席']")
    assert present.size["height"] >= 48 and present.size["width"] >= 96, "touch targets are big"
    browser.tap(present, "出席")
    row = browser.driver.find_element(By.XPATH, "//li[contains(@class,'attendance-row')][contains(., '貫気別 トメ')]")
    assert "出席" in row.find_element(By.CLASS_NAME, "attendance-state").text
    browser.fill("お名前", "飛び入り サダ").press("追加する")
    assert "当日参加の方を追加しました。" in browser.main_text
    assert "出席 2 人" in browser.main_text
    browser.screenshot("64-classes-attendance-tablet")
    browser.press("出欠を締め切る")
    assert "出欠を締め切り、開催済みにしました。" in browser.main_text
    assert "状態：開催済み" in browser.main_text
    after = kpi_class_figures(browser)
    assert after == {
        "smartphone_classes": before["smartphone_classes"] + 1,
        "class_attendees": before["class_attendees"] + 2,
    }, f"closing one class with 2 present moves the KPI cards by +1 and +2: {before} → {after}"

    # The roster and the flyer print on their own named pages, with no global @page rule to fight over margins.
    # Back to the phone first: the flyer is a resident page, which must fit one.
    browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    for path, root, name in (
        (f"/staff/classes/{session_id}/roster", ".class-roster", "class-roster"),
        (f"/classes/{session_id}/flyer", ".flyer", "class-flyer"),
    ):
        browser.go(path)
        page, rules = printed_page(browser, root)
        assert page == name, f"{path} prints on the named page {name}, not {page!r}"
        assert "" not in rules and rules[name] == "15mm", rules
