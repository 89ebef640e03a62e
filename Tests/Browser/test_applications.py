"""An online application from first try to approval, JavaScript off, on two phones: the demo resident reports a
broken street light (after a mistake), the demo clerk of 建設水道課 returns it (要訂正) with a message, the resident
corrects and resubmits it, and the clerk approves and completes it. Each step asserts what that person sees."""

import re
from urllib.parse import unquote, unquote_plus

import pytest
from selenium.webdriver.common.by import By

from conftest import DEMO_RESIDENT_NAME

PROCEDURE = "道路・街灯の不具合連絡"
DEPARTMENT = "建設水道課"
DEMO_ADDRESS = "北海道沙流郡平取町本町28番地"
PHONE_TYPED = "090-3141-5926"
PHONE_DIGITS = "09031415926"
LIGHT_NUMBER = "振内-0427"
FIRST_LOCATION = "振内の町道"
FIXED_LOCATION = "振内町12番地の町道、振内郵便局の向かい側"
DETAILS = "街灯が夜になっても点きません。3日前からです。"
RETURN_MESSAGE = "場所の番地が分かりませんでした。近くの番地か目印を書き足して、もう一度送信してください。"
APPROVE_MESSAGE = "現地を確認しました。来週中に球を交換します。"
COMPLETE_TEMPLATE = "完了：手続き完了"
COMPLETE_TEXT = "手続きが完了しました。ご利用ありがとうございました。"
# The reference alphabet leaves out I, O, Q, Z, 0 and 1: ABCD-EFGH.
REFERENCE = re.compile(r"[A-HJ-NPR-Y2-9]{4}-[A-HJ-NPR-Y2-9]{4}")


def never_put_personal_data_in_urls(browser, personal):
    """Checks every page the phone lands on (go, press, follow) for the resident's data in its address."""
    settle = browser._settle

    def settle_and_check():
        settle()
        url = browser.driver.current_url
        readable = {url, unquote(url), unquote_plus(url)}
        leaked = [value for value in personal if any(value in form for form in readable)]
        assert not leaked, f"[{browser.who}] personal data in the address bar: {leaked} in {url}"

    browser._settle = settle_and_check


def my_application(browser, reference):
    """The マイページ list item of one application (the demo resident already has another road report)."""
    items = browser.driver.find_elements(
        By.XPATH, f"//main//li[a][contains(normalize-space(.), '受付番号 {reference}')]"
    )
    assert len(items) == 1, f"マイページ lists {len(items)} applications with reference {reference}"
    return items[0]


def history_of(browser, item):
    """Opens the item's 状況の履歴 (a <details>: a tap opens it, no script) and returns its text."""
    details = item.find_element(By.TAG_NAME, "details")
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    return details.find_element(By.CSS_SELECTOR, "ol.history").text


def town_messages(browser):
    """役場からのお知らせ on マイページ, newest first, as "subject\\nbody" texts."""
    return [li.text for li in browser.driver.find_elements(By.XPATH, "//h3[.='役場からのお知らせ']/following-sibling::ul[1]/li")]


def queue_row(browser, reference):
    rows = [row for row in browser.table() if row.get("受付番号") == reference]
    assert len(rows) == 1, f"the queue lists {len(rows)} rows for {reference}: {browser.table()}"
    return rows[0]


def move(clerk, to, message=None, template=None):
    """Changes the status on the clerk's detail page; the only choice is already selected."""
    choices = clerk.driver.find_elements(By.XPATH, "//fieldset[starts-with(normalize-space(legend),'変更後の状態')]//input[@type='radio']")
    if len(choices) > 1:
        clerk.choose(to)
    else:
        assert clerk.field(to).is_selected(), f"the only next status {to!r} is not preselected"
    if template:
        clerk.select("定型文（任意）", template)
    if message:
        clerk.fill("申請者へのメッセージ（任意）", message)
    clerk.press("状態を変更する")
    assert clerk.path().endswith("?done=moved"), clerk.main_text[:400]
    assert "状態を変更し、申請者へのお知らせを登録しました。" in clerk.main_text
    assert clerk.summary()["状態"] == to


