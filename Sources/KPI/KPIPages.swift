import Formats
import Foundation
import Identity
import ServiceKit
import Web

/// The dashboard, the printable report and the entered-figures page. Every page goes through the escaping
/// builder; none shows anything about a person (usage events are pseudonymous counts).
enum KPIPages {
    static let title = "KPI（めざすべき目標値）の進み具合"

    static func asOfText(_ report: KPIReport) -> String {
        "\(Wareki.date(report.asOfDay) ?? report.asOfDay)時点"
    }

    static func navigation(_ report: KPIReport, staff: AuthenticatedStaff) -> Node {
        el("nav", Attribute("aria-label", "KPIメニュー")) {
            el("ul") {
                el("li") { el("a", .href("/staff/kpi?fy=\(report.fiscalYear)")) { "ダッシュボード" } }
                el("li") { el("a", .href("/staff/kpi/report?fy=\(report.fiscalYear)")) { "印刷用の進行管理表" } }
                el("li") { el("a", .href("/staff/kpi/export.csv?fy=\(report.fiscalYear)")) { "CSVをダウンロード" } }
                if staff.role >= .admin {
                    el("li") { el("a", .href("/staff/kpi/figures?fy=\(report.fiscalYear)")) { "実績値の入力" } }
                }
            }
        }
    }

    static func yearSelector(_ report: KPIReport, years: [Int], action: String) -> Node {
        el("form", Attribute("method", "get"), Attribute("action", action), .class("filters")) {
            Form.select(
                name: "fy", label: "年度",
                options: years.map { FormOption(String($0), KPIFormat.fiscalYearLabel($0) + "（\($0)年度）") },
                selected: String(report.fiscalYear), placeholder: nil)
            Form.submit("表示する", secondary: true)
        }
    }

    // MARK: Dashboard

    static func dashboard(_ report: KPIReport, years: [Int], staff: AuthenticatedStaff) -> Page {
        IdentityPages.staffPage(title: "\(title) \(report.fiscalYearLabel)", staff: staff) {
            el("h1") { "\(title)（\(report.fiscalYearLabel)）" }
            navigation(report, staff: staff)
            yearSelector(report, years: years, action: "/staff/kpi")
            el("p") { "\(asOfText(report))の値です。判定は、現状値から令和12年度（R12）、令和17年度（R17）の目標へ引いた直線と比べています。" }
            el("ul", .class("kpi-cards")) {
                for figure in report.indicators { card(figure, report) }
            }
            trend(report)
            districts(report)
            el("p", .class("notice")) { report.guestNote }
        }
    }

    static func judgementBadge(_ judgement: Judgement) -> Node {
        el("span", .class("kpi-judgement kpi-\(judgement.rawValue)")) { judgement.label }
    }

    static func card(_ figure: IndicatorFigure, _ report: KPIReport) -> Node {
        el("li", .class("kpi-card"), .id("kpi-\(figure.id)")) {
            el("h2") {
                if let reference = figure.planReference { el("span", .class("muted")) { reference + " " } }
                figure.label
            }
            el("p", .class("kpi-value")) {
                figure.valueText + " "
                judgementBadge(figure.judgement)
            }
            el("dl", .class("summary")) {
                el("dt") { "現状値" }
                el("dd") { figure.baselineText }
                el("dt") { "目標（R12）" }
                el("dd") { figure.targetR12Text }
                el("dt") { "目標（R17）" }
                el("dd") { figure.targetR17Text }
                if let expected = figure.expected {
                    el("dt") { "今年度の目安" }
                    el("dd") { KPIFormat.value(expected, unit: figure.unit) }
                }
                el("dt") { "達成率" }
                el("dd") { KPIFormat.percent(figure.achievementPercent) }
                if let covered = figure.districtsCovered {
                    el("dt") { "開催地区" }
                    el("dd") { "\(covered)地区" }
                }
                if let cumulative = figure.cumulative, figure.id == "online_users" {
                    el("dt") { "累計（初年度から）" }
                    el("dd") { "\(KPIFormat.grouped(cumulative))人" }
                }
                if let numerator = figure.numeratorValue, let denominator = figure.denominatorValue {
                    el("dt") { "内訳" }
                    el("dd") { "\(KPIFormat.grouped(numerator)) ÷ \(KPIFormat.grouped(denominator))" }
                }
                if let saving = figure.estimatedSavingThousandYen, let pages = figure.paperPagesSaved {
                    el("dt") { "オンライン化による削減の推計" }
                    el("dd") {
                        "\(KPIFormat.number(saving, unit: "千円"))千円（不要になった用紙 \(KPIFormat.grouped(pages))枚）"
                    }
                }
                if figure.id == "line_registration_rate" {
                    el("dt") { "LINEの友だち数（ブロックを除く）" }
                    el("dd") {
                        if let reachable = report.line.reachableFollowers, let day = report.line.followersDay {
                            "\(KPIFormat.grouped(reachable))人（\(Wareki.date(day) ?? day)、LINE公式の統計）"
                        } else {
                            "—（LINEの統計をまだ取得していません）"
                        }
                    }
                }
            }
            if let caveat = figure.caveat { el("p", .class("notice")) { caveat } }
            if let note = figure.note { el("p", .class("muted")) { note } }
            if figure.id == "online_users" { breakdowns(figure) }
        }
    }

