import Threads

/// The crt.sh loader runs as two stages on two threads: a reader thread reads the file, splits records and parses
/// them into batches of plain rows (no index access); the calling thread interns and appends them. Batches are
/// handed over through a bounded queue (4 batches of up to 2048 rows), so memory stays bounded whatever the file
/// size; problems keep their record numbers and order.
struct CrtshRow: Sendable {
    var serialStart: Int32
    var serialLength: Int32
    /// -1 when the row has no issuer_name.
    var issuerStart: Int32
    var issuerLength: Int32
    /// Index of the first name in `CrtshBatch.names` (pairs of start, length).
    var namesStart: Int32
    var namesCount: Int32
    var id: Int64?
    var caID: Int64?
    var notBefore: Int64?
    var notAfter: Int64?
}

struct CrtshBatch: Sendable {
    enum Item: Sendable {
        case row(CrtshRow)
        case malformed(number: Int, line: Int, reason: String)
        case oversized(number: Int, line: Int, size: Int)
    }
    var bytes: [UInt8] = []
    var names: [Int32] = []
    var items: [Item] = []
}

/// Parses crt.sh objects into rows (reader thread).
struct CrtshRowParser {
    var text: [UInt8] = []
    var serial: [UInt8] = []

    mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, into batch: inout CrtshBatch) throws {
        let bytesMark = batch.bytes.count
        let namesMark = batch.names.count
        do {
            try parseRow(bytes, into: &batch)
        } catch {
            batch.bytes.removeSubrange(bytesMark...)
            batch.names.removeSubrange(namesMark...)
            throw error
        }
    }

    private mutating func parseRow(_ bytes: UnsafeBufferPointer<UInt8>, into batch: inout CrtshBatch) throws {
        var cur = JSONCursor(bytes)
        var row = CrtshRow(serialStart: 0, serialLength: -1, issuerStart: -1, issuerLength: -1,
                           namesStart: Int32(batch.names.count / 2), namesCount: 0)
        try cur.object { c, key in
            if RecordLoader.keyIs(key, "serial_number") {
                if c.null() { return }
                try c.string(into: &text)
                guard text.withUnsafeBufferPointer({ RecordLoader.hexSerial($0, into: &serial) }) else {
                    throw RecordError("serial_number is not hex")
                }
                row.serialStart = Int32(batch.bytes.count)
                row.serialLength = Int32(serial.count)
                batch.bytes.append(contentsOf: serial)
            } else if RecordLoader.keyIs(key, "issuer_name") {
                if c.null() { return }
                try c.string(into: &text)
                row.issuerStart = Int32(batch.bytes.count)
                row.issuerLength = Int32(text.count)
                batch.bytes.append(contentsOf: text)
            } else if RecordLoader.keyIs(key, "name_value") || RecordLoader.keyIs(key, "common_name") {
                if c.null() { return }
                try c.string(into: &text)
                let base = batch.bytes.count
                batch.bytes.append(contentsOf: text)
                var start = 0
                for k in 0...text.count where k == text.count || text[k] == 0x0a {
                    if k > start {
                        batch.names.append(Int32(base + start))
                        batch.names.append(Int32(k - start))
                        row.namesCount += 1
                    }
                    start = k + 1
                }
            } else if RecordLoader.keyIs(key, "id") {
                row.id = try c.integer()
            } else if RecordLoader.keyIs(key, "issuer_ca_id") {
                row.caID = try c.integer()
            } else if RecordLoader.keyIs(key, "not_before") || RecordLoader.keyIs(key, "not_after") {
                if c.null() { return }
                try c.string(into: &text)
                let t = TimeText.parse(text)
                if key.count == 10 { row.notBefore = t } else { row.notAfter = t }
            } else {
                try c.skipValue()
            }
        }
        guard cur.atEnd() else { throw RecordError("text after the record") }
        guard row.serialLength >= 0 else { throw RecordError("no serial_number") }
        batch.items.append(.row(row))
    }
}

/// Bounded hand-over between the two stages.
final class CrtshBatchQueue: @unchecked Sendable {
    private let condition = ConditionLock()
    private var queue: [CrtshBatch] = []
    private var finished = false
    private var cancelled = false
    private var totalBytes = 0
    let capacity = 4

