// swift-tools-version: 6.0
import PackageDescription

/// Swiftlet's modules follow ../shared/DESIGN.md: dependencies point only down
/// the table (HTTP and Store know nothing of Lambda; the Control API sits on top).
let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"])
]

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"])
    ],
    targets: [
        // C libraries from Debian, reached through system-library targets.
        .systemLibrary(name: "CHTTPParser", path: "Sources/CHTTPParser"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .target(name: "CSystem", path: "Sources/CSystem"),
        .target(name: "CSandbox", path: "Sources/CSandbox"),

        // Leaf modules.
        .target(name: "Crypto", dependencies: ["CCrypto"], swiftSettings: strict),
        .target(name: "Archive", dependencies: ["CArchive"], swiftSettings: strict),
        .target(name: "HTTP", dependencies: ["CHTTPParser", "CSystem"], swiftSettings: strict),
        .target(name: "Store", dependencies: ["CSQLite", "Crypto"], swiftSettings: strict),
        .target(name: "Sandbox", dependencies: ["CSystem", "CSandbox", "CSeccomp"], swiftSettings: strict),
        .target(name: "Auth", dependencies: ["Crypto"], swiftSettings: strict),

        // The Lambda layers.
        .target(name: "RuntimeAPI", dependencies: ["HTTP"], swiftSettings: strict),
        .target(
            name: "Invoker",
            dependencies: ["Sandbox", "RuntimeAPI", "HTTP", "Store", "CSystem", "Crypto"],
            swiftSettings: strict
        ),
        .target(
            name: "ControlAPI",
            dependencies: ["HTTP", "Store", "Invoker", "Archive", "Crypto", "Auth"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "swiftlet",
            dependencies: ["ControlAPI", "Invoker", "Sandbox", "HTTP", "Store", "Archive", "Crypto", "Auth"],
            swiftSettings: strict
        ),

        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "AuthTests", dependencies: ["Auth", "Crypto"]),
        .testTarget(name: "RuntimeAPITests", dependencies: ["RuntimeAPI", "HTTP"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"]),
        .testTarget(name: "InvokerTests", dependencies: ["Invoker", "Store"]),
        .testTarget(name: "ControlAPITests", dependencies: ["ControlAPI"]),
    ]
)