    static func breakdowns(_ figure: IndicatorFigure) -> Node {
        .fragment([
            breakdownTable(caption: "経路別（窓口は参考表示で、人数には含みません）", rows: figure.byChannel ?? []),
            breakdownTable(caption: "サービス別", rows: figure.byModule ?? []),
        ])
    }

    static func breakdownTable(caption: String, rows: [Breakdown]) -> Node {
        Table.scrolling(label: caption) {
            el("caption") { caption }
            el("thead") {
                el("tr") {
                    el("th", Attribute("scope", "col")) { "区分" }
                    el("th", Attribute("scope", "col")) { "人数" }
                }
            }
            el("tbody") {
                if rows.isEmpty {
                    el("tr") { el("td", Attribute("colspan", "2")) { "まだ利用はありません。" } }
                }
                for row in rows {
                    el("tr") {
                        el("th", Attribute("scope", "row")) { row.label + (row.counted ? "" : "（含まない）") }
                        el("td") { "\(KPIFormat.grouped(row.value))人" }
                    }
                }
            }
        }
    }

    static func trend(_ report: KPIReport) -> Node {
        guard let users = report.indicator("online_users"), let monthly = users.monthly else { return .fragment([]) }
        let labels = report.months.map(KPIFormat.monthLabel)
        return el("section", .class("kpi-section")) {
            el("h2") { "月別の推移：オンラインで手続きをした人数" }
            KPIChart.bars(
                id: "trend", title: "\(report.fiscalYearLabel)の月別オンライン利用人数",
                description: zip(labels, monthly).map { "\($0) \($1)人" }.joined(separator: "、"), labels: labels,
                values: monthly, unit: "人")
            KPIChart.table(caption: "月別オンライン利用人数（人）", labels: labels, values: monthly, unit: "人")
        }
    }

    static func districts(_ report: KPIReport) -> Node {
        guard let classes = report.indicator("smartphone_classes"), let rows = classes.byDistrict else {
            return .fragment([])
        }
        let labels = rows.map(\.label)
        let values = rows.map(\.value)
        return el("section", .class("kpi-section")) {
            el("h2") { "地区別：スマホ教室等の開催回数" }
            KPIChart.bars(
                id: "districts", title: "\(report.fiscalYearLabel)の地区別スマホ教室開催回数",
                description: zip(labels, values).map { "\($0) \($1)回" }.joined(separator: "、"), labels: labels,
                values: values, unit: "回")
            KPIChart.table(caption: "地区別開催回数（回）", labels: labels, values: values, unit: "回")
        }
    }

    // MARK: Printable report

