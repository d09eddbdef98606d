import Foundation

/// Township (or county) triage queue: owned issues, deadline first, with lights.
@MainActor
public final class TriageViewModel: ObservableObject {
    /// The filter chips, in the core's words (未结案, 待受理, 待回访, 超期, 全部).
    @Published public private(set) var filters: [IssueFilterSpec] = []
    @Published public private(set) var filter: IssueFilter = .open
    /// The staff banner: a year without the county's holiday calendar (the core's words), or nil.
    @Published public private(set) var calendarWarning: String?
    /// The queue's rows, total and next page (`PagedRows`).
    @Published public private(set) var list = PagedRows<IssueRow>()
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    public var rows: [IssueRow] { list.rows }
    public var total: UInt64 { list.total }
    public var nextOffset: UInt32? { list.nextOffset }

    let ctx: ShellContext
    let pageSize: UInt32
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
        // The screen refreshes itself when the core reports new or changed issues (a write, a pulled page).
        subscription = ctx.changes.subscribe([.issues, .session]) { [weak self] in await self?.load() }
    }

    public func setFilter(_ f: IssueFilter) async {
        filter = f
        await load()
    }

    public func load() async {
        loading = true
        error = nil
        if filters.isEmpty, let f = await ctx.core({ $0.issueFilters() }).value { filters = f }
        calendarWarning = await ctx.core({ $0.calendarWarning() }).value??.message
        await page(0, replace: true)
    }

    public func loadMore() async {
        guard let offset = nextOffset, !loading else { return }
        loading = true
        await page(offset, replace: false)
    }

    /// One page of the queue: the first replaces the rows, the next ones append.
    private func page(_ offset: UInt32, replace: Bool) async {
        let chosen = filter
        let size = pageSize
        let (s, f) = (ctx.strings, ctx.format)
        let outcome = await ctx.core({ try $0.issueQueue(filter: chosen, offset: offset, limit: size) })
        if let e = list.take(outcome, replace: replace, { $0.toRow(s, f) }) { error = e }
        loading = false
    }
}

/// The issue page's buttons are the core's `ActionSpec`s (label, text, photos, days, choices, person picker:
/// `needsPerson` → pick from `assigneeOptions` into `ActionForm.personId`); the dialog fills a core
/// `ActionForm` and the core builds the command. Mirrors the Kotlin shell.
public typealias ActionButton = ActionSpec

extension ActionSpec: Identifiable {
    public var id: IssueActionKind { kind }
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
    /// The photos this step brought (report, 办结, 补充反映): hashes among the page's report and resolution photos.
    public var photoHashes: [String] = []
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
    /// The 交办 picker: the people the core says this issue may be assigned to (name · where they work · 在办 N 件).
    @Published public private(set) var assigneeOptions: [Option<String>] = []
    /// The 合并 picker: the core's duplicate suggestions, or the open issues whose title contains `mergeSearch`;
    /// the picked id goes into `ActionForm.otherIssueId` (no typed ids).
    @Published public private(set) var mergeOptions: [MergeOption] = []
    @Published public private(set) var mergeSearch = ""
    /// Photos of the report and of the resolution (办结), a colleague's fetched by the core.
    @Published public private(set) var reportPhotos: [PhotoView] = []
    @Published public private(set) var resolutionPhotos: [PhotoView] = []
    /// The full-size file of the photo the user opened.
    @Published public var openedPhotoPath: String?
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
        if d.actions.contains(where: { $0.needsPerson }) {
            let s = ctx.strings
            switch await ctx.core({ try $0.assigneePicker(issueId: id) }) {
            case let .ok(people):
                assigneeOptions = people.map { Option(value: $0.person.userId, label: "\(s.personChoice($0.person.name, $0.person.roleLabel, $0.person.nodeName)) · \($0.loadLabel)") }
            case let .failed(e): error = e
            }
        } else {
            assigneeOptions = []
        }
        if d.actions.contains(where: { $0.needsOtherIssue }) {
            await loadMergeOptions(mergeSearch)
        } else {
            mergeOptions = []
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

    /// The 合并 picker's search box: blank shows the core's suggestions again.
    public func searchMerge(_ text: String) async {
        mergeSearch = text
        await loadMergeOptions(text)
    }

    private func loadMergeOptions(_ search: String) async {
        let id = issueId
        let query: String? = search.trimmingCharacters(in: .whitespaces).isEmpty ? nil : search
        switch await ctx.core({ try $0.mergeCandidates(issueId: id, search: query, offset: 0, limit: 30) }) {
        case let .ok(page):
            mergeOptions = page.items.map { c in
                MergeOption(issueId: c.issue.id, title: c.issue.title,
                            detail: [c.issue.stateLabel, c.note].filter { !$0.isEmpty }.joined(separator: " · "), suggested: c.suggested)
            }
        case let .failed(e): error = e
        }
    }

    /// Sends a button's action with what its dialog collected; the core builds the command (a missing pick
    /// comes back as its `InvalidInput`). On success the page reloads.
    @discardableResult
    public func perform(_ kind: IssueActionKind, form: ActionForm = ActionForm()) async -> Bool {
        performing = kind
        error = nil
        let id = issueId
        let r = await ctx.core { try $0.performAction(issueId: id, kind: kind, form: form) }
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
            TimelineRow(id: $0.eventId, label: $0.actionLabel, actor: $0.actorName,
                        whenText: f.dateTime($0.atMs), detail: $0.detail, pendingSync: $0.pendingSync, photoHashes: $0.evidence)
        }
        actions = d.actions
        noActionsText = actions.isEmpty ? s.noActions : nil
    }
}
