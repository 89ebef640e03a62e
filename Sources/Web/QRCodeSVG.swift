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

    /// The `<svg>` element. `title` is the accessible name (「窓口の呼び出し状況を見る QR コード」); it is escaped.
    public static func render(_ code: QRCode, title: String, size: Size) -> String {
        let side = code.size + 2 * quietZone
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="qr-code" role="img" viewBox="0 0 \(side) \(side)" \
            width="\(size.cssText)" height="\(size.cssText)" shape-rendering="crispEdges">\
            <title>\(Node.text(title).render())</title>\
            <rect class="qr-light" width="\(side)" height="\(side)" fill="#fff"/>\
            <path class="qr-dark" fill="#000" d="\(pathData(code))"/>\
            </svg>
            """
    }

    /// One rectangle per horizontal run of dark modules (`M x,y h n v1 h −n z`), offset by the quiet zone: a
    /// version 10 symbol is about 600 runs against 1,500 dark modules.
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
    /// This code as an inline `<svg>` string; see `QRCodeSVG.render`.
    public func svg(title: String, size: QRCodeSVG.Size) -> String {
        QRCodeSVG.render(self, title: title, size: size)
    }

    /// The same markup as a node for the `el(…)` builder. Trusted because every part is either fixed, a number,
    /// or the title, which `render` escapes.
    public func svgNode(title: String, size: QRCodeSVG.Size) -> Node {
        .trusted(svg(title: title, size: size))
    }
}
