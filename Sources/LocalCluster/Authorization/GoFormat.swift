/// Go's `%q` formatting, which the API server's messages use for names and lists.
enum GoFormat {
    /// `"text"` with `"` and `\` escaped.
    static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) { return "\"" + text + "\"" }
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default: result.append(character)
            }
        }
        return result + "\""
    }

    /// `["a" "b"]`: a list of strings as Go's `%q` prints a `[]string`.
    static func quotedList(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: " ") + "]"
    }
}
