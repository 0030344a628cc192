import Foundation
import KubeClient
@testable import LocalCluster
import Testing

/// The Kubernetes protobuf encoding: round trips per kind, bodies written by
/// kubectl's own (Go) encoder, and what the converter refuses.
@Suite struct ProtobufConverterTests {
    static let meta = """
        metadata:
          name: sample
          namespace: team-a
          uid: 6f1e2d3c-0000-4000-8000-000000000001
          resourceVersion: "42"
          generation: 3
          creationTimestamp: "2026-01-02T03:04:05Z"
          labels: {app: web, tier: "1"}
          annotations: {note: "a b"}
          finalizers: [example.com/keep]
          ownerReferences:
          - {apiVersion: ringmaster.dev/v1alpha1, kind: TrainingJob, name: job, uid: u-1, controller: true, blockOwnerDeletion: false}
          managedFields:
          - {manager: kubectl-create, operation: Update, apiVersion: v1, time: "2026-01-02T03:04:05Z", fieldsType: FieldsV1, fieldsV1: {"f:metadata": {"f:labels": {}}}}
        """

    static let podSpec = """
        restartPolicy: Never
        serviceAccountName: worker
        automountServiceAccountToken: false
        terminationGracePeriodSeconds: 0
        hostname: rank-0
        subdomain: ring
        nodeSelector: {disk: ssd}
        priorityClassName: high
        securityContext: {runAsUser: 0, runAsNonRoot: false, fsGroup: 2000}
        tolerations:
        - {key: gpu, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions: [{key: zone, operator: In, values: [a, b]}]
          podAntiAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 10
              podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}
        initContainers:
        - {name: init, image: busybox, command: [sh, -c, "true"]}
        containers:
        - name: main
          image: ringmaster-worker
          imagePullPolicy: IfNotPresent
          command: [ringmaster-worker]
          args: [--epochs, "2"]
          workingDir: /work
          ports: [{name: ring, containerPort: 29500, protocol: TCP}]
          env:
          - {name: RANK, value: "0"}
          - name: POD_NAME
            valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
          - name: TOKEN
            valueFrom: {secretKeyRef: {name: ring, key: token, optional: false}}
          - name: LIMIT
            valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: "1m"}}
          envFrom: [{configMapRef: {name: settings}, prefix: CFG_}]
          resources:
            limits: {cpu: "2", memory: 1Gi, nvidia.com/gpu: "1"}
            requests: {cpu: 500m, memory: 512Mi}
          volumeMounts:
          - {name: data, mountPath: /data, subPath: run-1, readOnly: true}
          readinessProbe: {httpGet: {path: /healthz, port: 8080, scheme: HTTP}, periodSeconds: 5, failureThreshold: 3}
          livenessProbe: {tcpSocket: {port: ring}, initialDelaySeconds: 1}
          startupProbe: {exec: {command: [cat, /tmp/ready]}}
          securityContext:
            allowPrivilegeEscalation: false
            privileged: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
        volumes:
        - {name: data, persistentVolumeClaim: {claimName: job-data}}
        - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
        - {name: host, hostPath: {path: /tmp/x, type: DirectoryOrCreate}}
        - {name: cfg, configMap: {name: settings, defaultMode: 420, items: [{key: a, path: a.txt}]}}
        - {name: sec, secret: {secretName: ring, defaultMode: 384, optional: true}}
        - name: token
          projected:
            sources:
            - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: api}
            - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
        """

    static func indented(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// An object in YAML, named in test output by its kind.
    struct Fixture: Sendable, CustomTestStringConvertible {
        var yaml: String
        var testDescription: String {
            yaml.split(separator: "\n").first { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) } ?? "object"
        }
    }

