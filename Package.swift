// swift-tools-version:6.0
// Ringmaster: a Kubernetes operator for distributed data-parallel training.
import PackageDescription

let package = Package(
    name: "Ringmaster",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ringmaster-operator", targets: ["ringmaster-operator"]),
        .executable(name: "ringmaster-worker", targets: ["ringmaster-worker"]),
        .executable(name: "ringmaster", targets: ["ringmaster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: Kubernetes client and controller machinery (knows nothing of training)
        .target(
            name: "KubeClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ControllerRuntime",
            dependencies: [
                "KubeClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: The TrainingJob API and its controller
        .target(
            name: "TrainingJobAPI",
            dependencies: [
                "KubeClient",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "TrainingJobController",
            dependencies: [
                "KubeClient",
                "ControllerRuntime",
                "TrainingJobAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // MARK: The training runtime (knows nothing of Kubernetes)
        .target(
            name: "Collective",
            dependencies: [
                "COpenBLAS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Training",
            dependencies: [
                "COpenBLAS",
                "CZlib",
                "Collective",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The inference server (Open Inference Protocol V2 over REST; shares the model code with Training)
        .target(
            name: "Serving",
            dependencies: [
                "COpenBLAS",
                "Training",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: A single-machine Kubernetes for development, demos and tests
        .target(
            name: "LocalCluster",
            dependencies: [
                "KubeClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Executables
        .executableTarget(
            name: "ringmaster-operator",
            dependencies: [
                "KubeClient",
                "ControllerRuntime",
                "TrainingJobController",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ringmaster-worker",
            dependencies: [
                "Collective",
                "Training",
                "Serving",
                "KubeClient",
                "TrainingJobAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ringmaster",
            dependencies: [
                "KubeClient",
                "ControllerRuntime",
                "TrainingJobAPI",
                "TrainingJobController",
                "LocalCluster",
                "Collective",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Test support (fixtures shared by the test targets)
        .target(
            name: "RingmasterTesting",
            dependencies: [
                "KubeClient",
                "LocalCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // MARK: Tests
        .testTarget(name: "TrainingJobAPITests", dependencies: ["TrainingJobAPI", "KubeClient", "RingmasterTesting"]),
        .testTarget(
            name: "KubeClientTests",
            dependencies: [
                "KubeClient", "RingmasterTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .testTarget(
            name: "ControllerRuntimeTests",
            dependencies: [
                "ControllerRuntime", "KubeClient", "RingmasterTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(
            name: "TrainingJobControllerTests",
            dependencies: [
                "TrainingJobController", "TrainingJobAPI", "ControllerRuntime", "KubeClient", "LocalCluster", "RingmasterTesting",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "CollectiveTests", dependencies: ["Collective", "Training"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "Collective", "KubeClient", "TrainingJobAPI", "RingmasterTesting",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "Serving", "Training", "Collective", "RingmasterTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "LocalClusterTests",
            dependencies: [
                "LocalCluster", "KubeClient", "TrainingJobAPI", "RingmasterTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["RingmasterTesting", "KubeClient", "LocalCluster", "Training", "TrainingJobAPI", .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
