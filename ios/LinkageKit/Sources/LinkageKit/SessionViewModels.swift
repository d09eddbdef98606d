import Foundation

public struct SessionView: Equatable {
    public let userId: String
    public let title: String
    public let subtitle: String
    public let role: Role
    /// The first screen of the role: the core decides it (`Session.capabilities.home`).
    public let home: Home
    /// What this role may do at all (就地解决, inbox, household acknowledgements, directives, triage).
    public let capabilities: Capabilities
}

extension Session {
    public func toView() -> SessionView {
        SessionView(userId: userId, title: userName, subtitle: "\(roleLabel) · \(nodeName)", role: role,
                    home: capabilities.home, capabilities: capabilities)
    }
}

/// Sign-in and device enrolment (`connect`), and the persisted session on start.
@MainActor
public final class SessionViewModel: ObservableObject {
    @Published public var serverUrl = ""
    @Published public var userId = ""
    @Published public var password = ""
    /// The server asked for a new password (an initial one): the form shows a second field.
    @Published public private(set) var needsNewPassword = false
    @Published public var newPassword = ""
    @Published public private(set) var busy = false
    @Published public private(set) var error: UiError?
    @Published public private(set) var session: SessionView?

    let ctx: ShellContext

    public init(_ ctx: ShellContext) { self.ctx = ctx }

    public var canSubmit: Bool {
        !busy && !serverUrl.trimmingCharacters(in: .whitespaces).isEmpty
            && !userId.trimmingCharacters(in: .whitespaces).isEmpty && !password.isEmpty
            && (!needsNewPassword || !newPassword.isEmpty)
    }

    public func restore() async {
        let r = await ctx.core { $0.session() }
        error = r.error
        session = r.value??.toView()
        if let url = await ctx.core({ try $0.outboxStatus() }).value?.serverUrl { serverUrl = url }
    }

    /// Enrols the device and downloads the user's area; async on the core's own runtime.
    public func connect() async {
        guard canSubmit else { return }
        busy = true
        error = nil
        let url = serverUrl.trimmingCharacters(in: .whitespaces)
        let user = userId.trimmingCharacters(in: .whitespaces)
        do {
            // An initial password: the core says so (`password_change_required`), the form asks for a new one and
            // the core checks it against the shared policy before sending.
            let s = needsNewPassword
                ? try await ctx.app.connectWithNewPassword(serverUrl: url, userId: user, password: password, newPassword: newPassword)
                : try await ctx.app.connect(serverUrl: url, userId: user, password: password)
            password = ""
            newPassword = ""
            needsNewPassword = false
            session = s.toView()
        } catch {
            let e = uiError(error, ctx.strings)
            if e.code == "password_change_required" { needsNewPassword = true }
            self.error = e
        }
        busy = false
    }

    public func signOut() async {
        error = await ctx.core { try $0.signOut() }.error
        session = nil
    }
}

public struct QuarantineRow: Identifiable, Equatable {
    public var id: String { opId }
    public let opId: String
    /// What it was, why the server refused it and what to do: the core's words. `detail`: for "详情" only.
    public let kind: String
    public let reason: String
    public let nextStep: String
    public let detail: String
    public let whenText: String
}

/// Receives the core's progress callbacks (on a background thread) and hops to the main actor.
final class SyncProgress: SyncObserver, @unchecked Sendable {
    weak var model: SyncBarViewModel?

    func onProgress(phase: SyncPhase, done: UInt64, total: UInt64) {
        Task { @MainActor [weak model] in model?.progress(phase: phase, done: done, total: total) }
    }
}

/// Receives the core's sync state (on a core thread) and hops to the main actor.
final class SyncStateRelay: SyncStateObserver, @unchecked Sendable {
    weak var model: SyncBarViewModel?

    func onSyncState(status: SyncStatus) throws {
        Task { @MainActor [weak model] in model?.show(status) }
    }
}

