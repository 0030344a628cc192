import Foundation
import Training

/// A `model.safetensors` written by the built-in trainer, loaded for serving.
///
/// The architecture comes from the file's metadata (`architecture`); each
/// architecture the trainer can write has a loader in `loaders`, so a new
/// model type is one more entry there and one `InferenceModel` conformance.
/// A file without that key is read as an MLP when its tensors are named as
/// the trainer names them (`layers.<i>.weight`, `layers.<i>.bias`).
public struct ModelFile: Sendable {
    public var path: String
    /// The name the server gives the model by default: the metadata's `name`,
    /// else the file's name without its extension (`model`).
    public var defaultName: String
    public var metadata: [String: String]
    public var model: any InferenceModel

    /// The architectures this server can run, by the metadata's name for them.
    public static let loaders: [String: @Sendable ([SafetensorsFile.Tensor], [String: String]) throws -> any InferenceModel] = [
        MLP.FileMetadata.architecture: { tensors, metadata in
            MLPInferenceModel(model: try MLP(safetensors: tensors, metadata: metadata))
        },
    ]

    /// Reads and checks the file. Throws `ModelFileError` naming the path and
    /// what is wrong: a missing or unreadable file, a file that is not
    /// safetensors, an architecture this server does not know, or tensors that
    /// do not make that architecture.
    public static func load(path: String) throws(ModelFileError) -> ModelFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ModelFileError(path: path, message: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, message: "the file cannot be read")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses a model file's bytes; `path` names it in errors and gives the default name.
    public static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> ModelFile {
        let tensors: [SafetensorsFile.Tensor]
        let metadata: [String: String]
        do {
            let decoded = try SafetensorsFile.decode(bytes)
            tensors = decoded.tensors
            metadata = decoded.metadata
        } catch {
            throw ModelFileError(path: path, message: error.description)
        }
        let architecture = metadata[MLP.FileMetadata.architectureKey] ?? MLP.FileMetadata.architecture
        guard let loader = loaders[architecture] else {
            throw ModelFileError(
                path: path,
                message: "architecture \"\(architecture)\" (metadata \"\(MLP.FileMetadata.architectureKey)\") is not one this server runs; "
                    + "it runs \(loaders.keys.sorted().joined(separator: ", "))")
        }
        let model: any InferenceModel
        do {
            model = try loader(tensors, metadata)
        } catch let error as SafetensorsError {
            throw ModelFileError(path: path, message: "not a valid \(architecture) model: \(error.message)")
        } catch {
            throw ModelFileError(path: path, message: "not a valid \(architecture) model: \(error)")
        }
        let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = metadata["name"].flatMap { $0.isEmpty ? nil : $0 } ?? (fileName.isEmpty ? "model" : fileName)
        return ModelFile(path: path, defaultName: name, metadata: metadata, model: model)
    }
}

/// A model file that cannot be served.
public struct ModelFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "cannot serve \(path): \(message)" }
}
