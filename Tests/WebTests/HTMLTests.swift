import Foundation
import TestSupport
import Testing
import Web

@Suite("HTML builder: escaped by default, raw markup only through trustedMarkup")
struct HTMLTests {
    static let hostile = #"<script>alert("x")</script> & 'quoted' <b onmouseover=x>"#

    @Test func text_isEscaped_whetherGivenAsAStringOrANode() {
        let html = el("p") {
            Self.hostile
            Node.text(Self.hostile)
        }.render()
        let escaped =
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; &lt;b onmouseover=x&gt;"
        #expect(html == "<p>" + escaped + escaped + "</p>")
    }

    @Test func attributeValues_areEscaped_onElementsAndVoidElements() {
        let link = el("a", .href("\" onclick=\"steal()"), .class("<x>")) { "リンク" }.render()
        #expect(link == #"<a href="&quot; onclick=&quot;steal()" class="&lt;x&gt;">リンク</a>"#)
        let input = void("input", Attribute("value", Self.hostile), .flag("required")).render()
        #expect(!input.dropFirst().dropLast().contains("<"))
        #expect(input.hasSuffix(" required>"))
        #expect(input.components(separatedBy: "\"").count == 3, "the value cannot close its own quotes")
    }

    @Test func anyString_rendersAsText_andAsAnAttribute_withoutMarkupCharacters() {
        var random = SeededGenerator(seed: 0x5eed_0f_7e57)
        let alphabet = Array("<>&\"'=/ ;#amp;lt;gt;quot;x平取ｶﾅ\n\t") + ["\u{0}", "\u{202E}"]
        for _ in 0..<2_000 {
            let value = String((0..<random.below(24)).map { _ in random.pick(alphabet) })
            let text = Node.text(value).render()
            let attribute = void("i", Attribute("title", value)).render()
            let attributeValue = attribute.dropFirst(#"<i title=""#.count).dropLast(#"">"#.count)
            for rendered in [Substring(text), attributeValue] {
                #expect(!rendered.contains { "<>\"'".contains($0) }, "\(value.debugDescription) → \(rendered)")
                #expect(Self.unescape(String(rendered)) == value, "\(value.debugDescription) round-trips")
            }
        }
    }

    @Test func trustedMarkup_isEmittedAsIs_andIsTheOnlyWayToDoSo() throws {
        #expect(Node.trustedMarkup("<br>").render() == "<br>")
        #expect(Node.text("<br>").render() == "&lt;br&gt;")
        // `.trusted` is the case trustedMarkup wraps; nothing else in Sources/ may build one directly.
        let sources = RepositoryPaths.root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var offenders: [String] = []
        for case let file as URL in files where file.pathExtension == "swift" {
            let code = try String(contentsOf: file, encoding: .utf8)
            if file.path.hasSuffix("Sources/Web/HTML.swift") { continue }
            if code.contains(".trusted(") || code.contains("Node.trusted") { offenders.append(file.lastPathComponent) }
        }
        #expect(offenders.isEmpty, "raw markup outside Node.trustedMarkup: \(offenders)")
    }

    @Test func builderControlFlow_keepsOrder_andSkipsWhatIsAbsent() {
        let items = ["一", "二"]
        let missing: String? = nil
        let html = el("ul") {
            for item in items { el("li") { item } }
            if let missing { el("li") { missing } }
            if items.isEmpty { el("li") { "なし" } } else { el("li") { "以上" } }
        }.render()
        #expect(html == "<ul><li>一</li><li>二</li><li>以上</li></ul>")
    }

    static func unescape(_ html: String) -> String {
        var result = html
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            result = result.replacingOccurrences(of: entity, with: character)
        }
        return result
    }
}
