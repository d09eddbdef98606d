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
public enum ActionInput: Sendable {
    case none, reason, noteAndPhotos, assignee, mergeTarget, satisfaction
    /// 申请延期: a number of working days and the reason.
    case daysAndReason
    /// 延期审批: approve or deny, and a note.
    case decisionAndNote
    /// 督办: the level (普通/黄牌/红牌) and a note.
    case levelAndNote

    /// The label of the choice a dialog is missing when `command` returned `nil`.
    public func missingField(_ s: Strings) -> String {
        switch self {
        case .satisfaction: return s.satisfactionField
        case .daysAndReason: return s.workingDaysField
        case .decisionAndNote: return s.decisionField
        case .levelAndNote: return s.supervisionLevelField
        case .assignee: return s.assigneeField
        case .none, .reason, .noteAndPhotos, .mergeTarget: return s.noteField
        }
    }
}

public struct ActionButton: Identifiable, Equatable {
    public var id: String { label }
    public let kind: IssueActionKind
    public let label: String
    public let input: ActionInput
}

/// What the user typed into an action's dialog (mirrors the Kotlin shell's `ActionForm`).
public struct ActionForm: Equatable, Sendable {
    public var text: String
    public var satisfaction: Satisfaction?
    public var evidence: [String]
    /// 申请延期: the working days asked for (the core checks the range).
    public var workingDays: UInt32?
    /// 延期审批: true to approve, false to deny.
    public var approved: Bool?
    /// 督办: the level chosen.
    public var level: SupervisionLevel?
    /// 交办: the user picked from the view model's `assigneeOptions` (the core's candidates, never typed).
    public var assigneeId: String?

    public init(text: String = "", satisfaction: Satisfaction? = nil, evidence: [String] = [],
                workingDays: UInt32? = nil, approved: Bool? = nil, level: SupervisionLevel? = nil,
                assigneeId: String? = nil) {
        self.text = text
        self.satisfaction = satisfaction
        self.evidence = evidence
        self.workingDays = workingDays
        self.approved = approved
        self.level = level
        self.assigneeId = assigneeId
    }
}

extension IssueActionKind {
    /// Never buttons on an existing issue: reporting (and 就地解决) is the report form, 超期预警 the server's.
    public var isButton: Bool {
        switch self {
        case .report, .resolveOnSpot, .markOverdue: return false
        default: return true
        }
    }

    public var input: ActionInput {
        switch self {
        case .accept, .start, .resume: return .none
        case .reject, .escalate, .suspend: return .reason
        case .resolve: return .noteAndPhotos
        case .assign: return .assignee
        case .merge: return .mergeTarget
        case .verify: return .satisfaction
        case .requestExtension: return .daysAndReason
        case .decideExtension: return .decisionAndNote
        case .supervise: return .levelAndNote
        case .report, .resolveOnSpot, .markOverdue: return .none
        }
    }

    /// Builds the core command for a button and its dialog; the core validates the content. `nil`: a choice is missing.
    public func command(_ form: ActionForm) -> IssueCommand? {
        let text = form.text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .accept: return .accept
        case .start: return .start
        case .reject: return .reject(reason: text)
        case .escalate: return .escalate(reason: text)
        case .merge: return .merge(intoIssueId: trimmed)
        case .assign: return form.assigneeId.map { .assign(assigneeId: $0) }
        case .resolve: return .resolve(note: text, evidence: form.evidence)
        case .verify: return form.satisfaction.map { .verify(satisfaction: $0, note: text) }
        case .suspend: return .suspend(reason: text)
        case .resume: return .resume
        case .requestExtension: return form.workingDays.map { .requestExtension(workingDays: $0, reason: text) }
        case .decideExtension: return form.approved.map { .decideExtension(approved: $0, note: text) }
        case .supervise: return form.level.map { .supervise(level: $0, note: text) }
        // Reporting (and 就地解决) is the report form; 超期预警 is the server's sweep: never a button here.
        case .report, .resolveOnSpot, .markOverdue: return nil
        }
    }

    public func command(text: String = "", satisfaction: Satisfaction? = nil, evidence: [String] = []) -> IssueCommand? {
        command(ActionForm(text: text, satisfaction: satisfaction, evidence: evidence))
    }
}

