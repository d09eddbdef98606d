import Foundation

// The leaders' screens beyond the queue, mirroring android/shell OverviewPresenters.kt: the county's overview
// of every open issue (县级总览), the staff dashboard (工作台) with lit figures, and the lists behind its figures.
// Every filter, figure, light and list query comes from the core; these view models only page and format.

/// An issue the 合并 picker offers: its title, its state and the core's note (疑似重复 · 相距 35 米).
public struct MergeOption: Equatable, Identifiable {
    public let issueId: String
    public let title: String
    public let detail: String
    public let suggested: Bool
    public var id: String { issueId }
    public var label: String { detail.isEmpty ? title : "\(title) · \(detail)" }
}

/// The shell's own words for these screens (Strings.kt's OverviewStrings.kt has the same table).
public extension Strings {
    private func tr(_ zh: String, _ en: String) -> String { lang == .zhCN ? zh : en }
    var overviewTitle: String { tr("诉求总览", "Overview") }
    var dashboardTitle: String { tr("工作台", "Dashboard") }
    var allAreas: String { tr("全部", "All") }
    var dueHouseholdsTitle: String { tr("未走访户", "Households due a visit") }
    var silentNodesTitle: String { tr("逾期未签收", "Silent nodes") }
    var allFigures: String { tr("全部指标", "All figures") }
    var fewerFigures: String { tr("收起", "Fewer") }
    var mergeSearchLabel: String { tr("搜索诉求标题", "Search issue titles") }
    var noMergeCandidates: String { tr("没有可合并的诉求，可输入标题搜索", "No issue to merge into; search by title") }
    var taskReportsWaiting: String { tr("待审核的完成情况", "Completion reports to review") }
    var issuesWaiting: String { tr("待决定的诉求", "Issues waiting for a decision") }
    func lastDays(_ days: Int64) -> String { tr("近 \(days) 天", "Last \(days) days") }
    func lateBy(_ ms: Int64) -> String {
        let hours = ms / 3_600_000
        return hours < 24 ? tr("逾期 \(hours) 小时", "\(hours) h late") : tr("逾期 \(hours / 24) 天", "\(hours / 24) days late")
    }
    func figureLight(_ l: Light) -> String {
        switch l {
        case .green: return tr("达标", "On target")
        case .yellow: return tr("预警", "Near the limit")
        case .red: return tr("未达标", "Off target")
        case .none: return ""
        }
    }
}

/// A completion report waiting for my review: the task's title, who reported and when; opens the directive.
public struct WaitingReportView: Identifiable, Equatable {
    public let directiveId: String
    public let nodeId: String
    public let title: String
    public let detail: String
    public var id: String { "\(directiveId)/\(nodeId)" }
}

/// The overview (县委领导): every open issue of the user's area by node and filter, deadline first.
@MainActor
public final class OverviewViewModel: ObservableObject {
    @Published public private(set) var filters: [OverviewFilterSpec] = []
    @Published public private(set) var filter: OverviewFilter
    /// 全部, then the children of the user's node (townships for the county).
    @Published public private(set) var nodes: [Option<String?>] = []
    @Published public private(set) var nodeId: String?
    /// The overview's rows, total and next page (`PagedRows`).
    @Published public private(set) var list = PagedRows<IssueRow>()
    /// Under 待我审批: the task completion reports waiting for my review (通过 / 退回 on the directive's page).
    @Published public private(set) var taskReports: [WaitingReportView] = []
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    public var rows: [IssueRow] { list.rows }
    public var total: UInt64 { list.total }
    public var nextOffset: UInt32? { list.nextOffset }

    let ctx: ShellContext
    let pageSize: UInt32
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, query: IssueQuery? = nil, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
        filter = query?.filter ?? .open
        nodeId = query?.nodeId
        subscription = ctx.changes.subscribe([.issues, .directives, .session]) { [weak self] in await self?.load() }
    }

    public func setFilter(_ f: OverviewFilter) async {
        filter = f
        await load()
    }

    public func setNode(_ id: String?) async {
        nodeId = id
        await load()
    }

    public func load() async {
        loading = true
        error = nil
        if filters.isEmpty {
            filters = await ctx.core({ $0.overviewFilters() }).value ?? []
            let all = ctx.strings.allAreas
            switch await ctx.core({ try $0.orgTree(rootNodeId: nil, depth: 1, offset: 0, limit: 100) }) {
            case let .ok(page): nodes = [Option(value: nil, label: all)] + page.items.map { Option(value: $0.nodeId, label: $0.name) }
            case let .failed(e): error = e
            }
        }
        let size = pageSize
        // 待我审批 gathers the task reports waiting for me too (the core's list; the same for every node chip).
        taskReports = []
        if filter == .waitingForMe {
            switch await ctx.core({ try $0.waitingTaskReports(offset: 0, limit: size) }) {
            case let .ok(page):
                taskReports = page.items.map {
                    WaitingReportView(directiveId: $0.directiveId, nodeId: $0.nodeId, title: $0.directiveTitle,
                                      detail: "\($0.levelLabel) \($0.nodeName) · \($0.reportedByName) · \(ctx.format.dateTime($0.atMs))")
                }
            case let .failed(e): error = e
            }
        }
        await page(0, replace: true)
    }

    public func loadMore() async {
        guard let offset = nextOffset, !loading else { return }
        loading = true
        await page(offset, replace: false)
    }

    /// One page of the overview: the first replaces the rows, the next ones append (`PagedRows`).
    private func page(_ offset: UInt32, replace: Bool) async {
        let query = IssueQuery(nodeId: nodeId, filter: filter)
        let size = pageSize
        let (s, f) = (ctx.strings, ctx.format)
        let outcome = await ctx.core({ try $0.issueOverview(query: query, offset: offset, limit: size) })
        if let e = list.take(outcome, replace: replace, { $0.toRow(s, f) }) { error = e }
        loading = false
    }
}

