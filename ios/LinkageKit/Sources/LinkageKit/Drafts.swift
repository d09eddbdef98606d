import Foundation

/// The core's `ChangeObserver`: it says which kinds of data changed (topics) after every local write and
/// every pulled page; each open screen that shows one of them reloads. Mirrors the Kotlin `ChangeBus`.
/// Called from core threads with no lock held; reloads of one screen are coalesced and run on the main actor.
public final class ChangeBus: ChangeObserver, @unchecked Sendable {
    private final class Listener {
        let topics: Set<ChangeTopic>
        let reload: @MainActor () async -> Void
        var scheduled = false
        var again = false
        init(topics: Set<ChangeTopic>, reload: @escaping @MainActor () async -> Void) {
            self.topics = topics
            self.reload = reload
        }
    }

    private let lock = NSLock()
    private var listeners: [ObjectIdentifier: Listener] = [:]

    public init() {}

    /// Re-runs `reload` when one of `topics` changes; keep the token, drop it to stop.
    public func subscribe(_ topics: Set<ChangeTopic>, reload: @escaping @MainActor () async -> Void) -> ChangeSubscription {
        let listener = Listener(topics: topics, reload: reload)
        let id = ObjectIdentifier(listener)
        lock.lock()
        listeners[id] = listener
        lock.unlock()
        return ChangeSubscription { [weak self] in
            self?.lock.lock()
            self?.listeners[id] = nil
            self?.lock.unlock()
        }
    }

    public func onChanged(topics: [ChangeTopic]) throws {
        lock.lock()
        let hit = listeners.values.filter { !$0.topics.isDisjoint(with: topics) }
        lock.unlock()
        for l in hit { schedule(l) }
    }

    private func schedule(_ l: Listener) {
        lock.lock()
        if l.scheduled {
            l.again = true
            lock.unlock()
            return
        }
        l.scheduled = true
        lock.unlock()
        Task { @MainActor in
            repeat {
                self.lock.lock()
                l.again = false
                self.lock.unlock()
                await l.reload()
                self.lock.lock()
                let more = l.again
                if !more { l.scheduled = false }
                self.lock.unlock()
                if !more { break }
            } while true
        }
    }
}

/// Ends a `ChangeBus` subscription when released.
public final class ChangeSubscription {
    private let cancel: () -> Void
    init(_ cancel: @escaping () -> Void) { self.cancel = cancel }
    deinit { cancel() }
}

/// A form's draft in the core (草稿): started or resumed on first use, saved after every edit, photos held by
/// the core. Mirrors the Kotlin `DraftSession`: one save at a time, each writing the latest fields.
public actor DraftSession {
    private let ctx: ShellContext
    private let start: @Sendable (FieldApp) throws -> Draft
    private var draft: Draft?
    private var latest: DraftFields?

    public init(_ ctx: ShellContext, start: @escaping @Sendable (FieldApp) throws -> Draft) {
        self.ctx = ctx
        self.start = start
    }

    private func call<T>(_ body: @escaping (FieldApp) throws -> T) async throws -> T {
        let app = ctx.app
        return try await Task.detached(priority: .userInitiated) { try body(app) }.value
    }

    public func open() async throws -> Draft {
        if let d = draft { return d }
        let start = self.start
        let d = try await call { try start($0) }
        draft = d
        return d
    }

    /// Stores the latest fields (called after every edit).
    public func save(_ fields: DraftFields) async throws {
        latest = fields
        let d = try await open()
        guard let f = latest, f != d.fields else { return }
        let id = d.id
        draft = try await call { try $0.updateDraft(draftId: id, fields: f) }
    }

    public func addPhoto(path: String, fix: GpsFix?) async throws -> Draft {
        let id = try await open().id
        let d = try await call { try $0.addDraftPhoto(draftId: id, path: path, fix: fix) }
        draft = d
        return d
    }

    public func removePhoto(hash: String) async throws -> Draft {
        let id = try await open().id
        let d = try await call { try $0.removeDraftPhoto(draftId: id, hash: hash) }
        draft = d
        return d
    }

    public func flush() async throws -> Draft {
        if let f = latest { try await save(f) }
        return try await open()
    }

    public func submit() async throws -> SubmittedRecord {
        let id = try await flush().id
        let r = try await call { try $0.submitDraft(draftId: id) }
        draft = nil
        latest = nil
        return r
    }

    /// 就地解决: the report draft becomes a resolved issue in one core transaction (the draft is gone after).
    public func submitResolvedOnSpot() async throws -> IssueSummary {
        let id = try await flush().id
        let issue = try await call { try $0.submitDraftResolvedOnSpot(draftId: id) }
        draft = nil
        latest = nil
        return issue
    }

    public func discard() async throws {
        guard let id = draft?.id else { return }
        try await call { try $0.discardDraft(draftId: id) }
        draft = nil
        latest = nil
    }

    /// The form is leaving: every edit stored, then the core drops the draft if nothing was typed, picked or
    /// photographed (it decides what counts), so "继续填写" lists only real work. Mirrors Kotlin `leave`.
    public func leave() async {
        guard let id = draft?.id else { return }
        if let f = latest { try? await save(f) }
        _ = try? await call { try $0.closeDraft(draftId: id) }
        draft = nil
        latest = nil
    }
}