extension IssueSummary {
    /// 督办, 挂起, 延期待批 N天, 超期, 就地解决: the core's flags, the shell's words.
    public func badges(_ s: Strings) -> [String] {
        [supervisionLabel.isEmpty ? nil : supervisionLabel,
         suspended ? s.suspendedBadge : nil,
         pendingExtensionDays.map { s.extensionPending($0) },
         overdue ? s.overdueBadge : nil,
         resolvedOnSpot ? s.resolvedOnSpotBadge : nil].compactMap { $0 }
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
    /// 黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决.
    public let badges: [String]
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
    /// The 交办 picker: the people the core says this issue may be assigned to (name · where they work).
    @Published public private(set) var assigneeOptions: [Option<String>] = []
    /// Photos of the report and of the resolution (办结), a colleague's fetched by the core.
    @Published public private(set) var reportPhotos: [PhotoView] = []
    @Published public private(set) var resolutionPhotos: [PhotoView] = []
    /// The full-size file of the photo the user opened.
    @Published public var openedPhotoPath: String?
    @Published public var error: UiError?

    /// The pickers of the 督办 and 延期审批 dialogs.
    public let levelOptions: [Option<SupervisionLevel>]
    public let decisionOptions: [Option<Bool>]
    let ctx: ShellContext
    public let issueId: String

    public init(_ ctx: ShellContext, issueId: String) {
        self.ctx = ctx
        self.issueId = issueId
        levelOptions = [SupervisionLevel.normal, .yellow, .red].map { Option(value: $0, label: ctx.strings.supervision($0)) }
        decisionOptions = [Option(value: true, label: ctx.strings.approve), Option(value: false, label: ctx.strings.deny)]
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
        if d.allowedActions.contains(.assign) {
            let s = ctx.strings
            switch await ctx.core({ try $0.assigneeCandidates(issueId: id) }) {
            case let .ok(people): assigneeOptions = people.map { Option(value: $0.userId, label: s.personChoice($0.name, $0.roleLabel, $0.nodeName)) }
            case let .failed(e): error = e
            }
        } else {
            assigneeOptions = []
        }
        // Thumbnails after the page is up: a colleague's photo may need a download.
        reportPhotos = await ctx.photos(of: .issueReport(issueId: id))
        resolutionPhotos = await ctx.photos(of: .resolution(issueId: id))
    }

    /// Opens a photo at full size (from the phone, or fetched by the core).
    @discardableResult
    public func openPhoto(hash: String) async -> Bool {
        switch await ctx.coreAsync({ try await $0.openEvidence(hash: hash) }) {
        case let .ok(path): openedPhotoPath = path; error = nil; return true
        case let .failed(e): error = e; return false
        }
    }

    @discardableResult
    public func perform(_ kind: IssueActionKind, text: String = "", satisfaction: Satisfaction? = nil, evidence: [String] = []) async -> Bool {
        await perform(kind, form: ActionForm(text: text, satisfaction: satisfaction, evidence: evidence))
    }

    /// Sends an action with its dialog's inputs; on success the page reloads.
    @discardableResult
    public func perform(_ kind: IssueActionKind, form: ActionForm) async -> Bool {
        guard let command = kind.command(form) else {
            error = UiError(ctx.strings.errInvalidInput(kind.input.missingField(ctx.strings)))
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
                             counters: counters.isEmpty ? nil : counters.joined(separator: " · "), householdId: sum.householdId,
                             badges: sum.badges(s))
        timeline = t.map {
            TimelineRow(id: $0.eventId, label: $0.actionLabel, actor: $0.actorName ?? $0.actorId,
                        whenText: f.dateTime($0.atMs), detail: $0.detail, pendingSync: $0.pendingSync)
        }
        actions = d.allowedActions.filter { $0.isButton }.map { ActionButton(kind: $0, label: s.action($0), input: $0.input) }
        noActionsText = actions.isEmpty ? s.noActions : nil
    }
}
