import Foundation

/// Directives reaching my node, a page at a time: acknowledge (签收), then relay (转发).
@MainActor
public final class DirectiveInboxViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var rows: [DirectiveRow] = []
    @Published public private(set) var total: UInt64 = 0
    @Published public private(set) var nextOffset: UInt32?
    @Published public private(set) var busyId: String?
    @Published public var error: UiError?
    /// 下达指令 is offered (county, township, branch: the core's capability).
    @Published public private(set) var canCompose = false
    /// The units directly below me silent past their window (逾期未签收, the core's flags), with 催办.
    @Published public private(set) var silentChildren: [SilentChildRow] = []
    /// What the last 催办 did.
    @Published public private(set) var notice: String?

    let ctx: ShellContext
    let pageSize: UInt32

    public init(_ ctx: ShellContext, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
    }

    public func load() async {
        loading = true
        error = nil
        let limit = pageSize
        canCompose = await ctx.core { $0.session() }.value??.capabilities.issueDirectives == true
        switch await ctx.core({ try $0.silentNodesForMe(offset: 0, limit: limit) }) {
        case let .ok(page):
            silentChildren = page.items.map {
                SilentChildRow(directiveId: $0.directiveId, nodeId: $0.nodeId, nodeText: "\($0.levelLabel) \($0.nodeName)",
                               detail: ctx.strings.silentFor($0.directiveTitle, $0.overdueMs / 3_600_000))
            }
        case let .failed(e): error = e
        }
        switch await ctx.core({ try $0.directiveInbox(offset: 0, limit: limit) }) {
        case let .ok(page):
            rows = page.items.map { $0.toRow(ctx.strings, ctx.format) }
            total = page.total
            nextOffset = page.nextOffset
        case let .failed(e): error = e
        }
        loading = false
    }

    public func loadMore() async {
        guard let offset = nextOffset, !loading else { return }
        loading = true
        let limit = pageSize
        switch await ctx.core({ try $0.directiveInbox(offset: offset, limit: limit) }) {
        case let .ok(page):
            rows += page.items.map { $0.toRow(ctx.strings, ctx.format) }
            total = page.total
            nextOffset = page.nextOffset
        case let .failed(e): error = e
        }
        loading = false
    }

    /// 催办 one unit below me that is silent past its window; its phones show it after their next sync.
    public func remind(directiveId: String, nodeId: String) async {
        busyId = nodeId
        error = nil
        notice = nil
        let r = await ctx.core { try $0.remindNode(directiveId: directiveId, nodeId: nodeId) }
        busyId = nil
        switch r {
        case .ok: notice = ctx.strings.remindedCount(1)
        case let .failed(e): error = e
        }
    }

    public func acknowledge(_ id: String) async { await step(id) { try $0.acknowledgeDirective(directiveId: id) } }
    public func relay(_ id: String) async { await step(id) { try $0.relayDirective(directiveId: id) } }

    private func step(_ id: String, _ call: @escaping (FieldApp) throws -> DirectiveSummary) async {
        busyId = id
        error = nil
        let r = await ctx.core(call)
        busyId = nil
        switch r {
        case let .ok(d):
            let row = d.toRow(ctx.strings, ctx.format)
            rows = rows.map { $0.id == id ? row : $0 }
        case let .failed(e):
            error = e
        }
    }
}

public struct AckRow: Identifiable, Equatable {
    public var id: String { household.id }
    public let household: HouseholdRow
    /// How, when and by whom the household was told (`nil`: untold), from the core.
    public var recorded: String?
}

public struct CoverageView: Equatable {
    public let levels: [String]
    /// The silent nodes loaded so far (a page at a time; `silentNextOffset` for more), of `silentTotalText`.
    public var silent: [SilentUnitRow]
    public let silentTotalText: String?
    public var silentNextOffset: UInt32?
    /// How many nodes in view reported a task done (tasks only).
    public let tasksCompletedText: String?
    /// 全部已签收 when no unit in view is silent.
    public let allAcknowledgedText: String?
    /// 一键催办 is offered (silent units below me).
    public let canRemind: Bool
}

