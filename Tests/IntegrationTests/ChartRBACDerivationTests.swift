import Foundation
import RingmasterTesting
import KubeClient
import Testing

/// Turning a client's request log into RBAC permissions, the basis of the
/// audit that compares what the operator and the workers really call with
/// what the chart grants.
@Suite("RBAC derived from requests")
struct ChartRBACDerivationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        var path: String
        var expected: String?
        var testDescription: String { "\(method) \(path)" }
    }

    static let cases: [Case] = [
        Case(method: "GET", path: "/apis/ringmaster.dev/v1alpha1/trainingjobs?limit=500", expected: "ringmaster.dev trainingjobs list"),
        Case(method: "GET", path: "/apis/ringmaster.dev/v1alpha1/trainingjobs?watch=true&resourceVersion=12&allowWatchBookmarks=true",
             expected: "ringmaster.dev trainingjobs watch"),
        Case(method: "GET", path: "/apis/ringmaster.dev/v1alpha1/watch/namespaces/ns/trainingjobs", expected: "ringmaster.dev trainingjobs watch"),
        Case(method: "GET", path: "/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/job", expected: "ringmaster.dev trainingjobs get"),
        Case(method: "PATCH", path: "/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/job/status", expected: "ringmaster.dev trainingjobs/status patch"),
        Case(method: "PUT", path: "/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/job/status", expected: "ringmaster.dev trainingjobs/status update"),
        Case(method: "DELETE", path: "/apis/ringmaster.dev/v1alpha1/namespaces/ns/trainingjobs/job", expected: "ringmaster.dev trainingjobs delete"),
        Case(method: "POST", path: "/api/v1/namespaces/ns/pods", expected: "core pods create"),
        Case(method: "DELETE", path: "/api/v1/namespaces/ns/pods/job-worker-0", expected: "core pods delete"),
        Case(method: "DELETE", path: "/api/v1/namespaces/ns/pods?labelSelector=a%3Db", expected: "core pods deletecollection"),
        Case(method: "GET", path: "/api/v1/pods?watch=1", expected: "core pods watch"),
        Case(method: "GET", path: "/api/v1/namespaces/ns/pods/job-worker-0/log", expected: "core pods/log get"),
        Case(method: "POST", path: "/apis/events.k8s.io/v1/namespaces/ns/events", expected: "events.k8s.io events create"),
        Case(method: "PUT", path: "/apis/coordination.k8s.io/v1/namespaces/system/leases/ringmaster", expected: "coordination.k8s.io leases update"),
        Case(method: "GET", path: "/api/v1/namespaces/ns", expected: "core namespaces get"),
        Case(method: "GET", path: "/api/v1/namespaces", expected: "core namespaces list"),
        Case(method: "GET", path: "/version", expected: nil),
        Case(method: "GET", path: "/apis", expected: nil),
        Case(method: "GET", path: "/healthz", expected: nil),
    ]

    @Test("a request maps to the permission the authorizer checks", arguments: cases)
    func mapsRequest(_ testCase: Case) {
        #expect(RBACPermission.fromRequest(method: testCase.method, path: testCase.path)?.description == testCase.expected)
    }

    @Test("a RequestRecord of the client maps like its path")
    func mapsRecord() {
        let records = [
            RequestRecord(method: "PATCH", verb: "patch", group: "ringmaster.dev", version: "v1alpha1", resource: "trainingjobs",
                          subresource: "status", pathTemplate: "/apis/ringmaster.dev/v1alpha1/namespaces/{namespace}/trainingjobs/{name}/status",
                          namespace: "ns", statusCode: 200),
            RequestRecord(method: "POST", verb: "create", group: "", version: "v1", resource: "secrets", subresource: nil,
                          pathTemplate: "/api/v1/namespaces/{namespace}/secrets", namespace: "ns", statusCode: 201),
            RequestRecord(method: "GET", verb: "list", group: "", version: "v1", resource: "pods", subresource: nil,
                          pathTemplate: "/api/v1/pods", namespace: nil, statusCode: 200),
        ]
        for record in records {
            #expect(RBACPermission(record) == RBACPermission.fromRequest(method: record.method, path: record.pathTemplate), "\(record)")
        }
    }

    @Test("the audit reports what is used but not granted, and granted but unused")
    func audit() async throws {
        let chart = try await ChartRBACAudit.chartGrants()
        let createPods = RBACPermission(apiGroup: "", resource: "pods", verb: "create")
        let updateLease = RBACPermission(apiGroup: "coordination.k8s.io", resource: "leases", verb: "update")
        let listNodes = RBACPermission(apiGroup: "", resource: "nodes", verb: "list")

        let result = RBACPermission.audit(used: [createPods, updateLease, listNodes], granted: chart.manager)
        #expect(result.missing == [listNodes])
        #expect(!result.unused.contains(createPods) && !result.unused.contains(updateLease))
        #expect(result.unused.count == chart.manager.count - 2)
        #expect(result.unused == result.unused.sorted())
    }
}