    static func report(_ report: KPIReport, staff: AuthenticatedStaff) -> Page {
        let planned = report.indicators.filter { $0.planReference != nil }
        let reference = report.indicators.filter { $0.planReference == nil }
        return IdentityPages.staffPage(title: "進行管理表 \(report.fiscalYearLabel)", staff: staff) {
            el("div", .class("kpi-report")) {
                el("h1") { "めざすべき目標値 進行管理表（\(report.fiscalYearLabel)）" }
                el("p", .class("muted")) { "第5章 行政サービス・DX／第3章 広報・広聴　\(asOfText(report))" }
                // Scrolls sideways inside its box on a phone; prints whole on A4.
                Table.scrolling(label: "\(report.fiscalYearLabel)の実績と目標値") {
                    el("caption") { "\(report.fiscalYearLabel)の実績と目標値" }
                    el("thead") {
                        el("tr") {
                            for heading in ["指標", "現状値", "目標値 R12", "目標値 R17", "実績", "達成率", "判定"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for figure in planned {
                            el("tr") {
                                el("th", Attribute("scope", "row")) {
                                    el("span", .class("muted")) { (figure.planReference ?? "") + " " }
                                    figure.label
                                }
                                el("td") { figure.baselineText }
                                el("td") { figure.targetR12Text }
                                el("td") { figure.targetR17Text }
                                el("td") { reportValue(figure) }
                                el("td") { KPIFormat.percent(figure.achievementPercent) }
                                el("td") { figure.judgement.label }
                            }
                        }
                    }
                }
                if !reference.isEmpty {
                    el("h2") { "参考値" }
                    Table.scrolling(label: "目標値のない参考指標") {
                        el("caption") { "目標値のない参考指標" }
                        el("thead") {
                            el("tr") {
                                el("th", Attribute("scope", "col")) { "指標" }
                                el("th", Attribute("scope", "col")) { "実績" }
                            }
                        }
                        el("tbody") {
                            for figure in reference {
                                el("tr") {
                                    el("th", Attribute("scope", "row")) { figure.label }
                                    el("td") { figure.valueText }
                                }
                            }
                        }
                    }
                }
                el("ul", .class("kpi-report-notes")) {
                    el("li") { "判定：現状値から目標値へ引いた直線上の今年度の目安と比べて「順調」「遅れ」。値がないときは「判定不可」。" }
                    el("li") { report.guestNote }
                    for figure in planned {
                        if let caveat = figure.caveat { el("li") { "\(figure.label)：\(caveat)" } }
                    }
                }
            }
        }
    }

    /// The figure, with what the plan's reader needs beside it (districts, the paperless estimate).
    static func reportValue(_ figure: IndicatorFigure) -> String {
        var text = figure.valueText
        if let covered = figure.districtsCovered { text += "（\(covered)地区）" }
        if let saving = figure.estimatedSavingThousandYen {
            text += "（推計削減 \(KPIFormat.number(saving, unit: "千円"))千円）"
        }
        return text
    }

    // MARK: Entered figures

    static func figures(
        fiscalYear: Int, current: [EnteredFigure: Int], values: [EnteredFigure: String]? = nil,
        history: [KPIStore.FigureEntry], years: [Int], errors: FormErrors = FormErrors(), saved: Bool = false,
        staff: AuthenticatedStaff
    ) -> Page {
        let label = KPIFormat.fiscalYearLabel(fiscalYear)
        return IdentityPages.staffPage(title: "実績値の入力 \(label)", staff: staff, errors: errors) {
            el("h1") { "実績値の入力（\(label)）" }
            el("p") { el("a", .href("/staff/kpi?fy=\(fiscalYear)")) { "KPIのダッシュボードへ戻る" } }
            el("form", Attribute("method", "get"), Attribute("action", "/staff/kpi/figures"), .class("filters")) {
                Form.select(
                    name: "fy", label: "年度",
                    options: years.map { FormOption(String($0), KPIFormat.fiscalYearLabel($0) + "（\($0)年度）") },
                    selected: String(fiscalYear), placeholder: nil)
                Form.submit("表示する", secondary: true)
            }
            if saved { el("p", .class("success"), Attribute("role", "status")) { "保存しました。" } }
            Form.errorSummary(errors)
            Form.post(action: "/staff/kpi/figures", csrfToken: staff.csrfToken) {
                Form.hidden(name: "fy", value: String(fiscalYear))
                for figure in EnteredFigure.allCases {
                    Form.text(
                        name: figure.rawValue, label: figure.label,
                        value: values?[figure] ?? current[figure].map(String.init) ?? "",
                        hint: "半角または全角の数字。空欄にすると未入力に戻します。", error: errors[figure.rawValue], optional: true,
                        inputMode: "numeric")
                }
                Form.submit("保存する")
            }
            el("h2") { "変更の履歴" }
            if history.isEmpty {
                el("p") { "まだ入力はありません。" }
            } else {
                Table.scrolling(label: "変更の履歴") {
                    el("caption") { "\(label)の変更の履歴（新しい順）" }
                    el("thead") {
                        el("tr") {
                            for heading in ["日時", "項目", "変更前", "変更後", "入力した職員"] {
                                el("th", Attribute("scope", "col")) { heading }
                            }
                        }
                    }
                    el("tbody") {
                        for entry in history {
                            el("tr") {
                                el("td") { JapanTime.format(entry.enteredAt) }
                                el("td") { entry.figure.label }
                                el("td") { entry.previousValue.map(KPIFormat.grouped) ?? "未入力" }
                                el("td") { entry.value.map(KPIFormat.grouped) ?? "未入力" }
                                el("td") { "職員番号 \(entry.enteredByStaffID)" }
                            }
                        }
                    }
                }
            }
        }
    }
}