/// A silent unit of a directive's area and when it was last reminded (催办).
public struct SilentUnitRow: Identifiable, Equatable {
    public var id: String { nodeId }
    public let nodeId: String
    public let text: String
    public let remindedText: String?
}

/// A unit below me silent past its window on a directive: `directiveId` + `nodeId` for 催办.
public struct SilentChildRow: Identifiable, Equatable {
    public var id: String { directiveId + "/" + nodeId }
    public let directiveId: String
    public let nodeId: String
    public let nodeText: String
    public let detail: String
}

/// A node's completion report as the issuer reviews it: 通过 / 退回 only when `canReview`.
public struct TaskReportView: Identifiable, Equatable {
    public var id: String { nodeId }
    public let nodeId: String
    public let title: String
    public let note: String
    public let statusText: String
    public let reasonText: String?
    public let photoHashes: [String]
    public let canReview: Bool
}

/// One directive: household acknowledgements (liaison head) or coverage and silent nodes (issuing staff);
/// for a task, once acknowledged, the way to my node's completion report (a draft form).
@MainActor
public final class DirectiveDetailViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var directive: DirectiveRow?
    /// The households of the directive's area in my scope, the untold first, a page at a time.
    @Published public private(set) var households: [AckRow] = []
    @Published public private(set) var householdsText: String?
    @Published public private(set) var householdsNextOffset: UInt32?
    @Published public private(set) var coverage: CoverageView?
    @Published public private(set) var busyHouseholdId: String?
    @Published public var error: UiError?
    /// The task's completion reports (the issuer reviews them), waiting ones first.
    @Published public private(set) var reports: [TaskReportView] = []
    /// The report being sent back (退回): its node and the reason typed so far.
    @Published public private(set) var sendingBackNodeId: String?
    @Published public var sendBackReason = ""
    /// The issuer's photos, thumbnails fetched by the core.
    @Published public private(set) var photos: [PhotoView] = []
    /// What the last 催办 did.
    @Published public private(set) var notice: String?
    @Published public private(set) var busy = false

    /// 上报完成情况 (task directives, once my node acknowledged, as the core says): opens the draft form
    /// `DraftFormViewModel.taskCompletion`, which the core keeps as the user types.
    public var canReportCompletion: Bool { directive?.showReportCompletion == true }

    public let meansOptions: [Option<AckMeans>]
    let ctx: ShellContext
    public let directiveId: String
    let pageSize: UInt32

    public init(_ ctx: ShellContext, directiveId: String, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.directiveId = directiveId
        self.pageSize = pageSize
        meansOptions = [AckMeans.visit, .phone, .inPerson].map { Option(value: $0, label: ctx.strings.ackMeans($0)) }
    }

    public func load() async {
        loading = true
        error = nil
        let id = directiveId
        let session = await ctx.core { $0.session() }.value ?? nil
        let can = session?.capabilities
        var mine = false
        var isTask = directive?.isTask ?? false
        var hashes: [String] = []
        switch await ctx.core({ try $0.directive(directiveId: id) }) {
        case let .ok(d):
            directive = d.toRow(ctx.strings, ctx.format)
            isTask = d.kind == .task
            hashes = d.evidence
            mine = d.issuerNodeId == session?.nodeId
        case let .failed(e):
            error = e
        }
        var shown: [PhotoView] = []
        for hash in hashes {
            switch await ctx.coreAsync({ try await $0.evidenceThumbnail(hash: hash) }) {
            case let .ok(path): shown.append(PhotoView(hash: hash, thumbnailPath: path, takenHere: false, unavailableText: nil))
            case let .failed(e): shown.append(PhotoView(hash: hash, thumbnailPath: nil, takenHere: false, unavailableText: e.message))
            }
        }
        photos = shown
        // Coverage for the issuer, and for the levels above that do not tell households themselves.
        if can?.issueDirectives == true && (mine || can?.recordHouseholdAcks != true) {
            let limit = pageSize
            let c = await ctx.core { try $0.directiveCoverage(directiveId: id) }
            let silent = await ctx.core { try $0.directiveSilentNodes(directiveId: id, offset: 0, limit: limit) }
            if let c = c.value, let silent = silent.value {
                coverage = CoverageView(levels: c.levels.map { ctx.strings.levelCoverage($0.levelLabel, $0.acknowledged, $0.total, $0.percentText) },
                                        silent: silent.items.map(silentRow),
                                        silentTotalText: c.silentTotal > 0 ? ctx.strings.silentTotal(UInt64(c.silentTotal)) : nil,
                                        silentNextOffset: silent.nextOffset,
                                        tasksCompletedText: isTask || c.tasksCompleted > 0 ? ctx.strings.tasksCompleted(c.tasksCompleted) : nil,
                                        allAcknowledgedText: c.silentTotal == 0 ? ctx.strings.allAcknowledged : nil,
                                        canRemind: c.silentTotal > 0)
                if isTask { await loadReports() }
            } else {
                error = c.error ?? silent.error
            }
        }
        if can?.recordHouseholdAcks == true { await loadHouseholds(offset: 0, limit: pageSize) }
        loading = false
    }

    /// The next page of households (untold first).
    public func loadMoreHouseholds() async {
        if let offset = householdsNextOffset { await loadHouseholds(offset: offset, limit: pageSize) }
    }

    /// The next page of silent nodes.
    public func loadMoreSilent() async {
        guard var cov = coverage, let offset = cov.silentNextOffset else { return }
        let id = directiveId
        let limit = pageSize
        switch await ctx.core({ try $0.directiveSilentNodes(directiveId: id, offset: offset, limit: limit) }) {
        case let .ok(page):
            cov.silent += page.items.map(silentRow)
            cov.silentNextOffset = page.nextOffset
            coverage = cov
        case let .failed(e): error = e
        }
    }

    private func silentRow(_ n: SilentNode) -> SilentUnitRow {
        SilentUnitRow(nodeId: n.nodeId, text: "\(n.levelLabel) \(n.name)", remindedText: n.remindedAtMs.map { ctx.strings.remindedAt(ctx.format.dateTime($0)) })
    }

    /// 一键催办: every unit of the area below me that has not signed for it; they see it after their next sync.
    public func remindSilent() async {
        busy = true
        error = nil
        notice = nil
        let id = directiveId
        let r = await ctx.core { try $0.remindSilentNodes(directiveId: id) }
        busy = false
        switch r {
        case let .ok(n): notice = ctx.strings.remindedCount(n); await reloadSilent()
        case let .failed(e): error = e
        }
    }

    /// 催办 one silent unit.
    public func remindNode(_ nodeId: String) async {
        busy = true
        error = nil
        notice = nil
        let id = directiveId
        let r = await ctx.core { try $0.remindNode(directiveId: id, nodeId: nodeId) }
        busy = false
        switch r {
        case .ok: notice = ctx.strings.remindedCount(1); await reloadSilent()
        case let .failed(e): error = e
        }
    }

    private func reloadSilent() async {
        guard var cov = coverage else { return }
        let id = directiveId
        let limit = max(UInt32(cov.silent.count), pageSize)
        switch await ctx.core({ try $0.directiveSilentNodes(directiveId: id, offset: 0, limit: limit) }) {
        case let .ok(page):
            cov.silent = page.items.map(silentRow)
            cov.silentNextOffset = page.nextOffset
            coverage = cov
        case let .failed(e): error = e
        }
    }

    private func loadReports() async {
        let id = directiveId
        let limit = max(UInt32(reports.count), pageSize)
        switch await ctx.core({ try $0.directiveTaskReports(directiveId: id, offset: 0, limit: limit) }) {
        case let .ok(page):
            reports = page.items.map {
                TaskReportView(nodeId: $0.nodeId, title: "\($0.levelLabel) \($0.nodeName) · \($0.reportedByName) · \(ctx.format.dateTime($0.atMs))",
                               note: $0.note, statusText: $0.statusLabel, reasonText: $0.reviewReason, photoHashes: $0.evidence, canReview: $0.canReview)
            }
        case let .failed(e): error = e
        }
    }

    /// 通过: accept a node's waiting completion report.
    public func accept(_ nodeId: String) async { await review(nodeId, accept: true, reason: "") }
    /// 退回: opens the reason field for a node's report.
    public func startSendBack(_ nodeId: String) { sendingBackNodeId = nodeId; sendBackReason = ""; error = nil }
    public func cancelSendBack() { sendingBackNodeId = nil; sendBackReason = "" }
    /// 确认退回: the core checks the reason (required) and that the report still waits.
    public func confirmSendBack() async {
        guard let nodeId = sendingBackNodeId else { return }
        await review(nodeId, accept: false, reason: sendBackReason)
    }

    private func review(_ nodeId: String, accept: Bool, reason: String) async {
        busy = true
        error = nil
        let id = directiveId
        let r = await ctx.core { try $0.reviewTaskReport(directiveId: id, nodeId: nodeId, accept: accept, reason: reason) }
        busy = false
        switch r {
        case .ok:
            sendingBackNodeId = nil
            sendBackReason = ""
            await loadReports()
            if let d = await ctx.core({ try $0.directive(directiveId: id) }).value { directive = d.toRow(ctx.strings, ctx.format) }
        case let .failed(e):
            error = e
        }
    }

    private func loadHouseholds(offset: UInt32, limit: UInt32) async {
        let id = directiveId
        switch await ctx.core({ try $0.directiveHouseholds(directiveId: id, offset: offset, limit: limit) }) {
        case let .ok(page):
            let rows = page.items.map(ackRow)
            households = offset == 0 ? rows : households + rows
            householdsText = ctx.strings.householdsAcked(UInt32(page.acknowledged), UInt32(page.total))
            householdsNextOffset = page.nextOffset
        case let .failed(e):
            error = e
        }
    }

    private func ackRow(_ h: HouseholdAcknowledgement) -> AckRow {
        AckRow(household: h.household.toRow(),
               recorded: h.acknowledgement.map { ctx.strings.ackRecorded($0.meansLabel, ctx.format.dateTime($0.atMs), $0.recordedByName) })
    }

    public func recordAck(householdId: String, means: AckMeans) async {
        busyHouseholdId = householdId
        error = nil
        let id = directiveId
        let r = await ctx.core { try $0.recordHouseholdAck(directiveId: id, householdId: householdId, means: means) }
        busyHouseholdId = nil
        switch r {
        case let .ok(d):
            directive = d.toRow(ctx.strings, ctx.format)
            // The list as the core has it now: when, how and by whom, and the new count.
            await loadHouseholds(offset: 0, limit: max(UInt32(households.count), pageSize))
        case let .failed(e):
            error = e
        }
    }
}