/// A generic draft form (task completion, 办结, 回访). Mirrors the Kotlin `DraftFormPresenter`: the text label and
/// the choices (满意 / 基本满意 / 不满意) come from the draft's action spec in the core.
@MainActor
public final class DraftFormViewModel: ObservableObject {
    @Published public private(set) var kindLabel = ""
    @Published public private(set) var subject: String?
    @Published public private(set) var fields = DraftFields()
    @Published public private(set) var textLabel = ""
    @Published public private(set) var choiceLabel = ""
    @Published public private(set) var choices: [Option<String>] = []
    @Published public private(set) var photos: [PhotoThumb] = []
    @Published public private(set) var takesPhotos = false
    @Published public private(set) var busy = false
    @Published public private(set) var submitted: SubmittedRecord?
    @Published public var error: UiError?
    /// The draft's id once opened (the scene storage keeps it to reopen the form after iOS ended the app).
    @Published public private(set) var draftId: String?

    let ctx: ShellContext
    private let session: DraftSession
    private var saveTask: Task<Void, Never>?

    public init(_ ctx: ShellContext, start: @escaping @Sendable (FieldApp) throws -> Draft) {
        self.ctx = ctx
        self.session = DraftSession(ctx, start: start)
    }

    /// The form of an issue action whose `ActionSpec.draft` is set (办结, 回访).
    public static func action(_ ctx: ShellContext, issueId: String, action: IssueActionKind) -> DraftFormViewModel {
        DraftFormViewModel(ctx) { try $0.startActionDraft(issueId: issueId, action: action) }
    }

    /// A task directive's completion report (任务完成情况).
    public static func taskCompletion(_ ctx: ShellContext, directiveId: String) -> DraftFormViewModel {
        DraftFormViewModel(ctx) { try $0.startTaskCompletionDraft(directiveId: directiveId) }
    }

    /// A draft continued from "继续填写" (`DraftTarget.form`).
    public static func resumed(_ ctx: ShellContext, draftId: String) -> DraftFormViewModel {
        DraftFormViewModel(ctx) { try $0.draft(draftId: draftId) }
    }

    public var canSubmit: Bool { !busy && submitted == nil }
    public var choice: String? { fields.choice }

    private func attempt(_ body: () async throws -> Void) async -> Bool {
        busy = true
        error = nil
        defer { busy = false }
        do {
            try await body()
            return true
        } catch {
            self.error = uiError(error, ctx.strings)
            return false
        }
    }

    private func show(_ d: Draft) {
        draftId = d.id
        kindLabel = d.kindLabel
        subject = d.subjectLabel
        fields = d.fields
        let label = d.action?.textLabel ?? ""
        textLabel = label.isEmpty ? ctx.strings.completionNoteField : label
        choiceLabel = d.action?.choiceLabel ?? ""
        choices = (d.action?.choices ?? []).map { Option(value: $0.id, label: $0.label) }
        photos = d.photos.map { $0.toThumb() }
        takesPhotos = d.takesPhotos
    }

