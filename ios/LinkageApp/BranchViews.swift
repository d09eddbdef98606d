import LinkageKit
import SwiftUI

/// 支部书记 home (ADR 0008): the branch's own queue with the core's filter chips, then the issues assigned to me.
struct BranchHomeView: View {
    @StateObject var model: BranchHomeViewModel
    let ctx: ShellContext

    init(model: BranchHomeViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model)
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            Section(header: Text(s.branchQueueSection)) {
                Picker(s.branchQueueSection, selection: Binding(get: { model.filter }, set: { f in Task { await model.setFilter(f) } })) {
                    ForEach(model.filters, id: \.filter) { Text($0.label).tag($0.filter) }
                }
                .pickerStyle(.segmented)
                if let warning = model.calendarWarning { Text(warning).font(.subheadline.bold()).foregroundColor(.orange) }
                if model.rows.isEmpty && !model.loading { Text(s.empty) }
                ForEach(model.rows) { row in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: row.id)) { IssueRowView(row: row) }
                }
                if model.nextOffset != nil {
                    Button(s.more) { Task { await model.loadMore() } }
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
