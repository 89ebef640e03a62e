import Testing
import Web

@Suite("Form widgets")
struct FormWidgetTests {
    @Test func textField_tiesLabelHintAndErrorToTheInput() {
        let html = Form.text(name: "address", label: "住所", value: "<b>", hint: "例", error: "住所を入力してください。")
            .render()
        #expect(html.contains("<label for=\"address\">住所<span class=\"required\">（必須）</span></label>"))
        #expect(html.contains("id=\"address\""))
        #expect(html.contains("aria-describedby=\"address-hint address-error\""))
        #expect(html.contains("aria-invalid=\"true\""))
        #expect(html.contains("<p class=\"field-error\" id=\"address-error\">"))
        #expect(html.contains("value=\"&lt;b&gt;\""), "values are escaped")
        #expect(html.contains("class=\"field has-error\""))
    }

    @Test func errorSummary_linksToEachField_andIsEmptyWithoutErrors() {
        var errors = FormErrors()
        errors.add("login_id", "ログインIDを入力してください。")
        errors.add("login_id", "second message for the same field is dropped")
        errors.add("password", "パスワードを入力してください。")
        let html = Form.errorSummary(errors).render()
        #expect(html.contains("<a href=\"#login_id\">ログインIDを入力してください。</a>"))
        #expect(html.contains("<a href=\"#password\">"))
        #expect(!html.contains("dropped"))
        #expect(html.contains("role=\"alert\""))
        #expect(Form.errorSummary(FormErrors()).render() == "")
    }

    @Test func errorSummary_linksLandOnTheFieldsTheyName_withTheMessagesEscaped() {
        var errors = FormErrors()
        errors.add("postal_code", "「<7桁>」で入力してください。")
        errors.add("full_name", "氏名を入力してください。")
        let page = Form.post(action: "/profile", csrfToken: "t") {
            Form.errorSummary(errors)
            Form.text(name: "full_name", label: "氏名（漢字）", error: errors["full_name"])
            Form.text(name: "postal_code", label: "郵便番号", error: errors["postal_code"])
        }.render()
        let summary = String(page[page.range(of: "<div class=\"error-summary\"")!.lowerBound...])
            .components(separatedBy: "</div>")[0]
        #expect(
            page.hasPrefix("<form")
                && page.contains("<input type=\"hidden\" name=\"csrf_token\" value=\"t\"><div class=\"error-summary\""))
        // In the order the errors were found, each link's target is an element on the page.
        let targets = summary.components(separatedBy: "href=\"#").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(targets == ["postal_code", "full_name"])
        for target in targets {
            #expect(page.contains("id=\"\(target)\""), "#\(target) lands nowhere")
            #expect(page.contains("<label for=\"\(target)\">"), "#\(target) has no label tied to it")
        }
        #expect(summary.contains("「&lt;7桁&gt;」で入力してください。"))
        #expect(!page.contains("<7桁>"))
    }

    @Test func everyControl_hasTheLabelThatNamesIt_andOnlyThatOne() {
        let options = [FormOption("a", "一"), FormOption("b", "二"), FormOption("c", "三")]
        let controls: [(String, Node)] = [
            ("login_id", Form.text(name: "login_id", label: "ログインID")),
            ("password", Form.password(name: "password", label: "パスワード")),
            ("birth_date", Form.date(name: "birth_date", label: "生年月日", optional: true)),
            ("district", Form.select(name: "district", label: "地区", options: options)),
        ]
        for (name, control) in controls {
            let html = control.render()
            #expect(html.components(separatedBy: "<label for=").count == 2, "\(name): one label")
            #expect(html.contains("<label for=\"\(name)\">"), "\(name): label for")
            #expect(html.components(separatedBy: " id=\"\(name)\"").count == 2, "\(name): one control with its id")
        }
        let radios = Form.radios(name: "choice", legend: "選択", options: options).render()
        for id in ["choice", "choice-2", "choice-3"] {
            #expect(radios.contains(" id=\"\(id)\""))
            #expect(radios.contains("<label for=\"\(id)\">"), "\(id) has its own label")
        }
        #expect(!radios.contains("aria-describedby"), "nothing to describe without a hint or an error")
        let optional = Form.date(name: "birth_date", label: "生年月日", optional: true).render()
        #expect(optional.contains("<label for=\"birth_date\">生年月日<span class=\"optional\">（任意）</span></label>"))
    }

    @Test func postForm_carriesTheCSRFToken_andPasswordsNeverEchoAValue() {
        let html = Form.post(action: "/profile", csrfToken: "tok\"en") {
            Form.password(name: "password", label: "パスワード")
        }
        .render()
        #expect(html.contains("<form method=\"post\" action=\"/profile\" novalidate>"))
        #expect(html.contains("<input type=\"hidden\" name=\"csrf_token\" value=\"tok&quot;en\">"))
        #expect(!html.contains("name=\"password\" value="))
    }

    @Test func radiosAndSelect_markTheChosenOption() {
        let options = [FormOption("email", "メール"), FormOption("post", "郵便")]
        let radios = Form.radios(name: "contact_channel", legend: "連絡方法", options: options, selected: "post").render()
        #expect(radios.contains("<legend>連絡方法<span class=\"required\">（必須）</span></legend>"))
        #expect(radios.contains("id=\"contact_channel\" name=\"contact_channel\" value=\"email\">"))
        #expect(radios.contains("id=\"contact_channel-2\" name=\"contact_channel\" value=\"post\" checked>"))
        #expect(radios.contains("<label for=\"contact_channel-2\">郵便</label>"))
        let select = Form.select(name: "district", label: "地区", options: options, selected: "email").render()
        #expect(select.contains("<option value=\"email\" selected>メール</option>"))
    }

    // Only 任意 used to be marked, so a resident could not tell which fields had to be filled in.
    @Test func requiredFieldsAreMarked_andChoicesThatAlwaysHaveAValueAreNot() {
        let options = [FormOption("a", "A"), FormOption("b", "B")]
        #expect(
            Form.password(name: "password", label: "パスワード").render().contains(
                "パスワード<span class=\"required\">（必須）</span>"))
        #expect(
            Form.date(name: "d", label: "日付", optional: true).render().contains(
                "日付<span class=\"optional\">（任意）</span>"))
        let chosen = Form.select(name: "s", label: "担当課", options: options, placeholder: nil).render()
        #expect(chosen.contains("<label for=\"s\">担当課</label>"), "no empty choice, nothing to fill in")
        let open = Form.select(name: "s", label: "地区", options: options).render()
        #expect(open.contains("地区<span class=\"required\">（必須）</span>"))
        let optionalRadios = Form.radios(name: "r", legend: "種類", options: options, optional: true).render()
        #expect(optionalRadios.contains("<legend>種類<span class=\"optional\">（任意）</span></legend>"))
        let preset = Form.radios(name: "r", legend: "文字コード", options: options, selected: "a", marked: false).render()
        #expect(preset.contains("<legend>文字コード</legend>"))
    }

    @Test func aFieldsIDCanDifferFromItsName_soRepeatedFormsKeepIDsUnique() {
        let text = Form.text(name: "title", id: "title-3", label: "件名").render()
        #expect(text.contains("<label for=\"title-3\">"))
        #expect(text.contains("id=\"title-3\" name=\"title\""))
        let select = Form.select(name: "to_status", id: "to_status-3", label: "使う場面", options: [], optional: true)
            .render()
        #expect(select.contains("<label for=\"to_status-3\">"))
        #expect(select.contains("<select id=\"to_status-3\" name=\"to_status\">"))
    }
}
