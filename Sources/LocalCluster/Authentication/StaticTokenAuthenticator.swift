import Foundation

/// Fixed bearer tokens, each standing for one user: kube-apiserver's
/// `--token-auth-file`.
///
/// The file is CSV, one token a line: `token,user,uid,"group1,group2"`.
/// The first three columns are required (uid may be empty), the groups
/// column is optional and is one quoted, comma-separated field. Blank
/// lines are skipped; a line with an empty token is skipped; a later line
/// with the same token replaces an earlier one. The file is read once.
public struct StaticTokenAuthenticator: TokenAuthenticator {
    private let users: [String: UserInfo]

    /// The tokens and the users they stand for.
    public init(tokens: [String: UserInfo]) {
        users = tokens
    }

    /// Parses token-file text. `source` names it in errors.
    public init(csv: String, source: String = "token file") throws {
        var users: [String: UserInfo] = [:]
        var lineNumber = 0
        for line in csv.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let record = try Self.fields(of: String(line), source: source, line: lineNumber)
            guard record.count >= 3 else {
                throw StaticTokenFileError(message: "\(source) line \(lineNumber): must have at least 3 columns (token, user name, user uid), found \(record.count)")
            }
            guard !record[0].isEmpty else { continue }
            let groups = record.count >= 4 && !record[3].isEmpty ? record[3].split(separator: ",").map(String.init) : []
            users[record[0]] = UserInfo(name: record[1], uid: record[2], groups: groups)
        }
        self.users = users
    }

    /// Reads a token file.
    public init(contentsOf file: URL) throws {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw StaticTokenFileError(message: "cannot read token file \(file.path): \(error.localizedDescription)")
        }
        try self.init(csv: text, source: file.path)
    }

    public func authenticate(token: String) -> UserInfo? {
        users[token]
    }

    /// The fields of one CSV record (RFC 4180: a field in double quotes may
    /// hold commas, and `""` inside it is one quote).
    static func fields(of line: String, source: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = line.makeIterator()
        var atFieldStart = true
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    // A doubled quote is a literal one; a single one ends the quoted part.
                    var lookahead = characters
                    if lookahead.next() == "\"" {
                        current.append("\"")
                        characters = lookahead
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
                atFieldStart = true
                continue
            } else if character == "\"" && atFieldStart {
                quoted = true
            } else if character != "\r" {
                current.append(character)
            }
            atFieldStart = false
        }
        guard !quoted else { throw StaticTokenFileError(message: "\(source) line \(number): a quoted field is not closed") }
        fields.append(current)
        return fields
    }
}

/// A token file could not be read.
public struct StaticTokenFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
