// swift-tools-version:5.9
// LinkageKit: the Rust core as an xcframework (binary target LinkageCoreFFI, built by ../build-xcframework.sh),
// the generated UniFFI Swift bindings (LinkageCore.swift, copied in by the same script) and the thin view
// models / UI strings that mirror the Kotlin shell module.
import PackageDescription

let package = Package(
    name: "LinkageKit",
    defaultLocalization: "zh-Hans",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "LinkageKit", targets: ["LinkageKit"]),
    ],
    targets: [
        .binaryTarget(name: "LinkageCoreFFI", path: "LinkageCoreFFI.xcframework"),
        .target(
            name: "LinkageKit",
            dependencies: ["LinkageCoreFFI"],
            path: "Sources/LinkageKit",
            linkerSettings: [.linkedFramework("SystemConfiguration")]
        ),
        .testTarget(
            name: "LinkageKitTests",
            dependencies: ["LinkageKit"],
            path: "Tests/LinkageKitTests"
        ),
    ]
)
