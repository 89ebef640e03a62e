"""Paying a certificate-sized fee online, JavaScript off, at phone width: the demo resident finds the fee on
マイページ, goes through Madoguchi's sandbox checkout (no card fields: a method and a button), comes back to
マイページ and prints the 領収書. At desk width, a clerk takes a fee in cash at the counter and a supervisor refunds
part of it, through the staff console's pages."""

import re

from selenium.webdriver.common.by import By

from conftest import CLERK, DEMO_RESIDENT_NAME, SUPERVISOR, at_desk

FEE = "戸籍全部事項証明書 1通"
AMOUNT = "450円"


def payments_item(browser, text, state):
    """The first of マイページ's payments for `text` in `state`. The certificates demo data has a request with
    the same fee awaiting payment, so there can be more than one such line; the test pays whichever is first."""
    items = browser.driver.find_elements(
        By.XPATH,
        f"//ul[contains(@class,'payments')]/li[contains(normalize-space(.), '{text}')]"
        f"[contains(normalize-space(.), '{AMOUNT}：{state}')]")
    assert items, f"マイページ lists no payment for {text!r} in state {state!r}"
    return items[0]


def test_resident_pays_a_certificate_fee_in_the_sandbox_and_sees_the_receipt(browser, server):
    login, password = server.demo["resident"]
    browser.resident_log_in(login, password)
    browser.go("/mypage")
    paid_before = len(browser.driver.find_elements(
        By.XPATH, f"//ul[contains(@class,'payments')]/li[contains(normalize-space(.), '{AMOUNT}：支払済み')]"))
    item = payments_item(browser, FEE, "お支払い待ち")
    link = item.find_element(By.XPATH, ".//a[normalize-space(.)='支払う']")
    browser._navigate_by(link, "link '支払う'")

    assert browser.h1 == "お支払い"
    assert browser.summary()["金額"] == AMOUNT
    assert browser.summary()["状況"] == "お支払い待ち"
    assert "カード番号などは役場のシステムには送られません" in browser.main_text
    browser.check_page()
    browser.press("支払いへ進む")

    assert browser.h1 == "テスト決済（サンドボックス）"
    assert browser.path().startswith("/payments/sandbox/")
    assert not browser.driver.find_elements(By.XPATH, "//input[@type='text' or @type='tel' or @type='number']"), (
        "the checkout asks for no card data"
    )
    browser.check_page()
    browser.choose("QRコード決済")
    browser.press("支払う")

    # The checkout returns to the fee's own page: マイページ for a fee without one, the request's status page
    # for a certificate request's fee.
    assert browser.path() == "/mypage" or re.fullmatch(r"/certificates/\d+", browser.path())
    browser.go("/mypage")
    paid = browser.driver.find_elements(
        By.XPATH, f"//ul[contains(@class,'payments')]/li[contains(normalize-space(.), '{AMOUNT}：支払済み')]")
    assert len(paid) == paid_before + 1, "exactly the fee just paid turned 支払済み"
    item = payments_item(browser, FEE, "支払済み")
    receipt_link = item.find_element(By.XPATH, ".//a[starts-with(normalize-space(.), '領収書')]")
    number = re.search(r"R\d{4}-\d{6}", receipt_link.text).group(0)
    assert any("【領収書】お支払いを受け付けました" in li.text and number in li.text
               for li in browser.driver.find_elements(By.XPATH, "//main//li"))
    browser._navigate_by(receipt_link, "the receipt link")

    assert browser.h1 == "領収書"
    text = browser.main_text
    assert f"No. {number}" in text
    assert "￥450－" in text
    assert f"{DEMO_RESIDENT_NAME} 様" in text
    assert f"但し　{FEE}（証明書手数料）として" in text
    assert browser.summary()["お支払い方法"] == "QRコード決済"
    browser.check_page()




def test_a_clerk_takes_a_hall_fee_in_cash_and_a_supervisor_refunds_part_of_it(server, open_browser):
    """At the counter, at desk width: the 町民課 clerk records the demo resident's 町民体育館 fee paid in cash
    (1,000円 handed over, 400円 change), then the supervisor refunds 200円 of it over the desk."""
    browser = at_desk(open_browser("clerk"))
    browser.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    browser.go("/staff/payments")
    assert browser.h1 == "お支払い"
    row = browser.driver.find_element(
        By.XPATH, "//table//tr[td[contains(., '町民体育館 使用料（2時間）')] and td[normalize-space(.)='お支払い待ち']]")
    browser.tap(row.find_element(By.XPATH, "./td[1]/a"), "the fee's number")
    assert browser.summary()["金額"] == "600円"
    assert "返金する" not in browser.main_text
    browser.choose("窓口現金").fill("お預かり金額（円）（任意）", "1000").press("受領を記録する")

    assert "窓口での受領を記録しました。" in browser.main_text
    summary = browser.summary()
    assert (summary["状況"], summary["支払方法"]) == ("支払済み", "窓口現金")
    assert (summary["お預かり"], summary["おつり"]) == ("1,000円", "400円")
    counter_page = browser.path().split("?")[0]

    browser = at_desk(open_browser("supervisor"))
    browser.staff_log_in(SUPERVISOR["login"], server.staff[SUPERVISOR["login"]])
    browser.go(counter_page)
    assert browser.summary()["返金可能額"] == "600円"
    browser.fill("返金額（円）", "200").fill("返金理由", "使用時間の短縮（1時間分）").press("返金を記録する")

    assert "返金を記録しました。" in browser.main_text
    assert browser.summary()["返金可能額"] == "400円"
    refund = browser.driver.find_element(By.CSS_SELECTOR, "table.refunds tbody tr")
    assert refund.find_element(By.CSS_SELECTOR, "td.cash-handed-back").text == "200円"
    browser.check_page()
