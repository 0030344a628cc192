/// Who sent a request, as the authenticator established it: the user name
/// and groups that RBAC bindings name as subjects (the counterpart of
/// Kubernetes' `user.Info`).
///
/// A client certificate gives `name` from its Common Name and `groups` from
/// its Organizations; a ServiceAccount token gives
/// `system:serviceaccount:<namespace>:<name>` with the groups
/// `system:serviceaccounts` and `system:serviceaccounts:<namespace>`. Every
/// authenticated user is also in `system:authenticated`.
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var uid: String
    public var groups: [String]
    /// Extra attributes (for ServiceAccount tokens: the Pod they were bound to).
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    public var description: String { name }

    /// Members of this group are allowed everything, as on a real API server.
    public static let mastersGroup = "system:masters"
    /// Every authenticated user is in this group.
    public static let authenticatedGroup = "system:authenticated"

    /// The user name of a ServiceAccount.
    public static func serviceAccountUserName(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    /// The user a ServiceAccount's token authenticates as.
    public static func serviceAccount(namespace: String, name: String, uid: String = "", extra: [String: [String]] = [:]) -> UserInfo {
        UserInfo(
            name: serviceAccountUserName(namespace: namespace, name: name), uid: uid,
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", authenticatedGroup], extra: extra)
    }

    /// Whether the user is in `system:masters`.
    public var isMaster: Bool { groups.contains(Self.mastersGroup) }
}
