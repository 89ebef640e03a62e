// swift-tools-version:6.0
// Madoguchi: the town's digital service counter. No package dependencies by rule: only the toolchain,
// Foundation and Debian's C libraries, each wrapped in a systemLibrary target below.
import PackageDescription

let package = Package(
    name: "madoguchi",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "madoguchi", targets: ["madoguchi"])
    ],
    targets: [
        // C tier: module map + shim.h only.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Crypto tier: the one caller of libcrypto (digests, HMAC, PBKDF2, CSPRNG, constant-time comparison).
        .target(name: "Cryptography", dependencies: ["CCrypto"]),
        // Foundation only: Japanese input rules, dates as Japan reads them (和暦, fiscal years), Excel-safe CSV.
        .target(name: "Formats"),

        // Core tier.
        .target(name: "Store", dependencies: ["CSQLite", "Cryptography"]),
        .target(name: "HTTP", dependencies: ["CMicroHTTPD", "Cryptography"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "Web", dependencies: ["HTTP", "Formats"]),
        .target(name: "Security", dependencies: ["Store", "Cryptography", "Formats"]),

        // Shared tier: what every service module is built from (docs/modules.md). The ServiceModule protocol,
        // マイページ sections and dashboard tiles, the writers of the shared tables, CLI command support.
        .target(name: "ServiceKit", dependencies: ["Cryptography", "Formats", "Store", "HTTP", "Web", "Security"]),
        // Accounts, sessions, CSRF and roles: infrastructure every domain module may use, itself a module.
        .target(
            name: "Identity",
            dependencies: ["Cryptography", "Formats", "Store", "HTTP", "Security", "Web", "ServiceKit"]),

        // Domain modules: they never import each other; they meet in the shared tables and in App.
        .target(
            name: "Notices",
            dependencies: [
                "Cryptography", "Formats", "Store", "HTTP", "HTTPClient", "Security", "Web", "ServiceKit", "Identity",
            ]),
        .target(
            name: "Applications",
            dependencies: ["Cryptography", "Formats", "Store", "HTTP", "Security", "Web", "ServiceKit", "Identity"]),
        .target(
            name: "Payments",
            dependencies: [
                "Cryptography", "Formats", "Store", "HTTP", "HTTPClient", "Security", "Web", "ServiceKit", "Identity",
            ]),
        .target(
            name: "KPI",
            dependencies: [
                "Cryptography", "Formats", "Store", "HTTP", "HTTPClient", "Security", "Web", "ServiceKit", "Identity",
            ]),
        .target(
            name: "Certificates",
            dependencies: ["Cryptography", "Formats", "Store", "HTTP", "Security", "Web", "ServiceKit", "Identity"]),

        .target(
            name: "Classes",
            dependencies: ["Cryptography", "Formats", "Store", "HTTP", "Security", "Web", "ServiceKit", "Identity"]),

        // Wiring and the executable.
        .target(
            name: "App",
            dependencies: [
                "Store", "HTTP", "Web", "Security", "ServiceKit", "Identity", "Notices", "Applications",
                "Payments",
                "KPI",
                "Certificates",
                "Classes",
            ]),
        // The executable reaches the domain modules only through App.
        .executableTarget(
            name: "madoguchi", dependencies: ["App", "ServiceKit", "Formats", "Store", "HTTP", "Security"]),

        // Tests mirror Sources; TestSupport holds fixtures, the live test server and fake peers.
        .target(
            name: "TestSupport",
            dependencies: ["Store", "HTTP", "HTTPClient", "App", "Security", "Identity", "Cryptography"],
            path: "Tests/TestSupport"),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography"]),
        .testTarget(name: "FormatsTests", dependencies: ["Formats", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "HTTPClient", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTP", "TestSupport"]),
        .testTarget(
            name: "AppTests", dependencies: ["App", "Web", "Notices", "Cryptography", "Security", "TestSupport"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security", "Cryptography", "TestSupport"]),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: ["ServiceKit", "Cryptography", "Store", "Security", "HTTP", "TestSupport"]),
        .testTarget(name: "WebTests", dependencies: ["Web", "HTTP", "HTTPClient", "TestSupport"]),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity", "App", "Cryptography", "Formats", "Security", "Store", "HTTP", "HTTPClient", "Web",
                "TestSupport",
            ]),
        .testTarget(
            name: "NoticesTests",
            dependencies: ["Notices", "Identity", "Security", "Store", "HTTP", "HTTPClient", "TestSupport"],
            // Read at run time by path: LINE's OpenAPI spec and the validator script.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ApplicationsTests",
            dependencies: [
                "Applications", "App", "Identity", "Cryptography", "Formats", "Security", "Store", "HTTP", "HTTPClient",
                "Web", "TestSupport",
            ]),
        .testTarget(
            name: "CertificatesTests",
            dependencies: [
                "Certificates", "App", "Identity", "Cryptography", "Formats", "Security", "ServiceKit", "Store", "HTTP",
                "HTTPClient", "Web", "TestSupport",
                // Only to prove the ready notice reaches LINE and the fallback list through Notices' delivery.
                "Notices",
            ]),
        .testTarget(
            name: "MadoguchiCLITests",
            dependencies: [
                "TestSupport", "HTTPClient", "Store", "Cryptography", "Security", "ServiceKit", "Identity", "Notices",
                "Applications",
            ]),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "Payments", "App", "Identity", "Cryptography", "Formats", "Security", "ServiceKit", "Store", "HTTP",
                "HTTPClient", "Web", "TestSupport",
            ],
            // Read at run time by path: GOV.UK Pay's OpenAPI spec and the validator script.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "KPITests",
            dependencies: [
                "KPI", "Notices", "App", "Identity", "Formats", "Security", "ServiceKit", "Store", "HTTP", "HTTPClient",
                "TestSupport",
            ]),
        .testTarget(
            name: "ClassesTests",
            dependencies: [
                "Classes", "App", "Identity", "Cryptography", "Formats", "Security", "ServiceKit", "Store", "HTTP",
                "HTTPClient", "Web", "TestSupport",
            ]),
        .executableTarget(name: "fake-line-api", dependencies: ["TestSupport"], path: "Tests/FakeLINEServer"),
    ],
    swiftLanguageModes: [.v6]
)
