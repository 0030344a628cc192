import KubeClient
import Testing
@testable import LocalCluster

/// Validation of built-in objects: which fields, which words, which status.
@Suite struct ObjectValidatorTests {
    static func type(_ plural: String, group: String = "") -> ResourceType {
        ResourceType.builtIn.first { $0.plural == plural && $0.group == group }!
    }

    static func yaml(_ text: String) -> JSONValue { try! YAMLConversion.decode(text) }

    /// The causes of validating `object`, or [] when it is valid.
    static func causes(_ plural: String, group: String = "", _ object: JSONValue, metadataOnly: Bool = false) -> [APIError.Cause] {
        do {
            try ObjectValidator.validate(type(plural, group: group), object, metadataOnly: metadataOnly)
            return []
        } catch let error as APIError {
            #expect(error.code == 422)
            #expect(error.reason == "Invalid")
            return error.causes
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func aTraversalContainerNameGetsTheRealServersAnswer() throws {
        let pod = Self.yaml("""
            metadata: {name: x, namespace: default}
            spec: {containers: [{name: ../x, image: busybox}]}
            """)
        let error = try #require(throws: APIError.self) { try ObjectValidator.validate(Self.type("pods"), pod) }
        #expect(error.code == 422)
        #expect(error.message == "Pod \"x\" is invalid: spec.containers[0].name: Invalid value: \"../x\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        #expect(error.causes == [.init(reason: "FieldValueInvalid", message: "Invalid value: \"../x\": " + NameRulesTests.labelMessage,
                                       field: "spec.containers[0].name")])
        let status = error.status
        #expect(status["kind"]?.stringValue == "Status")
        #expect(status["details"]?["kind"]?.stringValue == "Pod")
        #expect(status["details"]?["causes"]?.arrayValue?.first?["field"]?.stringValue == "spec.containers[0].name")
    }

    @Test func everyPathFieldOfAPodIsChecked() {
        let pod = Self.yaml("""
            metadata: {name: p, namespace: default, labels: {"-bad": ok}}
            spec:
              hostname: a.b
              subdomain: ../svc
              serviceAccountName: Bad_Account
              restartPolicy: Sometimes
              volumes:
              - {name: ../escape, emptyDir: {}}
              - {name: data, emptyDir: {}}
              - {name: data, emptyDir: {}}
              - {name: host, hostPath: {path: ../../etc}}
              - {name: keys, secret: {secretName: s, items: [{key: k, path: ../k}]}}
              initContainers:
              - {name: main, image: busybox}
              containers:
              - name: main
                image: busybox
                ports: [{containerPort: 70000, name: Ring}, {containerPort: 80, protocol: HTTP}]
                env: [{name: "A=B", value: x}, {name: OK, value: y}]
                volumeMounts:
                - {name: missing, mountPath: /m}
                - {name: data, mountPath: relative}
                - {name: data, mountPath: /d, subPath: ../../up}
                - {name: data, mountPath: /d, subPath: /abs}
              - {name: "", image: ""}
            """)
        let causes = Self.causes("pods", pod)
        let fields = Set(causes.map(\.field))
        for field in [
            "metadata.labels", "spec.hostname", "spec.subdomain", "spec.serviceAccountName", "spec.restartPolicy",
            "spec.volumes[0].name", "spec.volumes[2].name", "spec.volumes[3].hostPath.path", "spec.volumes[4].secret.items[0].path",
            "spec.containers[0].name", "spec.containers[0].ports[0].containerPort", "spec.containers[0].ports[0].name",
            "spec.containers[0].ports[1].protocol", "spec.containers[0].env[0].name",
            "spec.containers[0].volumeMounts[0].name", "spec.containers[0].volumeMounts[1].mountPath",
            "spec.containers[0].volumeMounts[3].mountPath", "spec.containers[0].volumeMounts.subPath",
            "spec.containers[1].name", "spec.containers[1].image",
        ] {
            #expect(fields.contains(field), "no cause for \(field): \(causes)")
        }
        let messages = Dictionary(causes.map { ($0.field + " " + $0.message, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(messages["spec.hostname Invalid value: \"a.b\": must not contain dots"] == "FieldValueInvalid")
        #expect(messages["spec.volumes[2].name Duplicate value: \"data\""] == "FieldValueDuplicate")
        #expect(messages["spec.containers[0].name Duplicate value: \"main\""] == "FieldValueDuplicate")
        #expect(messages["spec.containers[0].volumeMounts[0].name Not found: \"missing\""] == "FieldValueNotFound")
        #expect(messages["spec.containers[0].volumeMounts.subPath Invalid value: \"../../up\": must not contain '..'"] == "FieldValueInvalid")
        #expect(messages["spec.containers[0].volumeMounts.subPath Invalid value: \"/abs\": must be a relative path"] == "FieldValueInvalid")
        #expect(messages["spec.containers[0].volumeMounts[3].mountPath Invalid value: \"/d\": must be unique"] == "FieldValueInvalid")
        #expect(messages["spec.containers[0].ports[0].containerPort Invalid value: 70000: must be between 1 and 65535, inclusive"] == "FieldValueInvalid")
        #expect(messages["spec.containers[0].ports[1].protocol Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""] == "FieldValueNotSupported")
        #expect(messages["spec.volumes[3].hostPath.path Invalid value: \"../../etc\": must not contain '..'"] == "FieldValueInvalid")
        #expect(messages["spec.volumes[3].hostPath.path Invalid value: \"../../etc\": must be an absolute path"] == "FieldValueInvalid")
        #expect(messages["spec.containers[1].name Required value"] == "FieldValueRequired")
    }

    @Test func aPodLikeTheOperatorsWorkersIsValid() {
        let pod = Self.yaml("""
            metadata:
              name: mnist-worker-0
              namespace: default
              labels: {ringmaster.dev/job-name: mnist, ringmaster.dev/replica-index: "0"}
              annotations: {ringmaster.dev/restart-count: "0"}
            spec:
              hostname: mnist-worker-0
              subdomain: mnist
              serviceAccountName: mnist-worker
              restartPolicy: Never
              volumes:
              - {name: storage, persistentVolumeClaim: {claimName: mnist-storage}}
              - {name: ring-token, secret: {secretName: mnist-ring-token, defaultMode: 256}}
              containers:
              - name: worker
                image: ghcr.io/ringmaster/worker:latest
                ports: [{containerPort: 29500, name: ring, protocol: TCP}]
                env: [{name: RANK, value: "0"}, {name: MASTER_ADDR, value: mnist-worker-0.mnist}]
                volumeMounts:
                - {name: storage, mountPath: /var/lib/ringmaster, subPath: jobs/mnist}
                - {name: ring-token, mountPath: /etc/ringmaster/ring, readOnly: true}
            """)
        #expect(Self.causes("pods", pod).isEmpty)
    }

    @Test func servicesFollowTheRelaxedLabelRuleAndCheckPorts() {
        let headless = Self.yaml("""
            metadata: {name: 1mnist, namespace: default}
            spec: {clusterIP: None, selector: {a: b}}
            """)
        #expect(Self.causes("services", headless).isEmpty)
        let bad = Self.yaml("""
            metadata: {name: web.app, namespace: default}
            spec:
              ports: [{port: 0}, {port: 80, name: http, targetPort: Web}]
            """)
        let causes = Self.causes("services", bad)
        #expect(causes.map(\.field) == ["metadata.name", "spec.ports[0].name", "spec.ports[0].port", "spec.ports[1].targetPort"])
        #expect(causes.first?.message == "Invalid value: \"web.app\": must not contain dots")
        let portless = Self.yaml("metadata: {name: web, namespace: default}\nspec: {type: ClusterIP}")
        #expect(Self.causes("services", portless).map(\.message) == ["Required value"])
    }

    @Test func secretAndConfigMapKeysMustBeFileNames() {
        let secret = Self.yaml("""
            metadata: {name: s, namespace: default}
            data: {"../token": eA==, ok.key: eA==}
            """)
        let causes = Self.causes("secrets", secret)
        #expect(causes.map(\.field) == ["data[../token]", "data[../token]"])
        #expect(causes.last?.message == "Invalid value: \"../token\": must not start with '..'")
        let configMap = Self.yaml("""
            metadata: {name: c, namespace: default}
            data: {a: x}
            binaryData: {a: eA==, "..": eA==}
            """)
        let fields = Self.causes("configmaps", configMap).map { $0.field + " " + $0.message }
        #expect(fields.contains("binaryData[a] Invalid value: \"a\": duplicate of key present in data"))
        #expect(fields.contains("binaryData[..] Invalid value: \"..\": must not be '..'"))
    }

    @Test func nameRulesFollowTheKind() {
        #expect(ObjectValidator.nameRule(for: Self.type("namespaces")) == .dns1123Label)
        #expect(ObjectValidator.nameRule(for: Self.type("services")) == .dns1123Label)
        #expect(ObjectValidator.nameRule(for: Self.type("pods")) == .dns1123Subdomain)
        #expect(ObjectValidator.nameRule(for: Self.type("clusterroles", group: "rbac.authorization.k8s.io")) == .pathSegment)
        let role = Self.yaml("metadata: {name: \"system:controller:ringmaster\"}\nrules: []")
        #expect(Self.causes("clusterroles", group: "rbac.authorization.k8s.io", role).isEmpty)
        let namespace = Self.yaml("metadata: {name: team.a}")
        #expect(Self.causes("namespaces", namespace).map(\.message) == ["Invalid value: \"team.a\": must not contain dots"])
        let pvc = Self.yaml("metadata: {name: ../claim, namespace: default}\nspec: {}")
        #expect(Self.causes("persistentvolumeclaims", pvc).map(\.field) == ["metadata.name"])
        let generated = Self.yaml("metadata: {generateName: Bad-, name: Bad-x1y2z, namespace: default}\ndata: {}")
        #expect(Self.causes("configmaps", generated).map(\.field) == ["metadata.generateName", "metadata.name"])
    }

    @Test func statusWritesCheckOnlyTheMetadata() {
        let pod = Self.yaml("metadata: {name: p, namespace: default}\nspec: {containers: [{name: ../x, image: i}]}")
        #expect(Self.causes("pods", pod, metadataOnly: true).isEmpty)
        #expect(!Self.causes("pods", pod).isEmpty)
    }

    @Test func deploymentTemplatesAreCheckedAsPods() {
        let deployment = Self.yaml("""
            metadata: {name: web, namespace: default}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: Web, image: nginx}]}
            """)
        #expect(Self.causes("deployments", group: "apps", deployment).map(\.field) == ["spec.template.spec.containers[0].name"])
    }

    @Test func requestNamespacesMustBeLabels() throws {
        let error = try #require(throws: APIError.self) {
            try ObjectValidator.validateRequestNamespace("../kube-system", type: Self.type("configmaps"), name: "c")
        }
        #expect(error.code == 422)
        #expect(error.causes.map(\.field) == ["metadata.namespace"])
        try ObjectValidator.validateRequestNamespace("team-a", type: Self.type("configmaps"), name: "c")
    }
}
