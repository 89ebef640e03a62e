"""証明書 and 番号札, JavaScript off: the demo resident requests a 住民票 on a phone and pays in the sandbox; the
町民課 clerk, at desk width, claims it, prepares it and marks it ready; the resident sees 交付準備完了. A clerk
enters the request of a resident standing at the counter (書かない), which heads the queue. Another visitor takes a
ticket at /kiosk, follows it on a phone-sized page, and is called."""

from selenium.webdriver.common.by import By

from conftest import CLERK, at_desk



def test_a_resident_requests_a_juminhyo_pays_online_and_the_clerk_makes_it_ready(server, open_browser):
    resident = open_browser("resident")
    login, password = server.demo["resident"]
    resident.resident_log_in(login, password)
    resident.go("/certificates")
    assert resident.h1 == "証明書の請求"
    resident.follow("住民票の写し")
    assert resident.h1 == "住民票の写しの請求"
    resident.fill("通数", "11").choose("本人").choose("窓口で受け取る").choose("オンラインで支払う")
    resident.press("確認画面へ進む")
    assert "通数は1通から10通までの数字で入力してください。" in resident.main_text
    resident.fill("通数", "2").press("確認画面へ進む")
    assert resident.h1 == "請求内容の確認"
    assert resident.summary()["手数料の合計"] == "600円"
    resident.press("請求して支払いへ進む")
    assert "600円" in resident.main_text
    resident.press("支払いへ進む")
    assert resident.h1 == "テスト決済（サンドボックス）"
    resident.press("支払う")
    request_path = resident.path()
    assert request_path.startswith("/certificates/"), request_path
    assert resident.summary()["状況"] == "受付済み（支払済み）"
    request_id = request_path.split("/")[2].split("?")[0]

    clerk = at_desk(open_browser("clerk"))
    clerk.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    clerk.go("/staff/certificates")
    assert clerk.h1 == "証明書の請求一覧"
    clerk.follow(f"#{request_id}")
    clerk.press("担当する")
    assert "この請求はあなたが担当しています" in clerk.main_text
    # The lease heartbeat is a frame of its own (the page never reloads): the browser must be allowed to show it.
    clerk.driver.switch_to.frame(clerk.driver.find_element(By.CSS_SELECTOR, "iframe.lease-heartbeat"))
    assert clerk.driver.find_element(By.ID, "lease").text.startswith("担当期限 ")
    clerk.driver.switch_to.default_content()
    clerk.press("準備を始める")
    assert clerk.summary()["状況"] == "準備中"
    clerk.press("交付準備完了にする")
    assert clerk.summary()["状況"] == "交付準備完了"

    resident.go(request_path.split("?")[0])
    assert resident.summary()["状況"] == "交付準備完了"
    resident.go("/mypage")
    assert "交付準備完了" in resident.main_text


def test_a_clerk_enters_the_request_of_a_resident_at_the_counter_and_it_heads_the_queue(server, open_browser):
    clerk = at_desk(open_browser("clerk"))
    clerk.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    clerk.go("/staff/certificates")
    clerk.follow("窓口に来た方の請求を入力する（書かない窓口）")
    assert clerk.h1 == "窓口での請求（書かない窓口）"
    clerk.select("証明書", "住民票の写し").fill("氏名またはフリガナ（任意）", "ビラトリ").fill("生年月日（任意）", "1950-04-01")
    clerk.press("住民を探す")
    clerk.follow("この方の請求を入力する")
    assert clerk.h1 == "住民票の写しの請求"
    assert "平取 花子 様" in clerk.main_text
    clerk.fill("通数", "1").choose("本人").choose("窓口で受け取る")
    clerk.press("確認画面へ進む")
    assert clerk.h1 == "請求内容の確認"
    clerk.press("請求する")
    assert "窓口での請求を受け付けました" in clerk.main_text
    first_row = clerk.driver.find_element(By.CSS_SELECTOR, "tbody tr")
    assert "窓口で待機中" in first_row.text and "平取 花子" in first_row.text, first_row.text


def test_a_visitor_takes_a_ticket_at_the_kiosk_follows_it_and_is_called(server, open_browser):
    kiosk = open_browser("kiosk")
    kiosk.go("/kiosk")
    assert kiosk.h1 == "番号札をお取りください"
    kiosk.press("税の証明")
    number = kiosk.driver.find_element(By.ID, "ticket-number").text
    assert number.startswith("B-"), number
    follow_path = kiosk.driver.find_element(By.LINK_TEXT, "順番を確かめるページ").get_attribute("href")

    phone = open_browser("visitor")
    phone.driver.get(follow_path)
    phone._settle()
    assert phone.h1 == f"番号札 {number}"
    ahead = int(phone.driver.find_element(By.ID, "position").text.split("：")[1].rstrip("人"))
    assert "待ち時間の目安" in phone.main_text

    clerk = at_desk(open_browser("clerk"))
    clerk.staff_log_in(CLERK["login"], server.staff[CLERK["login"]])
    for _ in range(ahead + 1):
        clerk.go("/staff/tickets")
        section = clerk.driver.find_element(By.XPATH, "//section[h2[normalize-space(.)='2番窓口']]")
        clerk.tap(section.find_element(By.XPATH, ".//button[normalize-space(.)='次の方を呼び出す']"), "呼び出す")
    phone.driver.refresh()
    phone._settle()
    assert "呼び出し中です。2番窓口へお越しください。" in phone.main_text

    board = open_browser("board")
    board.go("/board")
    assert number in board.driver.find_element(By.TAG_NAME, "main").text
