/// The string formats the Kubernetes API server checks, each answering the
/// messages the real server gives (empty when the value is valid).
///
/// Pure functions over bytes (no regular expressions), cheap enough to run on
/// every write. The messages are the ones of
/// `k8s.io/apimachinery/pkg/util/validation`, word for word, so a client
/// matching on them behaves as against a real cluster.
enum NameRules {
    static let dns1123LabelMaxLength = 63
    static let dns1123SubdomainMaxLength = 253
    static let labelValueMaxLength = 63
    static let portNameMaxLength = 15

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let labelKeyFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelKeyMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(" + labelKeyFormat + ")?"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let configKeyFormat = "[-._a-zA-Z0-9]+"
    static let configKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
    static let environmentNameMessage = "a valid environment variable name must consist only of printable ASCII characters other than '='"

    // MARK: Message builders (as apimachinery words them)

    /// `must be no more than N characters`.
    static func maxLengthError(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// `<message> (e.g. 'a',  or 'b', regex used for validation is '<format>')`,
    /// including the doubled space the real server prints between examples.
    static func regexError(_ message: String, _ format: String, examples: [String]) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        var text = message + " (e.g. "
        for (index, example) in examples.enumerated() {
            if index > 0 { text += " or " }
            text += "'" + example + "', "
        }
        return text + "regex used for validation is '" + format + "')"
    }

    static let emptyError = "must be non-empty"

    static func inclusiveRangeError(_ low: Int, _ high: Int) -> String { "must be between \(low) and \(high), inclusive" }

    // MARK: Formats

    /// An RFC 1123 label: namespaces, Services, container, volume and Service
    /// port names, `hostname`, `subdomain`.
    static func dns1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > dns1123LabelMaxLength { errors.append(maxLengthError(dns1123LabelMaxLength)) }
        if !isLabel(bytes[...]) {
            if isSubdomain(bytes) {
                errors.append("must not contain dots")
            } else {
                errors.append(regexError(dns1123LabelMessage, dns1123LabelFormat, examples: ["my-name", "123-abc"]))
            }
        }
        return errors
    }

    /// An RFC 1123 subdomain: the names of most kinds.
    static func dns1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > dns1123SubdomainMaxLength { errors.append(maxLengthError(dns1123SubdomainMaxLength)) }
        if !isSubdomain(bytes) {
            errors.append(regexError(dns1123SubdomainMessage, dns1123SubdomainFormat, examples: ["example.com"]))
        }
        return errors
    }

    /// A name usable as one segment of a URL path: the names of RBAC objects
    /// (which may hold ':', as in `system:masters`).
    static func pathSegmentName(_ value: String) -> [String] {
        if value == "." { return ["may not be '.'"] }
        if value == ".." { return ["may not be '..'"] }
        var errors: [String] = []
        if value.contains("/") { errors.append("may not contain '/'") }
        if value.contains("%") { errors.append("may not contain '%'") }
        return errors
    }

    /// A label or annotation key: an optional DNS subdomain prefix and '/', then a name.
    static func labelKey(_ value: String) -> [String] {
        var errors: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            name = parts[1]
            let prefix = String(parts[0])
            if prefix.isEmpty {
                errors.append("prefix part " + emptyError)
            } else {
                errors += dns1123Subdomain(prefix).map { "prefix part " + $0 }
            }
        default:
            return ["a valid label key " + regexError(labelKeyMessage, labelKeyFormat, examples: ["MyName", "my.name", "123-abc"])
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        let bytes = Array(name.utf8)
        if bytes.isEmpty {
            errors.append("name part " + emptyError)
        } else if bytes.count > labelValueMaxLength {
            errors.append("name part " + maxLengthError(labelValueMaxLength))
        }
        if !isLabelKeyName(bytes) {
            errors.append("name part " + regexError(labelKeyMessage, labelKeyFormat, examples: ["MyName", "my.name", "123-abc"]))
        }
        return errors
    }

    /// A label value: empty, or up to 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric.
    static func labelValue(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > labelValueMaxLength { errors.append(maxLengthError(labelValueMaxLength)) }
        if !bytes.isEmpty && !isLabelKeyName(bytes) {
            errors.append(regexError(labelValueMessage, labelValueFormat, examples: ["MyValue", "my_value", "12345"]))
        }
        return errors
    }

    /// An IANA_SVC_NAME: a container port name (and a named target port).
    static func portName(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > portNameMaxLength { errors.append(maxLengthError(portNameMaxLength)) }
        if bytes.isEmpty || !bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: isLower) { errors.append("must contain at least one letter (a-z)") }
        if value.contains("--") { errors.append("must not contain consecutive hyphens") }
        if let first = bytes.first, let last = bytes.last, first == UInt8(ascii: "-") || last == UInt8(ascii: "-") {
            errors.append("must not begin or end with a hyphen")
        }
        return errors
    }

    /// A port number, 1 to 65535.
    static func portNumber(_ value: Int64) -> [String] {
        (1...65535).contains(value) ? [] : [inclusiveRangeError(1, 65535)]
    }

    /// A key of a ConfigMap's or Secret's data: a file name in a volume.
    static func configMapKey(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > dns1123SubdomainMaxLength { errors.append(maxLengthError(dns1123SubdomainMaxLength)) }
        let allowed = !bytes.isEmpty && bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
        }
        if !allowed { errors.append(regexError(configKeyMessage, configKeyFormat, examples: ["key.name", "KEY_NAME", "key-name"])) }
        if value == "." {
            errors.append("must not be '.'")
        } else if value == ".." {
            errors.append("must not be '..'")
        } else if value.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    /// An environment variable name, as the real server checks it since
    /// relaxed validation became the default: printable ASCII except '='.
    static func environmentVariableName(_ value: String) -> [String] {
        var errors: [String] = []
        if value.isEmpty { errors.append("environment variable name " + emptyError) }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E || $0 == "=" }) {
            errors.append(environmentNameMessage)
        }
        return errors
    }

    /// A generateName prefix is checked as the name it starts: a trailing '-' is allowed.
    static func maskingTrailingDash(_ prefix: String) -> String {
        prefix.count > 1 && prefix.hasSuffix("-") ? String(prefix.dropLast()) + "a" : prefix
    }

    // MARK: Byte classes

    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLower(byte) || isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, any length.
    private static func isLabel(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        guard isLower(first) || isDigit(first), isLower(last) || isDigit(last) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// Labels joined by '.', any length.
    private static func isSubdomain(_ bytes: [UInt8]) -> Bool {
        bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy(isLabel)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    private static func isLabelKeyName(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }
}
