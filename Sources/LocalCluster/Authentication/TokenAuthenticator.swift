/// Resolves a bearer token to the user it authenticates (the counterpart of
/// Kubernetes' `authenticator.Token`).
///
/// Returns nil when the token is not one this authenticator recognises or
/// is no longer valid (bad signature, expired, its ServiceAccount or bound
/// object deleted); the API server then answers 401. Safe to call
/// concurrently from any thread; must not block on the network.
public protocol TokenAuthenticator: Sendable {
    func authenticate(token: String) -> UserInfo?
}
