import Web

/// A bar chart as inline SVG, drawn on the server: no JavaScript, `role="img"` named by its `<title>` and
/// described by its `<desc>`, and the same numbers in a table beside it for screen readers and for print.
enum KPIChart {
    static let width = 640
    static let height = 240
    static let left = 44
    static let bottom = 36
    static let top = 16

    static func bars(id: String, title: String, description: String, labels: [String], values: [Int], unit: String)
        -> Node
    {
        let maximum = max(values.max() ?? 0, 1)
        let plotWidth = width - left - 8
        let plotHeight = height - bottom - top
        let slot = Double(plotWidth) / Double(max(values.count, 1))
        let barWidth = slot * 0.64
        return el("figure", .class("kpi-chart")) {
            el(
                "svg", Attribute("role", "img"), Attribute("viewbox", "0 0 \(width) \(height)"),
                Attribute("aria-labelledby", "\(id)-title \(id)-desc"), Attribute("focusable", "false")
            ) {
                el("title", .id("\(id)-title")) { title }
                el("desc", .id("\(id)-desc")) { description }
                el(
                    "line", Attribute("x1", "\(left)"), Attribute("y1", "\(top + plotHeight)"),
                    Attribute("x2", "\(width - 8)"), Attribute("y2", "\(top + plotHeight)"), .class("axis"))
                el("text", Attribute("x", "\(left - 6)"), Attribute("y", "\(top + 10)"), .class("scale")) {
                    KPIFormat.grouped(maximum)
                }
                el("text", Attribute("x", "\(left - 6)"), Attribute("y", "\(top + plotHeight)"), .class("scale")) {
                    "0"
                }
                for (index, value) in values.enumerated() {
                    let barHeight = Double(plotHeight) * Double(value) / Double(maximum)
                    let x = Double(left) + slot * Double(index) + (slot - barWidth) / 2
                    let y = Double(top + plotHeight) - barHeight
                    el(
                        "rect", Attribute("x", format(x)), Attribute("y", format(y)),
                        Attribute("width", format(barWidth)), Attribute("height", format(barHeight)), .class("bar"))
                    if value > 0 {
                        el(
                            "text", Attribute("x", format(x + barWidth / 2)), Attribute("y", format(max(y - 3, 10))),
                            .class("value")
                        ) { KPIFormat.grouped(value) }
                    }
                    el(
                        "text", Attribute("x", format(x + barWidth / 2)), Attribute("y", "\(height - bottom + 18)"),
                        .class("label")
                    ) { labels[index] }
                }
            }
            el("figcaption") { title }
        }
    }

    /// The chart's numbers as a table (the same data, for screen readers and print).
    static func table(caption: String, labels: [String], values: [Int], unit: String) -> Node {
        Table.scrolling(label: caption) {
            el("caption") { caption }
            el("thead") {
                el("tr") {
                    el("th", Attribute("scope", "col")) { "区分" }
                    el("th", Attribute("scope", "col")) { "値（\(unit)）" }
                }
            }
            el("tbody") {
                for (label, value) in zip(labels, values) {
                    el("tr") {
                        el("th", Attribute("scope", "row")) { label }
                        el("td") { KPIFormat.grouped(value) }
                    }
                }
            }
        }
    }

    static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
