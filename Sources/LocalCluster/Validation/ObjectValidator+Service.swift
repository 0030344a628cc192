import KubeClient

/// The checks of a Service's spec: its type, and each port's name, number,
/// protocol and target port (`ValidateService`, `validateServicePort`).
extension ObjectValidator {
    static let serviceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]

    mutating func checkServiceSpec(_ spec: JSONValue, path: String) {
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if !Self.serviceTypes.contains(type) { errors.notSupported(path + ".type", type, supported: Self.serviceTypes) }
        let ports = spec["ports"]?.arrayValue ?? []
        let headless = spec["clusterIP"]?.stringValue == "None"
        if ports.isEmpty && !headless && type != "ExternalName" { errors.required(path + ".ports") }
        var names = Set<String>()
        for (index, port) in ports.enumerated() {
            let item = "\(path).ports[\(index)]"
            let name = port["name"]?.stringValue ?? ""
            if name.isEmpty {
                if ports.count > 1 { errors.required(item + ".name") }
            } else {
                errors.invalid(item + ".name", name, each: NameRules.dns1123Label(name))
                if names.contains(name) { errors.duplicate(item + ".name", name) }
                names.insert(name)
            }
            let number = port["port"]?.intValue ?? 0
            for message in NameRules.portNumber(number) { errors.invalid(item + ".port", number, message) }
            if let proto = port["protocol"]?.stringValue, !Self.protocols.contains(proto) {
                errors.notSupported(item + ".protocol", proto, supported: Self.protocols)
            }
            switch port["targetPort"] {
            case .string(let target)?:
                errors.invalid(item + ".targetPort", target, each: NameRules.portName(target))
            case .integer(let target)? where target != 0:
                for message in NameRules.portNumber(target) { errors.invalid(item + ".targetPort", target, message) }
            default:
                break
            }
        }
    }
}