    @discardableResult
    public func open() async -> Bool { await attempt { show(try await session.open()) } }

    private func edit(_ change: (inout DraftFields) -> Void) {
        change(&fields)
        let f = fields
        let session = self.session
        let previous = saveTask
        // Chained: edits are stored in the order they were made.
        saveTask = Task { await previous?.value; try? await session.save(f) }
    }

    public func setNotes(_ v: String) { edit { $0.notes = v } }
    /// One of `choices` (its id, as the core gave it).
    public func setChoice(_ id: String) { edit { $0.choice = id } }
    public func onFix(_ fix: GpsFix) { edit { $0.fix = fix } }

    @discardableResult
    public func addPhoto(path: String) async -> Bool {
        let fix = fields.fix
        return await attempt { show(try await session.addPhoto(path: path, fix: fix)) }
    }

    @discardableResult
    public func submit() async -> SubmittedRecord? {
        var out: SubmittedRecord?
        await saveTask?.value // every edit stored first
        _ = await attempt { out = try await session.submit() }
        submitted = out
        return out
    }

    @discardableResult
    public func discard() async -> Bool { await attempt { try await session.discard() } }

    /// Leaving the form: the draft stays for "继续填写" unless nothing was entered (the core decides).
    public func leave() async {
        guard submitted == nil else { return }
        await saveTask?.value
        await session.leave()
    }
}

/// Where a draft is continued (mirrors Kotlin `DraftTarget`): the visit form, the report form, or the generic
/// draft form by id (办结, 回访, 任务完成情况).
public enum DraftTarget: Equatable {
    case visit(householdId: String, issueId: String?)
    case report(householdId: String?, nodeId: String?)
    case form(draftId: String)
}

public extension Draft {
    var target: DraftTarget {
        switch kind {
        case .visit:
            if let h = householdId { return .visit(householdId: h, issueId: issueId) }
            return .form(draftId: id)
        case .issueReport: return .report(householdId: householdId, nodeId: nodeId)
        case .taskCompletion, .resolution, .verification: return .form(draftId: id)
        }
    }
}

/// A draft to resume ("继续填写").
public struct DraftRow: Identifiable, Equatable {
    public let id: String
    public let kind: DraftKind
    public let kindLabel: String
    /// What it is about: the household's head, the issue's or directive's title, the place.
    public let subject: String?
    public let title: String
    public let photosText: String?
    public let editedText: String
    public let target: DraftTarget
}

/// The user's unfinished forms, newest first; refreshes itself when drafts change. Mirrors `DraftListPresenter`.
@MainActor
public final class DraftListViewModel: ObservableObject {
    @Published public private(set) var rows: [DraftRow] = []
    @Published public private(set) var error: UiError?
    let ctx: ShellContext
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext) {
        self.ctx = ctx
        subscription = ctx.changes.subscribe([.drafts, .session]) { [weak self] in await self?.load() }
    }

    /// The home screens' entry: "继续填写（2）", or nil when there is no draft.
    public var entryText: String? { rows.isEmpty ? nil : ctx.strings.continueDrafts(rows.count) }

    public func load() async {
        switch await ctx.core({ try $0.drafts() }) {
        case let .ok(drafts):
            let now = ctx.clock()
            error = nil
            rows = drafts.map { d in
                DraftRow(id: d.id, kind: d.kind, kindLabel: d.kindLabel, subject: d.subjectLabel,
                         title: String((d.fields.title.isEmpty ? d.fields.notes : d.fields.title).prefix(40)),
                         photosText: d.photos.isEmpty ? nil : ctx.strings.photoCount(d.photos.count),
                         editedText: ctx.format.ago(d.updatedAtMs, now: now),
                         target: d.target)
            }
        case let .failed(e):
            error = e
        }
    }

    /// Throws a draft away from the list (its photos too).
    @discardableResult
    public func discard(_ id: String) async -> Bool {
        switch await ctx.core({ try $0.discardDraft(draftId: id) }) {
        case .ok:
            await load()
            return true
        case let .failed(e):
            error = e
            return false
        }
    }
}
