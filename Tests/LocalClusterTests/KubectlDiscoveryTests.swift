import AsyncHTTPClient
import Foundation
import KubeClient
import NIOCore
import NIOFoundationCompat
import RingmasterTesting
import Testing
@testable import LocalCluster

/// Discovery as kubectl 1.37 reads it: aggregated discovery on `/api` and
/// `/apis`, with categories, short names, singular names, verbs and
/// subresources, for built-in and custom kinds.
@Suite struct KubectlDiscoveryTests {
    static let aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

    /// kubectl with a discovery cache of its own (`name` under the data directory), so
    /// no earlier run, and no other cluster on the same port, answers for this one.
    @discardableResult
    static func kubectl(_ cluster: LocalClusterFixture, cache name: String, _ arguments: [String], input: String? = nil,
                        allowFailure: Bool = false) async throws -> ProcessResult {
        let cache = cluster.dataDirectory.appendingPathComponent("kubectl-cache-\(name)").path
        return try await KubectlAcceptanceTests.kubectl(
            cluster, ["--cache-dir", cache] + arguments, input: input, allowFailure: allowFailure)
    }

    static func raw(_ cluster: LocalClusterFixture, _ path: String, accept: String) async throws -> (contentType: String, body: JSONValue) {
        var request = try APITestClient(cluster).makeRequest(path)
        request.headers.add(name: "Accept", value: accept)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        #expect(response.status == .ok)
        return (response.headers.first(name: "Content-Type") ?? "", try JSONCoding.decode(Data(buffer: body)))
    }

    static func resource(_ document: JSONValue, group: String, version: String, _ plural: String) -> JSONValue? {
        let item = document["items"]?.arrayValue?.first { ($0["metadata"]?["name"]?.stringValue ?? "") == group }
        let versionEntry = item?["versions"]?.arrayValue?.first { $0["version"]?.stringValue == version }
        return versionEntry?["resources"]?.arrayValue?.first { $0["resource"]?.stringValue == plural }
    }

    // MARK: The documents

