import ControllerRuntime
import Testing

@Suite struct PrometheusTextWriterTests {
    @Test func escapesLabelValuesAndHelpAndSpellsSpecialValues() {
        var writer = PrometheusTextWriter()
        writer.family("example_total", .counter, help: "A \\ back\nslash.")
        writer.sample("example_total", ["a": #"quote " back \ line"# + "\n"], 3)
        writer.sample("example_total", [:], 0.25)
        writer.sample("example_total", ["b": "x"], Double.nan)
        writer.sample("example_total", ["b": "y"], -Double.infinity)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == """
            # HELP example_total A \\\\ back\\nslash.
            # TYPE example_total counter
            example_total{a="quote \\" back \\\\ line\\n"} 3
            example_total 0.25
            example_total{b="x"} NaN
            example_total{b="y"} -Inf

            """)
    }

    @Test func helpIsAddedOnlyWhereMissing() {
        let exposition = Array("""
            # TYPE a_total counter
            a_total 1
            # HELP b described
            # TYPE b gauge
            b 2
            # TYPE c gauge
            c 3
            """.utf8)
        let text = String(decoding: PrometheusTextWriter.insertingHelp(into: exposition, ["a_total": "The a.", "b": "Not this."]), as: UTF8.self)
        #expect(text == """
            # HELP a_total The a.
            # TYPE a_total counter
            a_total 1
            # HELP b described
            # TYPE b gauge
            b 2
            # TYPE c gauge
            c 3
            """)
    }
}