/// The sync bar: pending count, last sync, progress, quarantined operations with reasons, and the core's sync
/// state (the offline chip and "上次同步" on every screen). Mirrors the Kotlin `SyncBarPresenter`.
@MainActor
public final class SyncBarViewModel: ObservableObject {
    /// The core's one-line headline ("已全部同步", "离线（5 分钟前起）：…") and the offline chip ("离线").
    @Published public private(set) var headline = ""
    @Published public private(set) var offlineChip: String?
    @Published public private(set) var syncState: SyncState?
    private let relay = SyncStateRelay()
    @Published public private(set) var pendingText = ""
    @Published public private(set) var lastSyncText = ""
    @Published public private(set) var lastSyncFailed = false
    /// What to do about the last failure, in the core's words.
    @Published public private(set) var lastSyncNextStep: String?
    @Published public private(set) var running = false
    @Published public private(set) var progressText: String?
    /// 0...1, or nil for an indeterminate bar.
    @Published public private(set) var progress: Double?
    @Published public private(set) var quarantinedText: String?
    @Published public private(set) var quarantinedItems: [QuarantineRow] = []
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    private let observer = SyncProgress()

    public init(_ ctx: ShellContext) {
        self.ctx = ctx
        observer.model = self
        relay.model = self
    }

    /// Follows the core's sync state from now on (the current status arrives at once). Once per app.
    public func attach() async {
        let relay = self.relay
        _ = await ctx.core { $0.observeSyncState(observer: relay) }
    }

    /// Re-reads the status ("上次同步：5 分钟前" moves with the clock: call it each minute while shown).
    public func tick() async {
        if let status = await ctx.core({ try $0.syncStatus() }).value { show(status) }
    }

    func show(_ status: SyncStatus) {
        syncState = status.state
        headline = status.headline
        offlineChip = status.offlineChip
        lastSyncText = status.lastSyncedText
        pendingText = status.pending == 0 ? ctx.strings.allSynced : ctx.strings.pending(Int64(status.pending))
        if case .syncing = status.state {
            running = true
            progressText = status.headline
            progress = status.progress.map { Double($0) }
        } else {
            running = false
            progressText = nil
            progress = nil
        }
        switch status.state {
        case .offline, .blocked: lastSyncFailed = true
        default: lastSyncFailed = false
        }
    }

    func progress(phase: SyncPhase, done: UInt64, total: UInt64) {
        running = true
        progressText = ctx.strings.progress(phase, done, total)
        progress = total == 0 ? nil : min(max(Double(done) / Double(total), 0), 1)
    }

    public func refresh() async {
        let s = ctx.strings
        guard let status = await ctx.core({ try $0.outboxStatus() }).value,
              let items = await ctx.core({ try $0.quarantinedOperations() }).value else { return }
        let now = ctx.clock()
        pendingText = status.pending == 0 ? s.allSynced : s.pending(Int64(status.pending))
        if let e = status.lastErrorMessage {
            lastSyncText = s.lastSyncFailed(e.message)
        } else if let at = status.lastSyncAtMs {
            lastSyncText = s.lastSync(ctx.format.ago(at, now: now))
        } else {
            lastSyncText = s.neverSynced
        }
        lastSyncFailed = status.lastErrorMessage != nil
        lastSyncNextStep = status.lastErrorMessage?.nextStep
        quarantinedText = status.quarantined == 0 ? nil : s.quarantined(Int64(status.quarantined))
        quarantinedItems = items.map {
            QuarantineRow(opId: $0.opId, kind: $0.kindLabel, reason: $0.reasonLabel, nextStep: $0.nextStep,
                          detail: $0.message, whenText: ctx.format.ago($0.createdAtMs, now: now))
        }
    }

    public func sync() async {
        guard !running else { return }
        running = true
        progress = nil
        progressText = ctx.strings.syncing
        error = nil
        do {
            _ = try await ctx.app.sync(observer: observer)
        } catch {
            self.error = uiError(error, ctx.strings)
        }
        running = false
        progress = nil
        progressText = nil
        await refresh()
    }
}
