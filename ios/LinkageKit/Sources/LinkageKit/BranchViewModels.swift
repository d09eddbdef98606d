import Foundation

/// 支部书记 home (ADR 0008), mirroring the Kotlin `BranchHomePresenter`: the branch's own queue (`issueQueue`:
/// issues that landed at the village branch, the core's filter chips) and the issues assigned to the secretary
/// (`assignedToMe`). The issue page and its buttons are the township's (`IssueViewModel`, the core's `ActionSpec`s).
@MainActor
public final class BranchHomeViewModel: ObservableObject {
    @Published public private(set) var filters: [IssueFilterSpec] = []
    @Published public private(set) var filter: IssueFilter = .open
    @Published public private(set) var calendarWarning: String?
    /// 本村待办: the branch's queue.
    @Published public private(set) var rows: [IssueRow] = []
    @Published public private(set) var total: UInt64 = 0
    @Published public private(set) var nextOffset: UInt32?
    /// 交办给我的.
    @Published public private(set) var assigned: [IssueRow] = []
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    let pageSize: UInt32
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
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
        let chosen = filter
        let size = pageSize
        let assignedPage = await ctx.core { try $0.assignedToMe(offset: 0, limit: size) }
        if let page = assignedPage.value { assigned = page.items.map { $0.toRow(ctx.strings, ctx.format) } }
        error = assignedPage.error
        switch await ctx.core({ try $0.issueQueue(filter: chosen, offset: 0, limit: size) }) {
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
        let chosen = filter
        let size = pageSize
        switch await ctx.core({ try $0.issueQueue(filter: chosen, offset: offset, limit: size) }) {
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
