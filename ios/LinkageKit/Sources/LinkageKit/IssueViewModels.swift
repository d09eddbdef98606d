import Foundation

/// The triage queue's state filter chips.
public enum QueueFilter: CaseIterable, Sendable {
    case open, new, resolved, all

    public var states: [IssueState] {
        switch self {
        case .open: return [.reported, .accepted, .assigned, .inProgress, .resolved]
        case .new: return [.reported]
        case .resolved: return [.resolved]
        case .all: return []
        }
    }

    public func label(_ s: Strings) -> String {
        switch self {
        case .open: return s.filterOpen
        case .new: return s.filterNew
        case .resolved: return s.filterResolved
        case .all: return s.filterAll
        }
    }
}

/// Township (or county) triage queue: owned issues, deadline first, with lights.
@MainActor
public final class TriageViewModel: ObservableObject {
    @Published public private(set) var filter: QueueFilter = .open
    @Published public private(set) var rows: [IssueRow] = []
    @Published public private(set) var total: UInt64 = 0
    @Published public private(set) var nextOffset: UInt32?
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    let pageSize: UInt32

    public init(_ ctx: ShellContext, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
    }

    public func setFilter(_ f: QueueFilter) async {
        filter = f
        await load()
    }

    public func load() async {
        loading = true
        error = nil
        let states = filter.states
        let size = pageSize
        switch await ctx.core({ try $0.triageQueue(states: states, offset: 0, limit: size) }) {
        case let .ok(page):
            rows = page.items.map { $0.toRow(ctx.strings, ctx.format) }
            total = page.total
            nextOffset = page.nextOffset
        case let .failed(e):
            error = e
        }
        loading = false
    }

    public func loadMore() async {
        guard let offset = nextOffset, !loading else { return }
        loading = true
        let states = filter.states
        let size = pageSize
        switch await ctx.core({ try $0.triageQueue(states: states, offset: offset, limit: size) }) {
        case let .ok(page):
            rows += page.items.map { $0.toRow(ctx.strings, ctx.format) }
            total = page.total
            nextOffset = page.nextOffset
        case let .failed(e):
            error = e
        }
        loading = false
    }
}

/// Which input an action's dialog asks for before it is sent.
public enum ActionInput: Sendable { case none, reason, noteAndPhotos, assignee, mergeTarget, satisfaction }

public struct ActionButton: Identifiable, Equatable {
    public var id: String { label }
    public let kind: IssueActionKind
    public let label: String
    public let input: ActionInput
}

extension IssueActionKind {
    public var input: ActionInput {
        switch self {
        case .accept, .start, .report: return .none
        case .reject, .escalate: return .reason
        case .resolve: return .noteAndPhotos
        case .assign: return .assignee
        case .merge: return .mergeTarget
        case .verify: return .satisfaction
        }
    }

    /// Builds the core command for a button and its dialog; the core validates the content.
    public func command(text: String = "", satisfaction: Satisfaction? = nil, evidence: [String] = []) -> IssueCommand? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .accept: return .accept
        case .start: return .start
        case .reject: return .reject(reason: text)
        case .escalate: return .escalate(reason: text)
        case .merge: return .merge(intoIssueId: trimmed)
        case .assign: return .assign(assigneeId: trimmed)
        case .resolve: return .resolve(note: text, evidence: evidence)
        case .verify: return satisfaction.map { .verify(satisfaction: $0, note: text) }
        case .report: return nil
        }
    }
}

public struct IssueHeader: Equatable {
    public let id: String
    public let title: String
    public let subtitle: String
    public let stateLabel: String
    public let light: Light
    public let lightLabel: String
    public let dueText: String?
    public let description: String
    public let counters: String?
    public let householdId: String?
}

public struct TimelineRow: Identifiable, Equatable {
    public let id: String
    public let label: String
    public let actor: String
    public let whenText: String
    public let detail: String
    public let pendingSync: Bool
}

/// The issue page: summary, timeline, and exactly the actions this user may take now.
@MainActor
public final class IssueViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var header: IssueHeader?
    @Published public private(set) var timeline: [TimelineRow] = []
    @Published public private(set) var actions: [ActionButton] = []
    @Published public private(set) var noActionsText: String?
    @Published public private(set) var performing: IssueActionKind?
    @Published public var error: UiError?

    let ctx: ShellContext
    public let issueId: String

    public init(_ ctx: ShellContext, issueId: String) {
        self.ctx = ctx
        self.issueId = issueId
    }

    public func load() async {
        loading = true
        error = nil
        let id = issueId
        let detail = await ctx.core { try $0.issue(issueId: id) }
        let entries = await ctx.core { try $0.issueTimeline(issueId: id) }
        loading = false
        guard let d = detail.value, let t = entries.value else {
            error = detail.error ?? entries.error
            return
        }
        show(d, t)
    }

    @discardableResult
    public func perform(_ kind: IssueActionKind, text: String = "", satisfaction: Satisfaction? = nil, evidence: [String] = []) async -> Bool {
        guard let command = kind.command(text: text, satisfaction: satisfaction, evidence: evidence) else {
            error = UiError(ctx.strings.errInvalidInput(ctx.strings.satisfactionField))
            return false
        }
        performing = kind
        error = nil
        let id = issueId
        let r = await ctx.core { try $0.performIssueAction(issueId: id, command: command) }
        performing = nil
        if let e = r.error {
            error = e
            return false
        }
        await load()
        return true
    }

    private func show(_ d: IssueDetail, _ t: [TimelineEntry]) {
        let s = ctx.strings
        let f = ctx.format
        let sum = d.summary
        let counters = [sum.reworkCount > 0 ? s.rework(sum.reworkCount) : nil,
                        sum.escalationCount > 0 ? s.escalated(sum.escalationCount) : nil].compactMap { $0 }
        header = IssueHeader(id: sum.id, title: sum.title, subtitle: "\(sum.categoryLabel) · \(sum.urgencyLabel)",
                             stateLabel: sum.stateLabel, light: sum.light, lightLabel: s.light(sum.light),
                             dueText: f.due(sum.dueAtMs), description: d.description,
                             counters: counters.isEmpty ? nil : counters.joined(separator: " · "), householdId: sum.householdId)
        timeline = t.map {
            TimelineRow(id: $0.eventId, label: $0.actionLabel, actor: $0.actorName ?? $0.actorId,
                        whenText: f.dateTime($0.atMs), detail: $0.detail, pendingSync: $0.pendingSync)
        }
        actions = d.allowedActions.filter { $0 != .report }.map { ActionButton(kind: $0, label: s.action($0), input: $0.input) }
        noActionsText = actions.isEmpty ? s.noActions : nil
    }
}
