import KubeClient
import TrainingJobAPI

/// The checkpoint and artifact claim: which one the workers mount, and the
/// one the operator creates.
///
/// `existingClaim` is used as is: never created, owned or deleted.
/// Otherwise the operator creates `<job>-storage`; with `retainPolicy:
/// Delete` it carries the job's owner reference (garbage-collected with the
/// job), with `Retain` it carries none and outlives the job.
public enum VolumeClaimPolicy {
    /// The claim the workers mount.
    public static func claimName(_ job: TrainingJob) -> String {
        job.spec.storage.existingClaim ?? job.childNames.storageClaim
    }

    /// The claim to create, or nil when the job uses an existing claim.
    public static func desiredClaim(_ job: TrainingJob) -> PersistentVolumeClaim? {
        let storage = job.spec.storage
        guard storage.existingClaim == nil else { return nil }
        let owned = storage.retainPolicy != .retain
        return PersistentVolumeClaim(
            metadata: job.childMetadata(job.childNames.storageClaim, owned: owned),
            spec: PersistentVolumeClaimSpec(
                accessModes: ["ReadWriteMany"],
                resources: ResourceRequirements(requests: ["storage": storage.effectiveSize]),
                storageClassName: storage.storageClassName))
    }
}