    /// One object of each kind the tables serve, as a client or the server would write it.
    static let objects: [Fixture] = [
        Fixture(yaml: "apiVersion: v1\nkind: Namespace\n\(meta)\nspec: {finalizers: [kubernetes]}\nstatus: {phase: Active}"),
        Fixture(yaml: "apiVersion: v1\nkind: ConfigMap\n\(meta)\ndata: {a: '1', b.txt: hello}\nbinaryData: {blob: AAEC/w==}\nimmutable: false"),
        Fixture(yaml: "apiVersion: v1\nkind: Secret\n\(meta)\ntype: kubernetes.io/tls\ndata: {tls.crt: Y2VydA==, tls.key: ''}"),
        Fixture(yaml: "apiVersion: v1\nkind: ServiceAccount\n\(meta)\nsecrets: [{name: token}]\nimagePullSecrets: [{name: registry}]\nautomountServiceAccountToken: true"),
        Fixture(yaml: """
        apiVersion: v1
        kind: Service
        \(meta)
        spec:
          type: ClusterIP
          clusterIP: None
          clusterIPs: [None]
          selector: {app: web}
          publishNotReadyAddresses: true
          ports:
          - {name: http, port: 80, targetPort: http, protocol: TCP}
          - {name: ring, port: 29500, targetPort: 29500, protocol: TCP}
        status: {loadBalancer: {}}
        """),
        Fixture(yaml: """
        apiVersion: v1
        kind: Pod
        \(meta)
        spec:
        \(indented(podSpec, by: 2))
        status:
          phase: Running
          podIP: 10.0.0.2
          startTime: "2026-01-02T03:04:05Z"
          conditions: [{type: Ready, status: "True", lastTransitionTime: "2026-01-02T03:04:06Z"}]
          containerStatuses:
          - name: main
            ready: true
            restartCount: 0
            image: ringmaster-worker
            imageID: ""
            state: {terminated: {exitCode: 0, reason: Completed, startedAt: "2026-01-02T03:04:05Z", finishedAt: "2026-01-02T03:05:05Z"}}
        """),
        Fixture(yaml: """
        apiVersion: apps/v1
        kind: Deployment
        \(meta)
        spec:
          replicas: 0
          selector: {matchLabels: {app: web}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
          template:
            metadata: {labels: {app: web}}
            spec:
        \(indented(podSpec, by: 6))
        status: {}
        """),
        Fixture(yaml: """
        apiVersion: batch/v1
        kind: Job
        \(meta)
        spec:
          backoffLimit: 0
          ttlSecondsAfterFinished: 0
          completions: 1
          parallelism: 1
          suspend: false
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, resources: {}}]
        status: {startTime: "2026-01-02T03:04:05Z", active: 1}
        """),
        Fixture(yaml: """
        apiVersion: batch/v1
        kind: CronJob
        \(meta)
        spec:
          schedule: "*/5 * * * *"
          concurrencyPolicy: Forbid
          successfulJobsHistoryLimit: 0
          jobTemplate:
            metadata: {name: nightly}
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: main, image: busybox}]
        status: {lastScheduleTime: "2026-01-02T03:04:05Z"}
        """),
        Fixture(yaml: """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        \(meta)
        rules:
        - {apiGroups: [ringmaster.dev], resources: [trainingjobs/status], resourceNames: [job], verbs: [get, patch]}
        """),
        Fixture(yaml: """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        \(meta)
        rules:
        - {apiGroups: [""], resources: [pods], verbs: ["*"]}
        - {nonResourceURLs: [/healthz, /version], verbs: [get]}
        aggregationRule: {clusterRoleSelectors: [{matchLabels: {aggregate: "true"}}]}
        """),
        Fixture(yaml: """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        \(meta)
        subjects: [{kind: ServiceAccount, name: worker, namespace: team-a}, {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: worker}
        """),
        Fixture(yaml: """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        \(meta)
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:masters"}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        """),
        Fixture(yaml: "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n\(meta)\nvalue: 0\ndescription: low\npreemptionPolicy: Never"),
        Fixture(yaml: """
        apiVersion: v1
        kind: ResourceQuota
        \(meta)
        spec: {hard: {cpu: "1", pods: "2", requests.memory: 1Gi}, scopes: [NotTerminating]}
        status: {hard: {cpu: "1"}, used: {cpu: "0"}}
        """),
        Fixture(yaml: """
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        \(meta)
        spec: {minAvailable: 0, selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}
        status: {currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0, observedGeneration: 3}
        """),
        Fixture(yaml: """
        apiVersion: authentication.k8s.io/v1
        kind: TokenRequest
        \(meta)
        spec: {audiences: [api], expirationSeconds: 3600, boundObjectRef: {kind: Pod, apiVersion: v1, name: p, uid: u-2}}
        status: {token: abc.def.ghi, expirationTimestamp: "2026-01-02T04:04:05Z"}
        """),
        Fixture(yaml: """
        apiVersion: authentication.k8s.io/v1
        kind: SelfSubjectReview
        metadata: {}
        status:
          userInfo: {username: "system:serviceaccount:team-a:worker", uid: u-3, groups: ["system:serviceaccounts"], extra: {scopes: [a, b], empty: []}}
        """),
        Fixture(yaml: """
        apiVersion: authorization.k8s.io/v1
        kind: SelfSubjectAccessReview
        metadata: {}
        spec: {resourceAttributes: {namespace: team-a, verb: create, resource: pods, subresource: log, name: p}}
        status: {allowed: false, denied: true, reason: no rule}
        """),
        Fixture(yaml: """
        apiVersion: authorization.k8s.io/v1
        kind: SelfSubjectRulesReview
        metadata: {}
        spec: {namespace: team-a}
        status:
          resourceRules: [{verbs: [get], apiGroups: [""], resources: [pods]}]
          nonResourceRules: [{verbs: [get], nonResourceURLs: [/api]}]
          incomplete: false
        """),
        Fixture(yaml: """
        apiVersion: v1
        kind: Status
        metadata: {}
        status: Failure
        message: 'Pod "x" is invalid: spec.containers[0].name: Invalid value'
        reason: Invalid
        code: 422
        details: {name: x, kind: Pod, causes: [{reason: FieldValueInvalid, message: bad, field: "spec.containers[0].name"}]}
        """),
        Fixture(yaml: """
        apiVersion: v1
        kind: DeleteOptions
        gracePeriodSeconds: 0
        propagationPolicy: Foreground
        preconditions: {uid: u-1, resourceVersion: "7"}
        dryRun: [All]
        """),
        Fixture(yaml: """
        apiVersion: v1
        kind: NamespaceList
        metadata: {resourceVersion: "12", continue: next}
        items:
        - metadata: {name: a, creationTimestamp: "2026-01-02T03:04:05Z"}
          status: {phase: Active}
        - metadata: {name: b}
        """),
        Fixture(yaml: """
        apiVersion: coordination.k8s.io/v1
        kind: Lease
        \(meta)
        spec: {holderIdentity: op-1, leaseDurationSeconds: 15, renewTime: "2026-01-02T03:04:05.123456Z", leaseTransitions: 0}
        """),
    ]