def test_resident_applies_clerk_returns_resident_corrects_clerk_approves(open_browser, server):
    if "clerk" not in server.demo:
        pytest.fail("demo-data printed no 'staff clerk' line: the demo 建設水道課 clerk is needed", pytrace=False)
    resident_login, resident_password = server.demo["resident"]
    clerk_login, clerk_password = server.demo["clerk"]
    personal = [DEMO_RESIDENT_NAME, DEMO_ADDRESS, PHONE_TYPED, PHONE_DIGITS, resident_login]

    resident = open_browser("resident")
    clerk = open_browser("clerk")
    never_put_personal_data_in_urls(resident, personal)
    never_put_personal_data_in_urls(clerk, personal)

    # 1. The resident finds the form from マイページ.
    resident.resident_log_in(resident_login, resident_password)
    assert resident.path() == "/mypage"
    resident.follow("新しく申請する")
    assert resident.path() == "/applications"
    assert resident.h1 == "オンライン申請"
    resident.follow(PROCEDURE)
    assert resident.path() == "/applications/new/road-light-report"
    assert resident.h1 == PROCEDURE
    assert resident.summary()["担当課"] == DEPARTMENT
    assert resident.value("お名前（任意）") == DEMO_RESIDENT_NAME, "the name is filled in from the profile"

    # The street-light number is a conditional field: without script it is always shown, and says when it applies.
    light = resident.field("街灯の番号（柱の札に記載）（任意）")
    hint = resident.driver.find_element(By.ID, light.get_attribute("id") + "-hint").text
    assert "「不具合の種類」で「街灯の球切れ・故障」を選んだ場合に入力してください。" in hint

    # First try: 場所 left empty.
    (
        resident.select("不具合の種類", "街灯の球切れ・故障")
        .fill("街灯の番号（柱の札に記載）（任意）", LIGHT_NUMBER)
        .fill("状況", DETAILS)
        .fill("連絡先電話番号（任意）", PHONE_TYPED)
        .press("入力内容を確認する")
    )
    assert resident.path() == "/applications/new/road-light-report"
    assert resident.title.startswith("エラー："), resident.title
    summary = resident.driver.find_element(By.CSS_SELECTOR, ".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert "入力内容に問題があります" in summary.text
    links = summary.find_elements(By.TAG_NAME, "a")
    assert [link.text for link in links] == ["場所を入力してください。"]
    assert links[0].get_attribute("href").endswith("#location")
    location = resident.field("場所")
    message = resident.driver.find_element(By.ID, "location-error")
    assert message.text.endswith("場所を入力してください。")
    assert location.find_element(By.XPATH, "ancestor::div[contains(@class,'field')][1]").find_elements(
        By.ID, "location-error"
    ), "the message is not beside 場所"
    gap = location.location["y"] - (message.location["y"] + message.size["height"])
    assert 0 <= gap < 60, f"the message is {gap}px away from its field"
    assert "location-error" in location.get_attribute("aria-describedby").split()
    assert location.get_attribute("aria-invalid") == "true"
    assert resident.field("状況").get_attribute("aria-invalid") is None, "only the empty field is marked"
    # Everything typed is still there, including the conditional field.
    assert resident.field("不具合の種類").find_element(By.CSS_SELECTOR, "option:checked").text == "街灯の球切れ・故障"
    assert resident.value("街灯の番号（柱の札に記載）（任意）") == LIGHT_NUMBER
    assert resident.value("状況") == DETAILS
    assert resident.value("連絡先電話番号（任意）") in (PHONE_TYPED, PHONE_DIGITS)
    resident.screenshot("30-resident-application-error")

    resident.fill("場所", FIRST_LOCATION).press("入力内容を確認する")
    assert resident.h1 == "入力内容の確認"
    answers = resident.summary()
    assert answers["不具合の種類"] == "街灯の球切れ・故障"
    assert answers["街灯の番号（柱の札に記載）"] == LIGHT_NUMBER
    assert answers["場所"] == FIRST_LOCATION
    assert answers["状況"] == DETAILS
    assert answers["お名前"] == DEMO_RESIDENT_NAME
    assert answers["連絡先電話番号"] in (PHONE_TYPED, PHONE_DIGITS)
    resident.screenshot("31-resident-application-confirm")

    resident.press("申請する")
    assert resident.h1 == "申請を受け付けました"
    reference = resident.driver.find_element(By.CSS_SELECTOR, "p.reference").text
    assert REFERENCE.fullmatch(reference), f"the reference number is {reference!r}"
    assert not resident.driver.find_elements(By.CSS_SELECTOR, ".one-time-code"), "a signed-in resident needs no code"
    assert "担当者が現地を確認し" in resident.main_text  # the procedure's next steps
    resident.screenshot("32-resident-application-complete")

    resident.follow("マイページ", within="nav")
    item = my_application(resident, reference)
    assert item.text.startswith(f"{PROCEDURE}（受付番号 {reference}）：受付済み"), item.text

    # 2. The clerk finds it in the 建設水道課 queue, takes it, starts the review and returns it.
    clerk.staff_log_in(clerk_login, clerk_password)
    assert f"（{DEPARTMENT}・担当者）" in clerk.nav_text
    clerk.follow("申請の一覧を開く")
    assert clerk.path() == "/staff/applications"
    assert clerk.h1 == "申請の審査"
    clerk.select("担当課", DEPARTMENT).press("絞り込む")
    assert clerk.path().startswith("/staff/applications?")
    row = queue_row(clerk, reference)
    assert (row["手続き"], row["状態"], row["担当"]) == (PROCEDURE, "受付済み", "未割当"), row
    assert DEMO_RESIDENT_NAME not in clerk.main_text, "the queue lists no names"
    clerk.screenshot("33-staff-queue")

    clerk.follow(reference)
    assert clerk.h1 == PROCEDURE
    record = clerk.summary()
    assert (record["受付番号"], record["状態"], record["担当"]) == (reference, "受付済み", "未割当"), record
    assert record["受付経路"] == "オンライン（登録住民）"
    assert record["場所"] == FIRST_LOCATION
    assert not clerk.driver.find_elements(By.XPATH, "//h2[.='状態の変更']"), "only the assignee may change the status"
    clerk.press("担当する")
    assert clerk.path().endswith("?done=claimed")
    assert "この申請の担当になりました。" in clerk.main_text
    assert clerk.summary()["担当"] == "デモ担当者"
    application_path = clerk.path().split("?")[0]

    move(clerk, "審査中")
    move(clerk, "要訂正", message=RETURN_MESSAGE)
    assert f"お知らせ：{RETURN_MESSAGE}" in clerk.main_text  # in the staff history
    clerk.screenshot("34-staff-returned")

    # 3. The resident sees the request on マイページ and on the application's page, corrects and resubmits.
    resident.go("/mypage")
    item = my_application(resident, reference)
    assert f"（受付番号 {reference}）：要訂正" in item.text and "訂正をお願いします" in item.text, item.text
    assert f"お知らせ：{RETURN_MESSAGE}" in history_of(resident, item)
    newest = town_messages(resident)[0]
    assert newest.startswith(f"【{PROCEDURE}】申請内容の訂正をお願いします") and RETURN_MESSAGE in newest, newest
    resident.screenshot("35-resident-mypage-returned")

    resident.tap(item.find_element(By.TAG_NAME, "a"), f"link to {reference}")
    assert resident.path() == "/applications/" + reference.replace("-", "")
    assert resident.h1 == PROCEDURE
    status = resident.summary()
    assert (status["受付番号"], status["状態"]) == (reference, "要訂正"), status
    assert "担当課から訂正の依頼があります。" in resident.main_text
    assert f"お知らせ：{RETURN_MESSAGE}" in resident.main_text

    resident.follow("訂正して再送信する")
    assert resident.h1 == f"{PROCEDURE}：申請内容の訂正"
    assert f"担当課からの訂正依頼：{RETURN_MESSAGE}" in resident.main_text
    assert resident.value("場所") == FIRST_LOCATION, "the correction form starts from the answers sent"
    assert resident.value("街灯の番号（柱の札に記載）（任意）") == LIGHT_NUMBER
    assert resident.value("状況") == DETAILS
    resident.fill("場所", FIXED_LOCATION)
    resident.screenshot("36-resident-correction")
    resident.press("訂正して再送信する")
    assert resident.path() == "/applications/" + reference.replace("-", "") + "?done=resubmitted"
    assert "訂正した内容で再送信しました。" in resident.main_text, "the resident is told the correction went through"
    status = resident.summary()
    assert status["状態"] == "受付済み", status
    assert status["場所"] == FIXED_LOCATION
    assert "要訂正 → 受付済み" in resident.main_text
    assert not resident.has_link("訂正して再送信する")

    # 4. The clerk sees it back in the queue, reviews the correction, approves it with a message.
    clerk.follow("一覧へ戻る")
    clerk.select("担当課", DEPARTMENT).press("絞り込む")
    row = queue_row(clerk, reference)
    assert (row["状態"], row["担当"]) == ("受付済み", "デモ担当者"), row
    clerk.follow(reference)
    assert clerk.path() == application_path
    assert clerk.summary()["場所"] == FIXED_LOCATION
    assert "要訂正 → 受付済み（申請者）" in clerk.main_text
    move(clerk, "審査中")
    move(clerk, "承認", message=APPROVE_MESSAGE)
    clerk.screenshot("37-staff-approved")

    resident.go("/mypage")
    item = my_application(resident, reference)
    assert f"（受付番号 {reference}）：承認" in item.text and "訂正をお願いします" not in item.text, item.text
    assert f"お知らせ：{APPROVE_MESSAGE}" in history_of(resident, item)
    newest = town_messages(resident)[0]
    assert newest.startswith(f"【{PROCEDURE}】申請が承認されました") and APPROVE_MESSAGE in newest, newest
    resident.screenshot("38-resident-mypage-approved")

    # The flow has 完了: the clerk closes it with a response template, and the resident sees that too.
    move(clerk, "完了", template=COMPLETE_TEMPLATE)
    assert f"お知らせ：{COMPLETE_TEXT}" in clerk.main_text
    assert not clerk.driver.find_elements(By.XPATH, "//h2[.='状態の変更']"), "a completed application moves no more"

    resident.go("/mypage")
    item = my_application(resident, reference)
    assert f"（受付番号 {reference}）：完了" in item.text, item.text
    history = history_of(resident, item)
    assert f"お知らせ：{APPROVE_MESSAGE}" in history and f"お知らせ：{COMPLETE_TEXT}" in history
    resident.tap(item.find_element(By.TAG_NAME, "a"), f"link to {reference}")
    assert resident.summary()["状態"] == "完了"
    assert not resident.has_link("訂正して再送信する")
    assert not resident.driver.find_elements(By.XPATH, "//button[normalize-space(.)='この申請を取り下げる']")
    resident.screenshot("39-resident-completed")