    /// Reader side: false when the consumer cancelled.
    func put(_ batch: CrtshBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    func finish(bytes: Int) {
        condition.lock()
        finished = true
        totalBytes = bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Consumer side: the next batch, or nil when the reader has finished and everything was taken.
    func take() -> CrtshBatch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished { condition.wait() }
        if queue.isEmpty { return nil }
        let b = queue.removeFirst()
        condition.broadcast()
        return b
    }

    /// Consumer side: stop the reader and wait until it has finished; returns the bytes it read.
    func cancelAndWait() -> Int {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        while !finished { condition.wait() }
        return totalBytes
    }

    var bytesRead: Int {
        condition.lock()
        defer { condition.unlock() }
        return totalBytes
    }
}

extension CTIndex {
    /// The crt.sh load: `reader.buffer` already holds the first `firstCount` bytes.
    mutating func loadCrtshPipelined(reader: ChunkReader, firstCount: Int, loader: inout RecordLoader,
                                     stats: inout CTLoadStats) throws {
        let queue = CrtshBatchQueue()
        let maximumRecordSize = limits.maximumRecordSize
        let batchRows = 2048
        let thread = WorkerThread(stackSize: 1 << 22) { [reader] in
            var reader = reader
            var splitter = JSONRecordSplitter(maximumRecordSize: maximumRecordSize)
            var parser = CrtshRowParser()
            var batch = CrtshBatch()
            var total = firstCount
            var n = firstCount
            var stop = false
            func handle(_ ev: JSONRecordSplitter.Event, _ number: Int, _ line: Int) {
                switch ev {
                case .malformed(let reason):
                    batch.items.append(.malformed(number: number, line: line, reason: reason))
                case .oversized(let size):
                    batch.items.append(.oversized(number: number, line: line, size: size))
                case .record(let bytes):
                    do {
                        try parser.parse(bytes, into: &batch)
                    } catch let e as RecordError {
                        batch.items.append(.malformed(number: number, line: line, reason: e.reason))
                    } catch let e as JSONError {
                        batch.items.append(.malformed(number: number, line: line, reason: "JSON: \(e.description)"))
                    } catch {
                        batch.items.append(.malformed(number: number, line: line, reason: "\(error)"))
                    }
                }
            }
            func flush() {
                if !batch.items.isEmpty {
                    if !queue.put(batch) { stop = true }
                    batch = CrtshBatch()
                }
            }
            while n > 0 && !stop {
                reader.buffer.withUnsafeBufferPointer { buf in
                    splitter.feed(UnsafeBufferPointer(rebasing: buf[0..<n])) { ev, number, line in
                        handle(ev, number, line)
                        if batch.items.count >= batchRows { flush() }
                    }
                }
                if stop || queue.isCancelled { break }
                n = reader.next()
                total += n
            }
            if !stop {
                splitter.finish { ev, number, line in handle(ev, number, line) }
                flush()
            }
            queue.finish(bytes: total)
        }
        guard let thread else { throw CTIndexError.threadNotStarted }
        defer { thread.join() }

        var scratch: [UInt8] = []
        var hostIDs: [UInt32] = []
        do {
            while let batch = queue.take() {
                try batch.bytes.withUnsafeBufferPointer { bytes in
                    for item in batch.items {
                        switch item {
                        case .malformed(let number, let line, let reason):
                            stats.malformed += 1
                            loader.problem(reason, number: number, line: line, stats: &stats)
                        case .oversized(let number, let line, let size):
                            stats.oversized += 1
                            loader.problem("record of \(size) bytes exceeds \(limits.maximumRecordSize)",
                                           number: number, line: line, stats: &stats)
                        case .row(let row):
                            hostIDs.removeAll(keepingCapacity: true)
                            for k in Int(row.namesStart)..<Int(row.namesStart + row.namesCount) {
                                let s = Int(batch.names[2 * k])
                                let l = Int(batch.names[2 * k + 1])
                                if let id = try internHostname(UnsafeBufferPointer(rebasing: bytes[s..<(s + l)]),
                                                               scratch: &scratch) {
                                    hostIDs.append(id)
                                }
                            }
                            let iid: UInt32
                            if row.issuerLength >= 0 {
                                let s = Int(row.issuerStart)
                                iid = try loader.crtshIssuer(
                                    UnsafeBufferPointer(rebasing: bytes[s..<(s + Int(row.issuerLength))]), index: &self)
                            } else {
                                // No issuer name: the crt.sh CA id stands for it (never matches a DN).
                                var r = CTIndex.IssuerRecord()
                                r.display = try internString(row.caID.map { "crt.sh CA \($0)" } ?? "")
                                iid = issuerID(r)
                            }
                            let s = Int(row.serialStart)
                            try addEntry(serialMagnitude: UnsafeBufferPointer(rebasing: bytes[s..<(s + Int(row.serialLength))]),
                                         issuer: iid, hostnames: hostIDs, recordID: row.id, kind: .crtshID,
                                         notBefore: row.notBefore, notAfter: row.notAfter, source: loader.source)
                            stats.entries += 1
                        }
                    }
                }
            }
        } catch {
            stats.bytes = queue.cancelAndWait()
            throw error
        }
        stats.bytes = queue.bytesRead
    }
}
