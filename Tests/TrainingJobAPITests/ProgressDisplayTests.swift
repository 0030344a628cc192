import Foundation
import KubeClient
import Testing
@testable import TrainingJobAPI

/// The LOSS and ACCURACY columns' text, written beside the numbers.
@Suite struct ProgressDisplayTests {
    @Test(arguments: [
        (0.42996568364255566, "0.4300"), (2.302585092994046, "2.303"), (0.0123456, "0.01235"), (0.00012346, "0.0001235"),
        (0.000012346, "1.235e-05"), (1234.5678, "1235"), (12345.678, "1.235e+04"), (9.99996, "10.00"), (0, "0.000"),
        (-0.5, "-0.5000"),
    ])
    func lossHasFourSignificantDigits(_ value: Double, _ text: String) {
        #expect(TrainingProgress.fourSignificantDigits(value) == text)
    }

    @Test func accuracyIsAPercentage() {
        #expect(TrainingProgress(accuracy: 0.8488051470588235).accuracyDisplay == "84.88%")
        #expect(TrainingProgress(accuracy: 1).accuracyDisplay == "100.00%")
        #expect(TrainingProgress(accuracy: .nan).accuracyDisplay == nil)
        #expect(TrainingProgress().accuracyDisplay == nil && TrainingProgress().lossDisplay == nil)
    }

    @Test func everyEncodingCarriesTheTextAndDecodingKeepsTheNumbers() throws {
        let progress = TrainingProgress(epoch: 2, loss: 0.42996568364255566, accuracy: 0.8488051470588235)
        let encoded = try JSONValue(encoding: progress)
        #expect(encoded["lossDisplay"] == .string("0.4300"))
        #expect(encoded["accuracyDisplay"] == .string("84.88%"))
        #expect(encoded["loss"] == .double(0.42996568364255566))
        let decoded = try JSONDecoder().decode(TrainingProgress.self, from: JSONEncoder().encode(progress))
        #expect(decoded == progress)
        // Text from an older report never overrides the numbers.
        let stale = try JSONDecoder().decode(TrainingProgress.self, from: Data(#"{"loss": 1.5, "lossDisplay": "9.999"}"#.utf8))
        #expect(stale.lossDisplay == "1.500")
    }
}