/// The directive composer (county and township staff, a branch for its groups): the target picked from the org tree the core returns
/// (`orgTree`, a page at a time — never a typed node id), the kind, title, body and due time. Mirrors the Kotlin
/// `DirectiveComposerPresenter`.
@MainActor
public final class DirectiveComposerViewModel: ObservableObject {
    @Published public private(set) var loading = false
    /// My whole area first, then the org tree below it, indented.
    @Published public private(set) var targetOptions: [Option<String>] = []
    @Published public private(set) var targetsNextOffset: UInt32?
    @Published public var targetId: String?
    @Published public var kind: DirectiveKind = .notice
    @Published public var title = ""
    @Published public var body = ""
    /// A due time in hours from now (tasks need one; the core checks).
    @Published public var dueInHours: UInt32?
    /// Photos added so far (through the core's evidence pipeline).
    @Published public private(set) var photos: [PhotoView] = []
    @Published public private(set) var sending = false
    @Published public private(set) var issued: DirectiveRow?
    @Published public var error: UiError?

    public let kindOptions: [Option<DirectiveKind>]
    /// The due times offered (tasks need one; the core checks): hours from now, 0 = none.
    public let dueOptions: [Option<UInt32>]
    let ctx: ShellContext
    let depth: UInt32
    let pageSize: UInt32

