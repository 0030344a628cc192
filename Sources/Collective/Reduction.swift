import COpenBLAS

/// The element-wise arithmetic of the collectives.
enum Reduction {
    /// `destination[i] += source[i]` for `count` elements.
    ///
    /// The SIMD loop, not `cblas_saxpy`: on the 2-core development machine a
    /// 256 KiB segment (the default frame) took 7.7 us against saxpy's
    /// 11.8 us (OpenBLAS threads small vectors; 8.8 us with
    /// OPENBLAS_NUM_THREADS=1), and the loop does not depend on how the
    /// process configured OpenBLAS's threads. Both give the same bits
    /// (`ReductionTests`).
    static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        addVectorised(source, into: destination, count: count)
    }

    /// The sum with OpenBLAS `cblas_saxpy` (alpha = 1).
    static func addBLAS(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        cblas_saxpy(blasint(count), 1, source, 1, destination, 1)
    }

    /// The sum with 16-lane SIMD loads and stores.
    static func addVectorised(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(destination)
        let stride = MemoryLayout<SIMD16<Float>>.size
        var i = 0
        while i + 16 <= count {
            let offset = i * MemoryLayout<Float>.size
            let sum = to.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                + from.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            to.storeBytes(of: sum, toByteOffset: offset, as: SIMD16<Float>.self)
            i += stride / MemoryLayout<Float>.size
        }
        while i < count {
            destination[i] += source[i]
            i += 1
        }
    }

    /// `values[i] /= divisor` for `count` elements.
    static func divide(_ values: UnsafeMutablePointer<Float>, count: Int, by divisor: Float) {
        let raw = UnsafeMutableRawPointer(values)
        let lanes = SIMD16<Float>(repeating: divisor)
        var i = 0
        while i + 16 <= count {
            let offset = i * MemoryLayout<Float>.size
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) / lanes,
                           toByteOffset: offset, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            values[i] /= divisor
            i += 1
        }
    }
}
