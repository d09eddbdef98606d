import Foundation

/// Display formatting only (numbers, dates, "5 分钟前"); deadlines, lights and verdicts come from the core.
public struct Format: Sendable {
    let s: Strings
    let timeZone: TimeZone

    public init(_ s: Strings, timeZone: TimeZone = .current) {
        self.s = s
        self.timeZone = timeZone
    }

    public func distance(_ m: Double) -> String {
        if m < 1000 { return s.metres(Int64(m.rounded())) }
        return s.kilometres(String(format: "%.1f", m / 1000))
    }

    public func accuracy(_ m: Double) -> String { s.accuracy(Int64(m.rounded())) }

    public func dateTime(_ ms: Int64) -> String { format(ms, "MM-dd HH:mm") }

    public func fullDateTime(_ ms: Int64) -> String { format(ms, "yyyy-MM-dd HH:mm") }

    /// How long ago a phone-local event (a sync) happened.
    public func ago(_ ms: Int64, now: Int64) -> String {
        let minutes = max(now - ms, 0) / 60_000
        if minutes < 1 { return s.justNow }
        if minutes < 60 { return s.minutesAgo(minutes) }
        if minutes < 24 * 60 { return s.hoursAgo(minutes / 60) }
        return s.daysAgo(minutes / (24 * 60))
    }

    /// A deadline as the core gives it, shown as an absolute time (the light says how close it is).
    public func due(_ ms: Int64?) -> String? { ms.map { s.dueBy(dateTime($0)) } }

    private func format(_ ms: Int64, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        f.dateFormat = pattern
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(ms) / 1000))
    }
}

/// Milliseconds since the epoch, as the core counts time.
public func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
