import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

@Suite struct CodableTests {
    @Test func fullJobRoundTripsThroughJSON() throws {
        let job = Fixtures.fullyPopulatedJob()
        let data = try JSONEncoder().encode(job)
        let decoded = try JSONDecoder().decode(TrainingJob.self, from: data)
        #expect(decoded == job)
        // And the JSON itself is stable under a second round.
        #expect(try JSONValue(encoding: decoded) == (try JSONValue(encoding: job)))
    }

    @Test func encodesTheExactFieldNames() throws {
        let encoded = try JSONValue(encoding: Fixtures.fullyPopulatedJob())
        #expect(encoded["apiVersion"] == .string("ringmaster.dev/v1alpha1"))
        #expect(encoded["kind"] == .string("TrainingJob"))
        #expect(encoded["spec"]?["runPolicy"]?["cleanPodPolicy"] == .string("All"))
        #expect(encoded["spec"]?["resources"]?["limits"]?["nvidia.com/gpu"] == .string("1"))
        #expect(encoded["status"]?["workersReady"] == .string("4/4"))
        #expect(encoded["status"]?["artifact"]?["claimName"] == .string("x-storage"))
        #expect(encoded["status"]?["disruptions"] == .integer(1))
        #expect(encoded["status"]?["ranks"]?["1"]?["activity"] == .string("Computing"))
        #expect(encoded["status"]?["ranks"]?["0"]?["step"] == .integer(900))
    }

    @Test func aWorkersHeartbeatPatchDecodesAndAnUnknownActivityIsKept() throws {
        let json = #"""
        {"ranks": {"3": {"attempt": 2, "step": 41, "heartbeatTime": "2026-01-02T03:04:05Z",
                         "activity": "Sleeping", "activitySince": "2026-01-02T03:04:00Z"}}}
        """#
        let status = try JSONDecoder().decode(TrainingJobStatus.self, from: Data(json.utf8))
        let entry = try #require(status.ranks?["3"])
        #expect(entry == RankStatus(attempt: 2, step: 41, heartbeatTime: "2026-01-02T03:04:05Z",
                                    activity: "Sleeping", activitySince: "2026-01-02T03:04:00Z"))
        #expect(entry.activity?.isKnown == false && entry.activity?.isCollective == false)
        #expect(RankActivity.allReduce.isCollective && RankActivity.barrier.isCollective && !RankActivity.computing.isCollective)
    }

    @Test func unknownFieldsDoNotFailDecoding() throws {
        let json = #"""
        {
          "apiVersion": "ringmaster.dev/v1alpha1", "kind": "TrainingJob",
          "metadata": {"name": "future", "someNewMetadata": 1},
          "extraTopLevel": {"x": [1, 2]},
          "spec": {
            "workers": 2, "futureField": true,
            "hyperparameters": {"epochs": 3, "warmupSteps": 100},
            "dataset": {"source": "builtin", "shuffleBuffer": "big"},
            "runPolicy": {"backoffLimit": 1, "newPolicy": {"a": "b"}},
            "template": {"labels": {"a": "b"}, "hostNetwork": true}
          },
          "status": {"phase": "Running", "newCounter": 7, "progress": {"epoch": 2, "gradNorm": 1.5},
                     "conditions": [{"type": "Running", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                                     "reason": "AllWorkersRunning", "message": "ok", "extra": 1}]}
        }
        """#
        let job = try JSONDecoder().decode(TrainingJob.self, from: Data(json.utf8))
        #expect(job.metadata.name == "future")
        #expect(job.spec.workers == 2)
        #expect(job.spec.hyperparameters.epochs == 3)
        #expect(job.spec.runPolicy.backoffLimit == 1)
        #expect(job.spec.template?.labels == ["a": "b"])
        #expect(job.status?.phase == .running)
        #expect(job.status?.progress?.epoch == 2)
        #expect(job.status?.isTrue(.running) == true)
    }

    @Test func wrongTypesFailDecodingWithThePath() throws {
        let json = #"{"metadata":{"name":"x"},"spec":{"hyperparameters":{"epochs":"ten"}}}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrainingJob.self, from: Data(json.utf8))
        }
    }

    @Test func decodesFromYAML() throws {
        let job = try TrainingJob(yaml: """
            apiVersion: ringmaster.dev/v1alpha1
            kind: TrainingJob
            metadata:
              name: y
            spec:
              workers: 2
              template:
                nodeSelector:
                  gpu: "true"
                labels:
                  version: "2"
            """)
        // Quoted scalars stay strings.
        #expect(job.spec.template?.nodeSelector == ["gpu": "true"])
        #expect(job.spec.template?.labels == ["version": "2"])
        #expect(job.spec.workers == 2)
    }

    @Test func descriptorNamesTheResource() {
        #expect(TrainingJob.descriptor.apiVersion == "ringmaster.dev/v1alpha1")
        #expect(TrainingJob.descriptor.plural == "trainingjobs")
        #expect(TrainingJob.descriptor.namespaced)
        #expect(TrainingJob.defaultWorkerImage == "ghcr.io/ringmaster-dev/ringmaster-worker:0.1.0")
    }
}
