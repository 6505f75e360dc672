import Threads

/// Runs jobs (one per capture) on several threads and hands what they emit to one sink in job order, exactly as if
/// they had run one after the other (`helloscope analyze --jobs N`).
///
/// * Up to `parallelism` jobs exist at once, each on its own thread (the calling thread is one of them): job `i`
///   starts only once job `i − parallelism` has been delivered. A job shares nothing with the others but the
///   output it is given, so each builds its own reader and analyser.
/// * The earliest job not yet delivered, the *head*, writes straight to the sink. Every later job collects its
///   events (and its `ordered` actions) in its own buffer of at most `bufferLimit` items; a job whose buffer is
///   full waits until it becomes the head. When the head finishes, the next job's buffer is delivered and that
///   job streams from then on.
/// * Only the head's thread (or, for a job that had already finished, the thread that made it the head) calls the
///   sink, and the hand-over goes through a mutex, so the sink is used by one thread at a time and sees every
///   event in the order of a sequential run.
///
/// Memory: at most `parallelism` analysers (each bounded by its `AnalysisLimits`) plus at most `parallelism`
/// buffers of `bufferLimit` items (the `parallelism − 1` jobs after the head, and the head's while it is delivered).
public enum OrderedJobs {
    /// Items (events and ordered actions) a job that is not the head may hold before it waits. An event of the
    /// generated benchmark traffic takes about 2.8 KB in memory, so this is about 45 MiB per waiting job.
    public static let defaultBufferLimit = 16_384

    /// Runs `job(0, output)` … `job(count − 1, output)`, up to `parallelism` at a time, and returns when every
    /// job has finished and everything it emitted has reached `sink`.
    ///
    /// `job` is called on several threads at once: it may read what it captures, but must change shared state
    /// only inside `output.ordered { … }`, whose actions run one at a time, in job order, interleaved with the
    /// events exactly as they were emitted. With `parallelism` 1 (or a single job) everything runs on the calling
    /// thread, with no buffering.
    public static func run(count: Int, parallelism: Int, bufferLimit: Int = defaultBufferLimit, sink: EventSink,
                           job: (_ index: Int, _ output: JobOutput) -> Void) {
        guard count > 0 else { return }
        let threads = max(1, min(parallelism, count))
        if threads == 1 {
            for i in 0..<count { job(i, JobOutput(index: i, sink: sink, coordinator: nil, streaming: true)) }
            return
        }
        withoutActuallyEscaping(job) { job in
            let coordinator = JobCoordinator(count: count, window: threads, bufferLimit: max(1, bufferLimit), sink: sink, job: job)
            coordinator.runAll(threads: threads)
        }
    }
}

/// Where a job sends its events: the shared sink when the job is the head, its own buffer before.
public final class JobOutput: EventSink {
    enum Item {
        case event(Event)
        case action(() -> Void)
    }

    let index: Int
    private let sink: EventSink
    private let coordinator: JobCoordinator?
    /// True once the job is the head and its buffer has been delivered (only its own thread reads it while it runs).
    private var streaming: Bool
    private var buffer: [Item] = []
    /// Set under the coordinator's lock when the job has returned.
    var finished = false

    init(index: Int, sink: EventSink, coordinator: JobCoordinator?, streaming: Bool) {
        self.index = index
        self.sink = sink
        self.coordinator = coordinator
        self.streaming = streaming
    }

    public func handle(_ event: Event) {
        if streaming { sink.handle(event) } else { enqueue(.event(event)) }
    }

    /// Runs `action` when everything emitted before it has been delivered, before anything emitted after it,
    /// on whichever thread delivers (never two at once).
    public func ordered(_ action: @escaping () -> Void) {
        if streaming { action() } else { enqueue(.action(action)) }
    }

    private func enqueue(_ item: Item) {
        guard let coordinator else { return deliver(item) }
        if coordinator.isHead(index) {
            deliverBuffer()
        } else if buffer.count < coordinator.bufferLimit {
            buffer.append(item)
            return
        } else {
            coordinator.waitUntilHead(index)
            deliverBuffer()
        }
        deliver(item)
    }

    private func deliver(_ item: Item) {
        switch item {
        case .event(let e): sink.handle(e)
        case .action(let a): a()
        }
    }

    /// Delivers the buffer; from then on the job streams.
    func deliverBuffer() {
        let items = buffer
        buffer = []
        for item in items { deliver(item) }
        streaming = true
    }
}

/// The state the job threads share, behind one mutex. `@unchecked Sendable`: every mutable field is read and
/// written with `condition` locked, except `job` (set before the threads start, cleared after they have been joined)
/// and what `JobOutput` documents as owned by one thread at a time.
final class JobCoordinator: @unchecked Sendable {
    let count: Int
    let window: Int
    let bufferLimit: Int
    let sink: EventSink
    private var job: ((Int, JobOutput) -> Void)?
    private let condition = ConditionLock()
    /// The earliest job not yet delivered.
    private var head = 0
    /// The next job to start.
    private var next = 0
    /// Jobs started and not yet delivered.
    private var outputs: [Int: JobOutput] = [:]

    init(count: Int, window: Int, bufferLimit: Int, sink: EventSink, job: @escaping (Int, JobOutput) -> Void) {
        self.count = count
        self.window = window
        self.bufferLimit = bufferLimit
        self.sink = sink
        self.job = job
    }

    /// Works on the calling thread and `threads − 1` others until every job has been delivered.
    func runAll(threads: Int) {
        var started: [WorkerThread] = []
        for _ in 1..<threads {
            if let t = WorkerThread({ [self] in self.work() }) { started.append(t) }
        }
        work()
        for t in started { t.join() }
        condition.lock()
        precondition(head == count && outputs.isEmpty, "ordered jobs: not every job was delivered")
        condition.unlock()
        job = nil
    }

    /// Takes jobs in order while any are left.
    private func work() {
        guard let job else { return }
        while true {
            condition.lock()
            while next < count && next >= head + window { condition.wait() }
            guard next < count else {
                condition.unlock()
                return
            }
            let index = next
            next += 1
            let output = JobOutput(index: index, sink: sink, coordinator: self, streaming: head == index)
            outputs[index] = output
            condition.unlock()
            job(index, output)
            finish(output)
        }
    }

    func isHead(_ index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return head == index
    }

    func waitUntilHead(_ index: Int) {
        condition.lock()
        while head != index { condition.wait() }
        condition.unlock()
    }

    /// A job has returned: if it is the head, deliver what it still holds and move on; otherwise the thread that
    /// makes it the head will.
    private func finish(_ output: JobOutput) {
        condition.lock()
        output.finished = true
        let isHead = head == output.index
        condition.unlock()
        guard isHead else { return }
        output.deliverBuffer()
        var delivered = output.index
        while true {
            condition.lock()
            outputs[delivered] = nil
            head = delivered + 1
            condition.broadcast()
            guard let following = outputs[head], following.finished else {
                condition.unlock()
                return
            }
            condition.unlock()
            // That job has returned, so nothing else touches its buffer; it is the head, so nothing else delivers.
            following.deliverBuffer()
            delivered = following.index
        }
    }
}
