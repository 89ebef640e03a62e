import Foundation

/// Headers on every response. The CSP allows only same-origin resources and no framing: pages are
/// server-rendered and work without JavaScript, so nothing legitimate needs more.
enum SecurityHeaders {
    /// The same headers as C strings made once, so sending them costs no conversion per response.
    /// Never freed: they live as long as the process.
    nonisolated(unsafe) static let cStrings: [(UnsafePointer<CChar>, UnsafePointer<CChar>)] = all.map {
        (UnsafePointer(strdup($0.0)!), UnsafePointer(strdup($0.1)!))
    }

    static let all: [(String, String)] = [
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
}