/// A dashboard figure as drawn: the core's label, value and light, and the list a tap opens (nil: none).
public struct FigureView: Identifiable {
    public let label: String
    public let value: String
    public let light: Light
    public let lightLabel: String
    public let list: FigureList?
    public var id: String { label }
}

/// A node's row: name and level, the worst light (the row's colour), its figures.
public struct DashboardRowView: Identifiable {
    public let nodeId: String
    public let title: String
    public let worst: Light
    public let figures: [FigureView]
    public var id: String { nodeId }
}

/// The staff dashboard (工作台) over the last `days` days: the core's measures per node and child, lit.
@MainActor
public final class DashboardViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var periodText = ""
    @Published public private(set) var visitNote = ""
    @Published public private(set) var own: DashboardRowView?
    @Published public private(set) var children: [DashboardRowView] = []
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    let days: Int64
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, days: Int64 = 90) {
        self.ctx = ctx
        self.days = days
        subscription = ctx.changes.subscribe([.issues, .visits, .directives, .session]) { [weak self] in await self?.load() }
    }

    public func load() async {
        loading = true
        error = nil
        let n = UInt32(days)
        switch await ctx.core({ try $0.dashboardLastDays(days: n) }) {
        case let .ok(d):
            periodText = ctx.strings.lastDays(days)
            visitNote = d.visitNote
            own = view(d.own)
            children = d.children.map { view($0) }
        case let .failed(e): error = e
        }
        loading = false
    }

    private func view(_ r: DashboardRow) -> DashboardRowView {
        let s = ctx.strings
        return DashboardRowView(nodeId: r.nodeId, title: "\(r.name) · \(r.levelLabel)", worst: r.worst,
                                figures: r.figures.map { FigureView(label: $0.label, value: $0.valueText, light: $0.light, lightLabel: s.figureLight($0.light), list: $0.list) })
    }
}

/// The households under a node overdue for a visit at the user's level (behind 走访覆盖率 / 未走访户).
@MainActor
public final class DueHouseholdsViewModel: ObservableObject {
    /// The households' rows, total and next page (`PagedRows`).
    @Published public private(set) var list = PagedRows<OverdueRow>()
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    public var rows: [OverdueRow] { list.rows }
    public var total: UInt64 { list.total }
    public var nextOffset: UInt32? { list.nextOffset }

    let ctx: ShellContext
    public let nodeId: String?
    let pageSize: UInt32

    public init(_ ctx: ShellContext, nodeId: String?, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.nodeId = nodeId
        self.pageSize = pageSize
    }

    public func load() async { await page(0, replace: true) }

    public func loadMore() async {
        guard let offset = nextOffset, !loading else { return }
        await page(offset, replace: false)
    }

    private func page(_ offset: UInt32, replace: Bool) async {
        loading = true
        error = nil
        let node = nodeId
        let size = pageSize
        let (s, f) = (ctx.strings, ctx.format)
        let outcome = await ctx.core({ try $0.overdueHouseholdsUnder(nodeId: node, offset: offset, limit: size) })
        if let e = list.take(outcome, replace: replace, { $0.toRow(s, f) }) { error = e }
        loading = false
    }
}

/// A child node silent on a directive: which directive, which node, how late.
public struct SilentRow: Identifiable {
    public let directiveId: String
    public let title: String
    public let detail: String
    public var id: String { directiveId + detail }
}

/// The child nodes silent past their window on current directives (逾期未签收), most overdue first.
@MainActor
public final class SilentNodesViewModel: ObservableObject {
    @Published public private(set) var rows: [SilentRow] = []
    @Published public private(set) var total: UInt64 = 0
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    let ctx: ShellContext

    public init(_ ctx: ShellContext) { self.ctx = ctx }

    public func load() async {
        loading = true
        error = nil
        let s = ctx.strings
        switch await ctx.core({ try $0.silentNodesForMe(offset: 0, limit: 50) }) {
        case let .ok(p):
            rows = p.items.map { SilentRow(directiveId: $0.directiveId, title: "\($0.kindLabel) · \($0.directiveTitle)",
                                           detail: "\($0.levelLabel) \($0.nodeName) · \(s.lateBy($0.overdueMs))") }
            total = p.total
        case let .failed(e): error = e
        }
        loading = false
    }
}
