import Foundation

/// 支部书记 home (ADR 0008), mirroring the Kotlin `BranchHomePresenter`: the branch's own queue and the issues
/// assigned to the secretary (`assignedToMe`). The queue IS the township's triage list (`TriageViewModel`: the
/// core's `issueQueue` over the issues that landed at the user's node, its filter chips, calendar banner and
/// paging), composed rather than repeated. The issue page and its buttons are the township's too
/// (`IssueViewModel`, the core's `ActionSpec`s).
@MainActor
public final class BranchHomeViewModel: ObservableObject {
    /// 本村待办: the branch's queue.
    public let queue: TriageViewModel
    /// 交办给我的.
    @Published public private(set) var assigned: [IssueRow] = []
    @Published public private(set) var assignedError: UiError?

    let ctx: ShellContext
    let pageSize: UInt32
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, pageSize: UInt32 = 50) {
        self.ctx = ctx
        self.pageSize = pageSize
        // The queue refreshes itself on the core's change topics; the view observes it directly.
        queue = TriageViewModel(ctx, pageSize: pageSize)
        subscription = ctx.changes.subscribe([.issues, .session]) { [weak self] in await self?.loadAssigned() }
    }

    /// The queue's error, else the assigned list's.
    public var error: UiError? { queue.error ?? assignedError }

    public func setFilter(_ f: IssueFilter) async {
        await queue.setFilter(f)
    }

    public func load() async {
        await loadAssigned()
        await queue.load()
    }

    public func loadMore() async {
        await queue.loadMore()
    }

    private func loadAssigned() async {
        let size = pageSize
        switch await ctx.core({ try $0.assignedToMe(offset: 0, limit: size) }) {
        case let .ok(page):
            assigned = page.items.map { $0.toRow(ctx.strings, ctx.format) }
            assignedError = nil
        case let .failed(e):
            assignedError = e
        }
    }
}
