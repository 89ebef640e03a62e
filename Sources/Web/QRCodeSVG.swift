import Formats

/// A QR code as inline SVG for a page or a printed ticket or flyer: one `<path>` of dark modules over a white
/// square that includes the 4-module quiet zone readers need (ISO/IEC 18004 §6.3.8), scaled by `viewBox` so it
/// stays sharp at any size. Black on white is fixed in the markup and again in the stylesheet (`svg.qr-code`):
/// a reader needs the contrast whatever colours, dark mode or forced colours the page has.
public enum QRCodeSVG {
    /// Modules of light margin on each side.
    public static let quietZone = 4

    /// The side of the square as a CSS length: millimetres for print, pixels or rem on screen.
    public struct Size: Sendable, Equatable {
        let cssText: String

        public static func millimetres(_ value: Int) -> Size {
            precondition(value > 0, "a QR code needs a positive size")
            return Size(cssText: "\(value)mm")
        }

        public static func pixels(_ value: Int) -> Size {
            precondition(value > 0, "a QR code needs a positive size")
            return Size(cssText: "\(value)px")
        }

        public static func rem(_ value: Int) -> Size {
            precondition(value > 0, "a QR code needs a positive size")
            return Size(cssText: "\(value)rem")
        }
    }

    /// The `<svg>` element. `title` is the accessible name (「窓口の呼び出し状況を見る QR コード」); like every
    /// attribute value it is escaped by the builder. Empty elements get an end tag, so the markup is XML as well
    /// as HTML and can also be saved as an .svg file.
    public static func node(_ code: QRCode, title: String, size: Size) -> Node {
        let side = String(code.size + 2 * quietZone)
        return el(
            "svg", Attribute("xmlns", "http://www.w3.org/2000/svg"), .class("qr-code"), Attribute("role", "img"),
            .viewBox("0 0 \(side) \(side)"), Attribute("width", size.cssText), Attribute("height", size.cssText),
            Attribute("shape-rendering", "crispEdges")
        ) {
            el("title") { title }
            el(
                "rect", .class("qr-light"), Attribute("width", side), Attribute("height", side),
                Attribute("fill", "#fff"))
            el("path", .class("qr-dark"), Attribute("fill", "#000"), Attribute("d", pathData(code)))
        }
    }

    /// One rectangle per horizontal run of dark modules (`M x,y h n v1 h −n z`), offset by the quiet zone: a
    /// version 10 symbol (57 × 57) holds about 830 runs against 1,650 dark modules.
    static func pathData(_ code: QRCode) -> String {
        var data = ""
        for y in 0..<code.size {
            var x = 0
            while x < code.size {
                guard code.isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < code.size && code.isDark(x: x, y: y) { x += 1 }
                data += "M\(start + quietZone),\(y + quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return data
    }
}

extension QRCode {
    /// This code as an inline `<svg>` string; see `QRCodeSVG.node`.
    public func svg(title: String, size: QRCodeSVG.Size) -> String {
        QRCodeSVG.node(self, title: title, size: size).render()
    }

    /// The same markup as a node for a page built with `el(…)`.
    public func svgNode(title: String, size: QRCodeSVG.Size) -> Node {
        QRCodeSVG.node(self, title: title, size: size)
    }
}
