import KubeClient
import TrainingJobAPI

/// Builds the headless Service `<job>` that gives worker `i` the DNS name
/// `<job>-worker-<i>.<job>.<namespace>.svc`, published before the Pods are
/// ready (the ring forms before anything is Ready).
public enum HeadlessServiceBuilder {
    public static func build(_ job: TrainingJob) -> Service {
        let names = job.childNames
        return Service(
            metadata: job.childMetadata(names.service),
            spec: ServiceSpec(
                clusterIP: "None",
                selector: [TrainingJobLabels.jobName: names.job],
                ports: [
                    ServicePort(name: "ring", port: Int32(WorkerLayout.ringPort), targetPort: .integer(Int64(WorkerLayout.ringPort)), protocol: "TCP"),
                    ServicePort(name: "master", port: Int32(WorkerLayout.masterPort), targetPort: .integer(Int64(WorkerLayout.masterPort)), protocol: "TCP"),
                ],
                publishNotReadyAddresses: true))
    }
}