    /// Whether the title and texts are acceptable is the core's to say on send (its error names the field).
    public var canSend: Bool { !sending && issued == nil && targetId != nil }

    public init(_ ctx: ShellContext, depth: UInt32 = 2, pageSize: UInt32 = 100) {
        self.ctx = ctx
        self.depth = depth
        self.pageSize = pageSize
        kindOptions = [DirectiveKind.notice, .alert, .task].map { Option(value: $0, label: ctx.strings.directiveKind($0)) }
        dueOptions = [Option(value: 0, label: ctx.strings.noDue)] + [2, 6, 24, 72, 168].map { Option(value: UInt32($0), label: ctx.strings.dueInHours(UInt32($0))) }
    }

    /// A photo from the camera or library: the core watermarks, stores and names it by its hash.
    @discardableResult
    public func addPhoto(path: String) async -> Bool {
        error = nil
        switch await ctx.core({ try $0.addEvidence(path: path, fix: nil, attachTo: nil) }) {
        case let .ok(e):
            photos.append(PhotoView(hash: e.hash, thumbnailPath: e.thumbnailPath, takenHere: true, unavailableText: nil))
            return true
        case let .failed(e):
            error = e
            return false
        }
    }

    public func removePhoto(_ hash: String) { photos.removeAll { $0.hash == hash } }

