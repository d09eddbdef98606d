import LinkageKit
import SwiftUI

/// 支部书记 home (ADR 0008): the branch's own queue with the core's filter chips, then the issues assigned to me.
struct BranchHomeView: View {
    @StateObject var model: BranchHomeViewModel
    /// The branch's queue (the composed `TriageViewModel`), observed for its own changes.
    @ObservedObject var queue: TriageViewModel
    let ctx: ShellContext

    init(model: BranchHomeViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model)
        _queue = ObservedObject(wrappedValue: model.queue)
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: queue.error ?? model.assignedError, s: s) { Task { await model.load() } }
            Section(header: Text(s.branchQueueSection)) {
                Picker(s.branchQueueSection, selection: Binding(get: { queue.filter }, set: { f in Task { await queue.setFilter(f) } })) {
                    ForEach(queue.filters, id: \.filter) { Text($0.label).tag($0.filter) }
                }
                .pickerStyle(.segmented)
                if let warning = queue.calendarWarning { Text(warning).font(.subheadline.bold()).foregroundColor(.orange) }
                if queue.rows.isEmpty && !queue.loading { Text(s.empty) }
                ForEach(queue.rows) { row in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: row.id)) { IssueRowView(row: row) }
                }
                if queue.nextOffset != nil {
                    Button(s.more) { Task { await queue.loadMore() } }
                }
            }
            Section(header: Text(s.assignedSection)) {
                if model.assigned.isEmpty { Text(s.empty) }
                ForEach(model.assigned) { row in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: row.id)) { IssueRowView(row: row) }
                }
            }
        }
        .refreshable { await model.load() }
        .task { await model.load() }
    }
}