    @Test(arguments: [
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", true),
        ("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", true),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", false),
        ("application/json, */*", false),
        ("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false),
        ("", false),
    ])
    func aggregatedDiscoveryIsServedToClientsThatAskForIt(accept: String, aggregated: Bool) {
        #expect(Discovery.wantsAggregated(accept) == aggregated)
    }

    @Test func theAggregatedDocumentsDescribeEveryResourceAsTheLegacyOnesDo() async throws {
        let cluster = try await KubectlAcceptanceTests.startWithCRD()
        let core = try await Self.raw(cluster, "/api", accept: Self.aggregatedAccept)
        #expect(core.contentType == Discovery.aggregatedContentType)
        #expect(core.body["kind"]?.stringValue == "APIGroupDiscoveryList")
        #expect(core.body["apiVersion"]?.stringValue == "apidiscovery.k8s.io/v2")
        #expect(core.body["items"]?.arrayValue?.count == 1)
        let pods = try #require(Self.resource(core.body, group: "", version: "v1", "pods"))
        #expect(pods["scope"]?.stringValue == "Namespaced")
        #expect(pods["singularResource"]?.stringValue == "pod")
        #expect(pods["responseKind"] == .object(["group": .string(""), "version": .string("v1"), "kind": .string("Pod")]))
        #expect(pods["shortNames"] == .array([.string("po")]))
        #expect(pods["categories"] == .array([.string("all")]))
        let subresources = (pods["subresources"]?.arrayValue ?? []).compactMap { $0["subresource"]?.stringValue }
        #expect(subresources == ["status", "log", "binding"])
        let namespaces = try #require(Self.resource(core.body, group: "", version: "v1", "namespaces"))
        #expect(namespaces["scope"]?.stringValue == "Cluster")
        #expect(namespaces["verbs"]?.arrayValue?.contains(.string("deletecollection")) == false)

        let groups = try await Self.raw(cluster, "/apis", accept: Self.aggregatedAccept)
        #expect(groups.contentType == Discovery.aggregatedContentType)
        let jobs = try #require(Self.resource(groups.body, group: "ringmaster.dev", version: "v1alpha1", "trainingjobs"))
        #expect(jobs["categories"] == .array([.string("ringmaster")]))
        #expect(jobs["shortNames"] == .array([.string("tj")]))
        #expect(jobs["singularResource"]?.stringValue == "trainingjob")
        #expect(jobs["responseKind"]?["kind"]?.stringValue == "TrainingJob")
        #expect(jobs["verbs"]?.arrayValue?.count == 8)
        #expect(jobs["subresources"]?.arrayValue?.first?["subresource"]?.stringValue == "status")
        let item = groups.body["items"]?.arrayValue?.first { $0["metadata"]?["name"]?.stringValue == "ringmaster.dev" }
        #expect(item?["versions"]?.arrayValue?.first?["freshness"]?.stringValue == "Current")
        #expect(Self.resource(groups.body, group: "apps", version: "v1", "deployments")?["categories"] == .array([.string("all")]))

        // Every resource of the legacy documents is in the aggregated ones, with the same facts.
        let legacyGroups = try await Self.raw(cluster, "/apis", accept: "application/json")
        #expect(legacyGroups.contentType == "application/json")
        #expect(legacyGroups.body["kind"]?.stringValue == "APIGroupList")
        for group in legacyGroups.body["groups"]?.arrayValue ?? [] {
            for version in group["versions"]?.arrayValue ?? [] {
                let groupVersion = version["groupVersion"]?.stringValue ?? ""
                let list = try await Self.raw(cluster, "/apis/\(groupVersion)", accept: "application/json").body
                for legacy in list["resources"]?.arrayValue ?? [] where !(legacy["name"]?.stringValue ?? "/").contains("/") {
                    let aggregated = Self.resource(
                        groups.body, group: group["name"]?.stringValue ?? "", version: version["version"]?.stringValue ?? "",
                        legacy["name"]?.stringValue ?? "")
                    #expect(aggregated?["verbs"] == legacy["verbs"], "\(groupVersion) \(legacy)")
                    #expect(aggregated?["shortNames"] == legacy["shortNames"])
                    #expect(aggregated?["categories"] == legacy["categories"])
                    #expect(aggregated?["singularResource"] == legacy["singularName"])
                }
            }
        }
        try await cluster.shutdown()
    }

    // MARK: kubectl

    @Test func kubectlGetRingmasterListsTrainingJobsThroughTheCategory() async throws {
        let cluster = try await KubectlAcceptanceTests.startWithCRD()
        try await KubectlAcceptanceTests.kubectl(cluster, ["apply", "-f", KubectlAcceptanceTests.samplePath])
        let result = try await Self.kubectl(cluster, cache: "fresh", ["get", "ringmaster", "-v=6"])
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true && lines.first?.contains("PHASE") == true, "\(result.combinedOutput)")
        #expect(lines.dropFirst().map { $0.split(separator: " ").first } == ["fashion-mnist"])
        // kubectl read the aggregated documents: /api and /apis, and no per-group-version list.
        #expect(result.standardError.contains("/apis?timeout"))
        #expect(!result.standardError.contains("/apis/ringmaster.dev/v1alpha1?timeout"), "\(result.standardError)")

        let names = try await Self.kubectl(cluster, cache: "fresh", ["api-resources", "--categories", "ringmaster", "-o", "name"])
        #expect(names.standardOutput.split(separator: "\n") == ["trainingjobs.ringmaster.dev"])
        let wide = try await Self.kubectl(cluster, cache: "fresh", ["api-resources", "--api-group", "ringmaster.dev", "-o", "wide"])
        #expect(wide.standardOutput.contains("tj"))
        let row = wide.standardOutput.split(separator: "\n").dropFirst().first?.split(separator: " ").map(String.init) ?? []
        #expect(row == ["trainingjobs", "tj", "ringmaster.dev/v1alpha1", "true", "TrainingJob",
                        "create,delete,deletecollection,get,list,patch,update,watch", "ringmaster"], "\(wide.standardOutput)")
        try await cluster.shutdown()
    }

    @Test func kubectlGetAllListsPodsServicesAndDeployments() async throws {
        let cluster = try await LocalClusterFixture.start()
        let objects = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0}
            spec: {containers: [{name: main, image: busybox}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api}
            spec:
              selector: {matchLabels: {app: api}}
              template:
                metadata: {labels: {app: api}}
                spec: {containers: [{name: main, image: busybox}]}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            """
        try await Self.kubectl(cluster, cache: "all", ["apply", "-f", "-"], input: objects)
        let all = try await Self.kubectl(cluster, cache: "all", ["get", "all", "-o", "name"])
        #expect(Set(all.standardOutput.split(separator: "\n").map(String.init)) == [
            "pod/web-0", "service/web", "deployment.apps/api",
        ], "\(all.combinedOutput)")
        try await cluster.shutdown()
    }
}
