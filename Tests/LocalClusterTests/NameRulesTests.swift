import Testing
@testable import LocalCluster

/// The name formats, with the real API server's messages word for word.
@Suite struct NameRulesTests {
    static let labelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let configKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    static let labelKeyNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    @Test(arguments: [
        ("worker-0", []),
        ("0", []),
        (String(repeating: "a", count: 63), []),
        (String(repeating: "a", count: 64), ["must be no more than 63 characters"]),
        ("../x", [labelMessage]),
        ("x/y", [labelMessage]),
        ("", [labelMessage]),
        ("-a", [labelMessage]),
        ("a-", [labelMessage]),
        ("Main", [labelMessage]),
        ("a.b", ["must not contain dots"]),
        ("..", [labelMessage]),
    ])
    func dns1123Label(_ value: String, _ expected: [String]) {
        #expect(NameRules.dns1123Label(value) == expected)
    }

    @Test(arguments: [
        ("example.com", []),
        ("a.b-c.d", []),
        ("job-1-storage", []),
        ("../etc", [subdomainMessage]),
        ("a..b", [subdomainMessage]),
        (".a", [subdomainMessage]),
        ("a_b", [subdomainMessage]),
        ("", [subdomainMessage]),
        (String(repeating: "a", count: 254), ["must be no more than 253 characters"]),
    ])
    func dns1123Subdomain(_ value: String, _ expected: [String]) {
        #expect(NameRules.dns1123Subdomain(value) == expected)
    }

    @Test(arguments: [
        ("system:masters", []),
        ("ringmaster-operator", []),
        (".", ["may not be '.'"]),
        ("..", ["may not be '..'"]),
        ("a/b%c", ["may not contain '/'", "may not contain '%'"]),
    ])
    func pathSegmentName(_ value: String, _ expected: [String]) {
        #expect(NameRules.pathSegmentName(value) == expected)
    }

    @Test(arguments: [
        ("app", []),
        ("ringmaster.dev/job-name", []),
        ("kubernetes.io/metadata.name", []),
        ("a/b/c", ["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]),
        ("/x", ["prefix part must be non-empty"]),
        ("x/", ["name part must be non-empty", labelKeyNameMessage]),
        ("-x", [labelKeyNameMessage]),
        ("Bad_Prefix/x", ["prefix part " + subdomainMessage]),
    ])
    func labelKey(_ value: String, _ expected: [String]) {
        #expect(NameRules.labelKey(value) == expected)
    }

    @Test(arguments: [
        ("", []),
        ("v1.2_x", []),
        ("-x", [labelValueMessage]),
        ("a b", [labelValueMessage]),
        (String(repeating: "v", count: 64), ["must be no more than 63 characters"]),
    ])
    func labelValue(_ value: String, _ expected: [String]) {
        #expect(NameRules.labelValue(value) == expected)
    }

    @Test(arguments: [
        ("ring", []),
        ("h2c", []),
        ("Ring", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]),
        ("80", ["must contain at least one letter (a-z)"]),
        ("a--b", ["must not contain consecutive hyphens"]),
        ("-ab", ["must not begin or end with a hyphen"]),
        ("a-very-long-port-name", ["must be no more than 15 characters"]),
    ])
    func portName(_ value: String, _ expected: [String]) {
        #expect(NameRules.portName(value) == expected)
    }

    @Test func portNumbers() {
        #expect(NameRules.portNumber(1).isEmpty)
        #expect(NameRules.portNumber(65535).isEmpty)
        #expect(NameRules.portNumber(0) == ["must be between 1 and 65535, inclusive"])
        #expect(NameRules.portNumber(65536) == ["must be between 1 and 65535, inclusive"])
    }

    @Test(arguments: [
        ("config.yaml", []),
        ("KEY_NAME", []),
        ("..data", ["must not start with '..'"]),
        (".", ["must not be '.'"]),
        ("..", ["must not be '..'"]),
        ("../x", [configKeyMessage, "must not start with '..'"]),
        ("a/b", [configKeyMessage]),
        ("", [configKeyMessage]),
    ])
    func configMapKey(_ value: String, _ expected: [String]) {
        #expect(NameRules.configMapKey(value) == expected)
    }

    @Test(arguments: [
        ("PATH", []),
        ("my.var-1", []),
        ("1ST", []),
        ("A=B", ["a valid environment variable name must consist only of printable ASCII characters other than '='"]),
        ("A\nB", ["a valid environment variable name must consist only of printable ASCII characters other than '='"]),
        ("", ["environment variable name must be non-empty"]),
    ])
    func environmentVariableName(_ value: String, _ expected: [String]) {
        #expect(NameRules.environmentVariableName(value) == expected)
    }

    @Test func quotedValuesCannotForgeAMessage() {
        #expect(FieldErrorList.quoted("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\x01\"")
    }
}
