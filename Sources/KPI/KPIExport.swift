import Formats
import Foundation

/// Every indicator of a fiscal year as rows: the year's figure, then one row per month for the counted ones.
/// The CSV (through Formats' Excel-safe writer), the CLI's csv and table formats all print these rows.
public enum KPIExport {
    public static let header = ["年度", "和暦", "指標ID", "指標", "単位", "期間", "実績", "目標値R12", "目標値R17", "達成率", "判定"]

    public static func rows(_ report: KPIReport) -> [[String]] {
        var rows: [[String]] = []
        for figure in report.indicators {
            let common = [String(report.fiscalYear), report.fiscalYearLabel, figure.id, figure.label, figure.unit]
            rows.append(
                common + [
                    "年度", figure.value.map { KPIFormat.number($0, unit: figure.unit) } ?? "", figure.targetR12Text,
                    figure.targetR17Text, figure.achievementPercent.map { String(format: "%.1f", $0) } ?? "",
                    figure.judgement.label,
                ])
            for (month, value) in zip(report.months, figure.monthly ?? []) {
                rows.append(common + [month, String(value), "", "", "", ""])
            }
        }
        return rows
    }

    public static func csv(_ report: KPIReport, encoding: CSVWriter.Encoding) -> Data {
        CSVWriter.document([header] + rows(report), encoding: encoding)
    }

    /// The year's figures as aligned text for a terminal: one line per indicator.
    public static func table(_ report: KPIReport) -> String {
        var lines = ["\(report.fiscalYearLabel)（\(report.fiscalYear)年度） \(report.asOfDay)時点"]
        for figure in report.indicators {
            lines.append(
                [
                    figure.planReference ?? "参考", figure.label, figure.valueText, "R12 " + figure.targetR12Text,
                    "R17 " + figure.targetR17Text, "達成率 " + KPIFormat.percent(figure.achievementPercent),
                    figure.judgement.label,
                ].joined(separator: "\t"))
        }
        lines.append(report.guestNote)
        return lines.joined(separator: "\n")
    }
}
