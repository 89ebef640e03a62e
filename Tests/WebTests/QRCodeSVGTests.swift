import Formats
import Foundation
import TestSupport
import Testing
import Web

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("QR code as SVG: one path of dark modules over white, a quiet zone, an escaped title")
struct QRCodeSVGTests {
    static let ticketURL = "https://madoguchi.example/tickets/AbC123xyz"

    @Test func svg_isWellFormedXML_onePathOverAWhiteSquare_withTheQuietZoneInTheViewBox() throws {
        let code = try QRCode(text: Self.ticketURL)
        let outline = try SVGOutline(parsing: code.svg(title: "受付番号の QR コード", size: .millimetres(30)))
        let side = String(code.size + 8)

        #expect(outline.elements.map(\.name) == ["svg", "title", "rect", "path"])
        let svg = outline.elements[0].attributes
        #expect(svg["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(svg["viewBox"] == "0 0 \(side) \(side)")
        #expect(svg["width"] == "30mm" && svg["height"] == "30mm")
        #expect(svg["shape-rendering"] == "crispEdges")
        #expect(svg["role"] == "img")
        #expect(svg["class"] == "qr-code")
        #expect(outline.title == "受付番号の QR コード")
        // The white square covers the whole viewBox, quiet zone included, whatever the page behind it.
        let square = outline.elements[2].attributes
        #expect(square["width"] == side && square["height"] == side && square["fill"] == "#fff")
        #expect(square["x"] == nil && square["y"] == nil)
        #expect(outline.elements[3].attributes["fill"] == "#000")
    }

    @Test(arguments: [QRCodeSVG.Size.pixels(200), .rem(12)])
    func sizes_onScreen_areCSSLengths(size: QRCodeSVG.Size) throws {
        let outline = try SVGOutline(parsing: QRCode(text: Self.ticketURL).svg(title: "QR", size: size))
        let width = try #require(outline.elements.first?.attributes["width"])
        #expect(width == (size == .pixels(200) ? "200px" : "12rem"))
        #expect(outline.elements.first?.attributes["height"] == width)
    }

    /// The path, drawn cell by cell, is exactly the symbol shifted by the quiet zone, and a reader reads it.
    @Test(arguments: [Self.ticketURL, "びらとり健康教室（振内会場）12月2日"])
    func path_drawsExactlyTheDarkModules_insideTheQuietZone_andZbarReadsIt(text: String) throws {
        let code = try QRCode(text: text)
        let outline = try SVGOutline(parsing: code.svg(title: "QR", size: .millimetres(25)))
        let pathData = try #require(outline.elements.last?.attributes["d"])
        let drawn = try Self.cells(ofPath: pathData)
        let side = code.size + 8
        for y in 0..<side {
            for x in 0..<side {
                let expected =
                    (4..<code.size + 4).contains(x) && (4..<code.size + 4).contains(y)
                    && code.isDark(x: x - 4, y: y - 4)
                #expect(drawn.contains([x, y]) == expected, "module (\(x), \(y)) of the viewBox")
            }
        }
        let decoded = try QRCodeTools.zbarDecode(size: side) { drawn.contains([$0, $1]) }
        #expect(decoded == text)
    }

    @Test func title_isEscaped_andReadsBackAsGiven() throws {
        let title = #"窓口の呼び出し </title><script>alert("x")</script> & 'よ'"#
        let markup = try QRCode(text: Self.ticketURL).svg(title: title, size: .millimetres(30))
        #expect(!markup.contains("<script>"))
        #expect(markup.contains("&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;よ&#39;"))
        #expect(try SVGOutline(parsing: markup).title == title)
    }

    @Test func svgNode_putsTheSameMarkupInAPage() throws {
        let code = try QRCode(text: Self.ticketURL)
        let page = el("div", .class("ticket")) { code.svgNode(title: "QR", size: .millimetres(30)) }.render()
        #expect(page == #"<div class="ticket">"# + code.svg(title: "QR", size: .millimetres(30)) + "</div>")
    }

    @Test func stylesheet_holdsQRCodesBlackOnWhite_againstPageColoursAndForcedColours() {
        #expect(Stylesheet.css.contains("svg.qr-code { forced-color-adjust: none; print-color-adjust: exact;"))
        #expect(Stylesheet.css.contains("svg.qr-code .qr-light { fill: #fff; }"))
        #expect(Stylesheet.css.contains("svg.qr-code .qr-dark { fill: #000; }"))
    }

    /// The cells the path fills. It must be nothing but `M x,y h n v1 h-n z` rectangles, one row high, which do
    /// not overlap: anything else in `d` fails here.
    static func cells(ofPath pathData: String) throws -> Set<[Int]> {
        try #require(pathData.wholeMatch(of: /(?:M\d+,\d+h\d+v1h-\d+z)+/) != nil, "unexpected path syntax")
        var cells = Set<[Int]>()
        for match in pathData.matches(of: /M(\d+),(\d+)h(\d+)v1h-(\d+)z/) {
            let x = Int(match.1)!
            let y = Int(match.2)!
            let width = Int(match.3)!
            try #require(width > 0 && Int(match.4)! == width, "a run closes on itself")
            for column in x..<x + width {
                let (inserted, _) = cells.insert([column, y])
                try #require(inserted, "runs overlap at (\(column), \(y))")
            }
        }
        return cells
    }
}

/// The elements of an SVG document in order, with their attributes and the title's text, read by Foundation's
/// XML parser: markup that is not well-formed XML throws.
final class SVGOutline: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
    }

    struct NotWellFormed: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var elements: [Element] = []
    private(set) var title = ""
    private var insideTitle = false

    init(parsing markup: String) throws {
        super.init()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw NotWellFormed(description: parser.parserError.map { "\($0)" } ?? "XMLParser refused the markup")
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        elements.append(Element(name: elementName, attributes: attributes))
        insideTitle = elementName == "title"
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        insideTitle = false
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if insideTitle { title += string }
    }
}
