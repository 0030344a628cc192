import KubeClient
import TrainingJobAPI

extension TrainingJob {
    /// The controller owner reference every owned child carries
    /// (`blockOwnerDeletion`, so foreground deletion waits for children).
    public var controllerReference: OwnerReference {
        OwnerReference(
            apiVersion: Self.descriptor.apiVersion, kind: Self.descriptor.kind,
            name: metadata.name ?? "", uid: metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
    }

    /// Names of this job's children.
    public var childNames: ChildNames { ChildNames(job: metadata.name ?? "") }

    /// Whether `meta` names this job as its controller.
    public func controls(_ meta: ObjectMeta) -> Bool {
        guard let uid = metadata.uid else { return false }
        return (meta.ownerReferences ?? []).contains { $0.uid == uid && $0.controller == true }
    }

    /// The metadata of an owned child called `name`.
    func childMetadata(_ name: String, labels extra: [String: String] = [:], owned: Bool = true) -> ObjectMeta {
        var labels = [TrainingJobLabels.jobName: metadata.name ?? ""]
        for (key, value) in extra { labels[key] = value }
        return ObjectMeta(
            name: name, namespace: metadata.namespace, labels: labels,
            ownerReferences: owned ? [controllerReference] : nil)
    }
}
