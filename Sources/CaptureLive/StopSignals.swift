import CPcap
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM ask a live capture to stop cleanly.
///
/// The handler only stores the signal number in an atomic and calls `pcap_breakloop` (async-signal-safe), so a
/// `LiveCapture.next` that is waiting returns at once; the capture loop then finishes its work outside the handler.
/// The handlers are installed with SA_RESETHAND: a second signal of the same kind gets the default action (ends the
/// process at once, for when finishing takes too long).
public enum StopSignals {
    private static let received = Atomic<Int32>(0)
    nonisolated(unsafe) private static var handle: OpaquePointer?

    /// Installs the handlers; `capture` gets `pcap_breakloop` when a signal arrives.
    public static func install(breaking capture: LiveCapture?) {
        // Touch the statics here: their lazy initialisation must not happen inside the handler.
        _ = received.load(ordering: .relaxed)
        handle = capture?.handle
        // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signo in [SIGINT, SIGTERM] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { signo in
                StopSignals.received.store(signo, ordering: .sequentiallyConsistent)
                if let h = StopSignals.handle { pcap_breakloop(h) }
            }
            #else
            action.__sigaction_u.__sa_handler = { signo in
                StopSignals.received.store(signo, ordering: .sequentiallyConsistent)
                if let h = StopSignals.handle { pcap_breakloop(h) }
            }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(signo, &action, nil)
        }
    }

    /// The capture no longer exists: later signals only set the flag.
    public static func detach() { handle = nil }

    /// The signal that asked to stop (SIGINT or SIGTERM), or nil.
    public static var requested: Int32? {
        let s = received.load(ordering: .sequentiallyConsistent)
        return s == 0 ? nil : s
    }

    /// Name of a stop signal for messages.
    public static func name(_ signo: Int32) -> String {
        switch signo {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signo)"
        }
    }
}
