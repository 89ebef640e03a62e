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

        // Core tier.
        .target(name: "Store", dependencies: ["CSQLite", "CCrypto"]),
        .target(name: "HTTP", dependencies: ["CMicroHTTPD", "CCrypto"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "Web", dependencies: ["HTTP"]),
        .target(name: "Security", dependencies: ["Store", "CCrypto"]),
        // Accounts, sessions, CSRF and roles: infrastructure every domain module may use.
        .target(name: "Identity", dependencies: ["Store", "HTTP", "Security", "Web"]),

        // Domain modules: they never import each other; they meet in the Store's tables and in App.
        .target(name: "Notices", dependencies: ["Store", "HTTP", "HTTPClient", "Security", "Web", "Identity"]),
        .target(name: "Applications", dependencies: ["Store", "HTTP", "Security", "Web", "Identity"]),

        // Wiring and the executable.
        .target(
            name: "App", dependencies: ["Store", "HTTP", "Web", "Security", "Identity", "Notices", "Applications"]),
        .executableTarget(
            name: "madoguchi",
            dependencies: ["App", "Store", "HTTP", "Security", "Identity", "Notices", "Applications"]),

        // Tests mirror Sources; TestSupport holds fixtures, the live test server and fake peers.
        .target(
            name: "TestSupport", dependencies: ["Store", "HTTP", "HTTPClient", "App", "Security", "Identity"],
            path: "Tests/TestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "HTTPClient", "TestSupport"]),
        .testTarget(name: "WebTests", dependencies: ["Web", "HTTP", "HTTPClient", "TestSupport"]),
        .testTarget(name: "AppTests", dependencies: ["App", "Web", "Notices", "Security", "TestSupport"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security", "TestSupport"]),
        .testTarget(
            name: "IdentityTests",
            dependencies: ["Identity", "App", "Security", "Store", "HTTP", "HTTPClient", "Web", "TestSupport"]),
        .testTarget(
            name: "NoticesTests",
            dependencies: ["Notices", "Identity", "Security", "Store", "HTTP", "HTTPClient", "TestSupport"],
            // Read at run time by path: LINE's OpenAPI spec and the validator script.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ApplicationsTests",
            dependencies: [
                "Applications", "App", "Identity", "Security", "Store", "HTTP", "HTTPClient", "Web", "TestSupport",
            ]),
        .testTarget(
            name: "MadoguchiCLITests",
            dependencies: ["TestSupport", "HTTPClient", "Store", "Security", "Identity", "Notices", "Applications"]),
        .executableTarget(name: "fake-line-api", dependencies: ["TestSupport"], path: "Tests/FakeLINEServer"),
    ],
    swiftLanguageModes: [.v6]
)
