/// The wire types of the Open Inference Protocol V2 over REST (the "KServe V2"
/// protocol that KServe, Triton, MLServer and others serve), named as the
/// protocol names them. Only JSON bodies are read and written: the binary
/// tensor extension is refused with a clear error.
///
/// Endpoints (all under `/v2`): server metadata `GET /v2`, liveness and
/// readiness `GET /v2/health/live` and `GET /v2/health/ready`, model metadata
/// `GET /v2/models/{name}[/versions/{version}]`, model readiness
/// `GET .../ready` and inference `POST .../infer`. Errors are
/// `{"error": "<message>"}` with a 4xx or 5xx status.
public enum OpenInferenceProtocol {
    /// `GET /v2`.
    public struct ServerMetadataResponse: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var extensions: [String]

        public init(name: String, version: String, extensions: [String]) {
            self.name = name
            self.version = version
            self.extensions = extensions
        }
    }

    /// `GET /v2/health/live`. The status (200) is the answer; the body is what KServe also sends.
    public struct ServerLiveResponse: Codable, Sendable, Equatable {
        public var live: Bool
        public init(live: Bool) { self.live = live }
    }

    /// `GET /v2/health/ready`. 200 when ready, 503 otherwise.
    public struct ServerReadyResponse: Codable, Sendable, Equatable {
        public var ready: Bool
        public init(ready: Bool) { self.ready = ready }
    }

    /// `GET /v2/models/{name}/ready`. 200 when ready, 503 otherwise.
    public struct ModelReadyResponse: Codable, Sendable, Equatable {
        public var name: String
        public var ready: Bool
        public init(name: String, ready: Bool) {
            self.name = name
            self.ready = ready
        }
    }

    /// One tensor's name, datatype and shape (`-1` for a variable dimension).
    public struct MetadataTensor: Codable, Sendable, Equatable {
        public var name: String
        public var datatype: String
        public var shape: [Int]

        public init(name: String, datatype: String, shape: [Int]) {
            self.name = name
            self.datatype = datatype
            self.shape = shape
        }
    }

    /// `GET /v2/models/{name}`.
    public struct ModelMetadataResponse: Codable, Sendable, Equatable {
        public var name: String
        public var versions: [String]?
        public var platform: String
        public var inputs: [MetadataTensor]
        public var outputs: [MetadataTensor]

        public init(name: String, versions: [String]?, platform: String, inputs: [MetadataTensor], outputs: [MetadataTensor]) {
            self.name = name
            self.versions = versions
            self.platform = platform
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    /// `POST /v2/models/{name}/infer`.
    public struct InferenceRequest: Decodable, Sendable {
        public var id: String?
        public var parameters: [String: ParameterValue]?
        public var inputs: [RequestInput]
        public var outputs: [RequestOutput]?

        public init(id: String? = nil, inputs: [RequestInput], outputs: [RequestOutput]? = nil) {
            self.id = id
            self.parameters = nil
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    /// One input tensor of a request: `data` is the tensor's elements in
    /// row-major order, flat or nested as the shape (both are allowed).
    public struct RequestInput: Decodable, Sendable {
        public var name: String
        public var shape: [Int]
        public var datatype: String
        public var parameters: [String: ParameterValue]?
        public var data: TensorData

        public init(name: String, shape: [Int], datatype: String, data: [Double]) {
            self.name = name
            self.shape = shape
            self.datatype = datatype
            self.parameters = nil
            self.data = TensorData(values: data.map(Float.init))
        }
    }

    /// An output the client asks for by name (all of them when a request names none).
    public struct RequestOutput: Decodable, Sendable {
        public var name: String
        public var parameters: [String: ParameterValue]?

        public init(name: String) {
            self.name = name
            self.parameters = nil
        }
    }

    /// The answer to an inference request.
    public struct InferenceResponse: Encodable, Sendable {
        public var modelName: String
        public var modelVersion: String?
        public var id: String?
        public var outputs: [ResponseOutput]

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
            case id
            case outputs
        }

        public init(modelName: String, modelVersion: String?, id: String?, outputs: [ResponseOutput]) {
            self.modelName = modelName
            self.modelVersion = modelVersion
            self.id = id
            self.outputs = outputs
        }
    }

    /// One output tensor: FP32 or INT64 elements, flat in row-major order.
    public struct ResponseOutput: Encodable, Sendable {
        public enum Values: Sendable, Equatable {
            case fp32([Float])
            case int64([Int64])
        }

        public var name: String
        public var shape: [Int]
        public var data: Values

        public var datatype: String {
            switch data {
            case .fp32: "FP32"
            case .int64: "INT64"
            }
        }

        enum CodingKeys: String, CodingKey {
            case name, shape, datatype, data
        }

        public init(name: String, shape: [Int], data: Values) {
            self.name = name
            self.shape = shape
            self.data = data
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(shape, forKey: .shape)
            try container.encode(datatype, forKey: .datatype)
            switch data {
            case .fp32(let values): try container.encode(values, forKey: .data)
            case .int64(let values): try container.encode(values, forKey: .data)
            }
        }
    }

    /// The protocol's error body.
    public struct ErrorResponse: Codable, Sendable, Equatable {
        public var error: String
        public init(error: String) { self.error = error }
    }

    /// A request or input parameter: the protocol allows a string, a number or a boolean.
    public enum ParameterValue: Decodable, Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
    }

    /// The elements of an input tensor, flattened. The protocol lets `data`
    /// be flat or nested like the shape; both decode to the same row-major
    /// values. Anything but numbers (strings, booleans, objects) is refused
    /// with the path of the element.
    public struct TensorData: Decodable, Sendable, Equatable {
        public var values: [Float]

        public init(values: [Float]) { self.values = values }

        public init(from decoder: any Decoder) throws {
            // The common case first: a flat array of numbers.
            if let flat = try? decoder.singleValueContainer().decode([Float].self) {
                values = flat
                return
            }
            var values: [Float] = []
            var container = try decoder.unkeyedContainer()
            try Self.flatten(&container, into: &values)
            self.values = values
        }

        private static func flatten(_ container: inout any UnkeyedDecodingContainer, into values: inout [Float]) throws {
            while !container.isAtEnd {
                if let value = try? container.decode(Float.self) {
                    values.append(value)
                } else if var nested = try? container.nestedUnkeyedContainer() {
                    try flatten(&nested, into: &values)
                } else {
                    // Decoding once more as a number gives the error with the element's path.
                    values.append(try container.decode(Float.self))
                }
            }
        }
    }
}