    public func load() async {
        loading = true
        error = nil
        let (depth, limit) = (self.depth, pageSize)
        guard let session = await ctx.core({ $0.session() }).value ?? nil else {
            loading = false
            return
        }
        switch await ctx.core({ try $0.orgTree(rootNodeId: nil, depth: depth, offset: 0, limit: limit) }) {
        case let .ok(page):
            targetOptions = [Option(value: session.nodeId, label: ctx.strings.wholeArea(session.nodeName))] + page.items.map(option)
            targetsNextOffset = page.nextOffset
            if targetId == nil { targetId = session.nodeId }
        case let .failed(e):
            error = e
        }
        loading = false
    }

    public func loadMoreTargets() async {
        guard let offset = targetsNextOffset else { return }
        let (depth, limit) = (self.depth, pageSize)
        switch await ctx.core({ try $0.orgTree(rootNodeId: nil, depth: depth, offset: offset, limit: limit) }) {
        case let .ok(page):
            targetOptions += page.items.map(option)
            targetsNextOffset = page.nextOffset
        case let .failed(e):
            error = e
        }
    }

    /// 下达: the core checks who may issue where, the texts and the due time.
    @discardableResult
    public func send() async -> DirectiveRow? {
        guard canSend, let target = targetId else { return nil }
        sending = true
        error = nil
        let due = dueInHours.flatMap { $0 == 0 ? nil : ctx.clock() + Int64($0) * 3_600_000 }
        let draft = DirectiveDraft(targetNodeId: target, kind: kind, title: title, body: body, dueAtMs: due, evidence: photos.map(\.hash))
        let r = await ctx.core { try $0.issueDirective(draft: draft) }
        sending = false
        switch r {
        case let .ok(d):
            let row = d.toRow(ctx.strings, ctx.format)
            issued = row
            return row
        case let .failed(e):
            error = e
            return nil
        }
    }

    private func option(_ n: OrgNode) -> Option<String> {
        Option(value: n.nodeId, label: String(repeating: "\u{3000}", count: Int(n.depth) - 1) + "\(n.levelLabel) \(n.name)")
    }
}