    static func object(_ yaml: String) throws -> JSONValue { try YAMLConversion.decode(yaml) }

    @Test(arguments: objects)
    func roundTripsEachKind(_ fixture: Fixture) throws {
        let object = try Self.object(fixture.yaml)
        let encoded = try KubernetesProtobuf.encode(object)
        #expect(Array(encoded.prefix(4)) == [0x6b, 0x38, 0x73, 0x00])
        let decoded = try KubernetesProtobuf.decode(encoded, defaultAPIVersion: "", defaultKind: "")
        #expect(decoded == object, "\(object["kind"]?.stringValue ?? "?"): \(Self.difference(object, decoded))")
    }

    /// The first path where two values differ, for a readable failure.
    static func difference(_ a: JSONValue, _ b: JSONValue, path: String = "") -> String {
        if case .object(let x) = a, case .object(let y) = b {
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                guard let left = x[key], let right = y[key] else { return "\(path).\(key): \(x[key].map { "\($0)" } ?? "missing") vs \(y[key].map { "\($0)" } ?? "missing")" }
                return difference(left, right, path: "\(path).\(key)")
            }
        }
        if case .array(let x) = a, case .array(let y) = b, x.count == y.count {
            for (index, pair) in zip(x, y).enumerated() where pair.0 != pair.1 { return difference(pair.0, pair.1, path: "\(path)[\(index)]") }
        }
        return "\(path): \(a) vs \(b)"
    }

    static func bytes(hex: String) -> Data {
        var data = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            data.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    // Bodies kubectl 1.37.1 sent for `kubectl create ...` (its Go encoder wrote them).

    @Test func decodesKubectlNamespace() throws {
        let body = Self.bytes(hex: "6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d6112001a0022002a0032003800420012001a020a001a002200")
        let object = try KubernetesProtobuf.decode(body, defaultAPIVersion: "", defaultKind: "")
        // Go writes every value field; the zero ones (`generateName: ""`, `generation: 0`,
        // a zero creationTimestamp) are what JSON leaves out.
        #expect(object == .object([
            "apiVersion": .string("v1"), "kind": .string("Namespace"),
            "metadata": .object(["name": .string("team-a")]), "spec": .object([:]), "status": .object([:]),
        ]))
    }

    @Test func decodesKubectlDeploymentKeepingExplicitZeroReplicas() throws {
        let body = Self.bytes(hex: "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412a7010a1b0a016412001a0022002a003200380042005a080a03617070120164127a0800120a0a080a036170701201641a620a1a0a0012001a0022002a003200380042005a080a03617070120164124412260a0762757379626f78120762757379626f782a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200")
        let object = try KubernetesProtobuf.decode(body, defaultAPIVersion: "", defaultKind: "")
        #expect(object["apiVersion"] == .string("apps/v1"))
        #expect(object["kind"] == .string("Deployment"))
        #expect(object["metadata"] == .object(["name": .string("d"), "labels": .object(["app": .string("d")])]))
        #expect(object["spec"]?["replicas"] == .integer(0))
        #expect(object["spec"]?["selector"] == .object(["matchLabels": .object(["app": .string("d")])]))
        let container = try #require(object["spec"]?["template"]?["spec"]?["containers"]?[0])
        #expect(container == .object(["name": .string("busybox"), "image": .string("busybox"), "resources": .object([:])]))
        #expect(object["spec"]?["strategy"] == .object([:]))
        #expect(object["status"] == .object([:]))
    }

    @Test func decodesKubectlSecretServicePDBAndJob() throws {
        let secret = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a016b1201761a00"), defaultAPIVersion: "", defaultKind: "")
        #expect(secret["data"] == .object(["k": .string(Data("v".utf8).base64EncodedString())]))
        #expect(secret["type"] == nil)

        let service = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a0d0a027631120753657276696365126c0a1f0a0377656212001a0022002a003200380042005a0a0a03617070120377656212450a1e0a0738302d6874747012035443501850220a080110001a04687474702800120a0a0361707012037765621a002209436c757374657249503a00420052005a00600068001a020a00"), defaultAPIVersion: "", defaultKind: "")
        #expect(service["spec"]?["type"] == .string("ClusterIP"))
        #expect(service["spec"]?["ports"] == .array([.object(["name": .string("80-http"), "protocol": .string("TCP"), "port": .integer(80), "targetPort": .string("http")])]))

        let budget = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e42756467657412350a110a017012001a0022002a0032003800420012140a06080010001a00120a0a080a036170701201781a0a080018002000280030001a002200"), defaultAPIVersion: "", defaultKind: "")
        #expect(budget["spec"]?["minAvailable"] == .integer(0))
        #expect(budget["spec"]?["selector"]?["matchLabels"] == .object(["app": .string("x")]))

        let job = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a00320038004200126332610a100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200"), defaultAPIVersion: "", defaultKind: "")
        #expect(job["spec"]?["template"]?["spec"]?["restartPolicy"] == .string("Never"))
        #expect(job["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"] == .array([.string("echo"), .string("hi")]))
    }

    @Test func decodesKubectlReviewAndTokenRequests() throws {
        // kubectl auth can-i create pods/log -n team-a (kubectl reads TYPE/NAME: the name is "log")
        let access = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365737352657669657712410a100a0012001a0022002a0032003800420012230a210a067465616d2d6112066372656174651a0022002a04706f647332003a036c6f671a08080012001a002000"), defaultAPIVersion: "", defaultKind: "")
        #expect(access["kind"] == .string("SelfSubjectAccessReview"))
        #expect(access["spec"]?["resourceAttributes"] == .object([
            "namespace": .string("team-a"), "verb": .string("create"), "resource": .string("pods"), "name": .string("log"),
        ]))
        // kubectl auth whoami
        let review = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200"), defaultAPIVersion: "", defaultKind: "")
        #expect(review["apiVersion"] == .string("authentication.k8s.io/v1"))
        #expect(review["status"] == .object(["userInfo": .object([:])]))
        // kubectl create token worker --audience=api --duration=10m
        let token = try KubernetesProtobuf.decode(Self.bytes(hex: "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412220a100a0012001a0022002a0032003800420012080a0361706920d8041a040a001200"), defaultAPIVersion: "", defaultKind: "")
        #expect(token["kind"] == .string("TokenRequest"))
        #expect(token["spec"] == .object(["audiences": .array([.string("api")]), "expirationSeconds": .integer(600)]))
    }

    @Test func rejectsAnUnknownFieldNumberNamingMessageAndField() throws {
        var typeMeta = ProtobufWriter()
        typeMeta.writeStringField(1, "v1")
        typeMeta.writeStringField(2, "ConfigMap")
        var metadata = ProtobufWriter()
        metadata.writeStringField(1, "x")
        metadata.writeVarintField(99, 1)
        var configMap = ProtobufWriter()
        configMap.writeBytesField(1, metadata.bytes)
        var envelope = ProtobufWriter()
        envelope.writeBytesField(1, typeMeta.bytes)
        envelope.writeBytesField(2, configMap.bytes)
        let body = Data(KubernetesProtobuf.magic + envelope.bytes)
        #expect(throws: ProtobufError("unknown field 99 in message ObjectMeta")) {
            try KubernetesProtobuf.decode(body, defaultAPIVersion: "", defaultKind: "")
        }
    }

    @Test func rejectsAnUnknownJSONFieldAndAnUnknownKind() throws {
        let object = try Self.object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndatta: {}")
        #expect(throws: ProtobufError("unknown field \"datta\" in message ConfigMap")) { try KubernetesProtobuf.encode(object) }
        let custom = try Self.object("apiVersion: ringmaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: x}")
        #expect(throws: KubernetesProtobuf.UnknownKind(apiVersion: "ringmaster.dev/v1alpha1", kind: "TrainingJob")) {
            try KubernetesProtobuf.encode(custom)
        }
    }

    @Test func rejectsBodiesThatAreNotKubernetesProtobuf() {
        #expect(throws: ProtobufError.self) { try KubernetesProtobuf.decode(Data("{\"kind\":\"Pod\"}".utf8), defaultAPIVersion: "v1", defaultKind: "Pod") }
        // Truncated: a length that runs past the end.
        #expect(throws: ProtobufError.truncated) { try KubernetesProtobuf.decode(Data(KubernetesProtobuf.magic + [0x0a, 0x10, 0x0a]), defaultAPIVersion: "v1", defaultKind: "Pod") }
    }

    @Test func negativeIntegersAndLargeVarintsSurvive() throws {
        let object = try Self.object("apiVersion: v1\nkind: Namespace\nmetadata: {name: n, generation: 9007199254740993, deletionGracePeriodSeconds: -1}")
        let decoded = try KubernetesProtobuf.decode(try KubernetesProtobuf.encode(object), defaultAPIVersion: "", defaultKind: "")
        #expect(decoded == object)
    }

    @Test(arguments: [
        ("application/vnd.kubernetes.protobuf,application/json", true),
        ("application/vnd.kubernetes.protobuf", true),
        ("application/json, application/vnd.kubernetes.protobuf", false),
        ("application/json", false),
        ("", false),
        ("*/*", false),
        ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", false),
        ("application/json;as=Table;v=v1;g=meta.k8s.io,application/vnd.kubernetes.protobuf,application/json", true),
    ])
    func acceptNegotiation(_ accept: String, _ protobuf: Bool) {
        #expect(KubernetesProtobuf.isPreferred(accept: accept) == protobuf)
    }

    @Test func everyTableMessageResolves() throws {
        let schema = ProtobufSchema.kubernetes
        #expect(schema.message(apiVersion: "v1", kind: "Status")?.shortName == "Status")
        #expect(schema.message(apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions")?.shortName == "DeleteOptions")
        for kind in ["Job", "CronJob"] { #expect(schema.message(apiVersion: "batch/v1", kind: kind) != nil) }
        #expect(schema.message(apiVersion: "policy/v1", kind: "PodDisruptionBudgetList") != nil)
        #expect(schema.message(apiVersion: "ringmaster.dev/v1alpha1", kind: "TrainingJob") == nil)
    }
}

extension JSONValue {
    /// The element `index` of an array, or nil.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
