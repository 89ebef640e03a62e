import Foundation

/// Headers on every response. Pages are server-rendered and work without JavaScript, so nothing legitimate
/// needs more than same-origin resources and no framing.
///
/// HTML documents get the full set. Everything else (JSON, CSV, CSS, images, downloads) gets what still
/// means something for a resource that is not rendered as a page: a CSP that allows nothing and forbids
/// framing, `nosniff` and the referrer policy. Permissions-Policy, COOP and X-Frame-Options only act on
/// documents, and each header costs libmicrohttpd three allocations per response.
enum SecurityHeaders {
    static let document: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
                + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        // Paths never carry personal data by rule, but a referrer would still tell other sites what a
        // resident was doing at the town office.
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    /// `document` with framing allowed from this origin only, for responses that set
    /// `allowsSameOriginFraming`; every other header is the same.
    static let sameOriginFramedDocument: [(String, String)] = document.map { name, value in
        switch name {
        case "Content-Security-Policy":
            (name, value.replacingOccurrences(of: "frame-ancestors 'none'", with: "frame-ancestors 'self'"))
        case "X-Frame-Options": (name, "SAMEORIGIN")
        default: (name, value)
        }
    }

    static let resource: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]

    /// The same headers as C strings made once, so sending them costs no conversion per response.
    /// Never freed: they live as long as the process.
    nonisolated(unsafe) static let documentCStrings = cStrings(document)
    nonisolated(unsafe) static let resourceCStrings = cStrings(resource)
    nonisolated(unsafe) static let sameOriginFramedDocumentCStrings = cStrings(sameOriginFramedDocument)

    private static func cStrings(_ headers: [(String, String)]) -> [(UnsafePointer<CChar>, UnsafePointer<CChar>)] {
        headers.map { (UnsafePointer(strdup($0.0)!), UnsafePointer(strdup($0.1)!)) }
    }
}
