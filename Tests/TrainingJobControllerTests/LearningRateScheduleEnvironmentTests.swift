import KubeClient
import Testing
import TrainingJobAPI
@testable import TrainingJobController

/// `spec.hyperparameters.learningRateSchedule` reaches every worker through the env contract.
@Suite struct LearningRateScheduleEnvironmentTests {
    @Test(arguments: [(nil, "constant"), (LearningRateSchedule.constant, "constant"), (.cosine, "cosine")]
        as [(LearningRateSchedule?, String)])
    func theScheduleIsPassedToEveryRank(schedule: LearningRateSchedule?, expected: String) throws {
        var job = Fixtures.job()
        if let schedule { job.spec.hyperparameters.learningRateSchedule = schedule }
        for rank in 0..<2 {
            let pod = WorkerPodBuilder.build(job, rank: rank, attempt: 0, settings: WorkerPodSettings()).pod
            let env = try #require(pod.spec?.containers.first?.env)
            #expect(env.first { $0.name == WorkerEnvironment.Key.learningRateSchedule }?.value == expected)
            let parsed = try WorkerEnvironment(environment: Dictionary(
                env.compactMap { variable in variable.value.map { (variable.name, $0) } } + [(WorkerEnvironment.Key.authToken, "t")],
                uniquingKeysWith: { $1 }))
            #expect(parsed.learningRateSchedule == expected)
        }
    }

    @Test func aWorkerWithoutTheVariableKeepsTheConstantRate() throws {
        let environment = [WorkerEnvironment.Key.rank: "0", WorkerEnvironment.Key.worldSize: "1", WorkerEnvironment.Key.peers: "a:1"]
        #expect(try WorkerEnvironment(environment: environment).learningRateSchedule == "constant")
    }
}
