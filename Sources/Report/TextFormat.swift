#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `value` with `decimals` digits after the point, rounded as C's `printf("%.*f")` rounds it (the exact binary
/// value, to nearest): `fixedPoint(2.25, decimals: 1)` is `2.2`, `fixedPoint(12.36, decimals: 1)` is `12.4`.
public func fixedPoint(_ value: Double, decimals: Int) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 352) { buffer in
        let n = withVaList([Int32(max(0, min(decimals, 17))), value]) { vsnprintf(buffer.baseAddress, buffer.count, "%.*f", $0) }
        guard n >= 0 else { return String(value) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: min(Int(n), buffer.count - 1)),
                      as: UTF8.self)
    }
}
