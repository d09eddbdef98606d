import LinkageKit
import SwiftUI

/// The overview (县委领导 / 乡镇): every open issue of the area by node and filter (the core's words), deadline
/// first, with lights; a row opens the issue page (督办, 延期审批 there).
struct OverviewView: View {
    @StateObject var model: OverviewViewModel
    let ctx: ShellContext

    init(ctx: ShellContext, query: IssueQuery? = nil) {
        _model = StateObject(wrappedValue: OverviewViewModel(ctx, query: query))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ScrollView(.horizontal) {
                HStack {
                    ForEach(model.nodes) { n in
                        Button(n.label) { Task { await model.setNode(n.value) } }
                            .buttonStyle(.bordered)
                            .tint(model.nodeId == n.value ? .accentColor : .secondary)
                            .frame(minHeight: 48)
                    }
                }
            }
            ScrollView(.horizontal) {
                HStack {
                    ForEach(model.filters, id: \.filter) { f in
                        Button(f.label) { Task { await model.setFilter(f.filter) } }
                            .buttonStyle(.bordered)
                            .tint(model.filter == f.filter ? .accentColor : .secondary)
                            .frame(minHeight: 48)
                    }
                }
            }
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            // 待我审批: the task reports waiting for my review (通过 / 退回 on the directive's page), then the issues.
            if !model.taskReports.isEmpty {
                Section(header: Text(s.taskReportsWaiting)) {
                    ForEach(model.taskReports) { r in
                        NavigationLink(destination: DirectiveView(ctx: ctx, directiveId: r.directiveId)) {
                            VStack(alignment: .leading) {
                                Text(r.title).font(.headline)
                                Text(r.detail).font(.subheadline)
                            }
                            .frame(minHeight: 48)
                        }
                    }
                }
            }
            ForEach(model.rows) { row in
                NavigationLink(destination: IssueView(ctx: ctx, issueId: row.id)) { IssueRowView(row: row) }
            }
            if model.nextOffset != nil {
                Button(s.more) { Task { await model.loadMore() } }
            }
        }
        .navigationTitle(s.overviewTitle)
        .refreshable { await model.load() }
        .task { await model.load() }
    }
}

/// The staff dashboard (工作台): the user's node, then each child; each figure shows its value and its light in
/// words; a figure with a list behind it opens that list.
struct DashboardView: View {
    @StateObject var model: DashboardViewModel
    /// Child nodes opened to all their figures (closed: only the red and yellow ones).
    @State private var opened: Set<String> = []
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: DashboardViewModel(ctx))
        self.ctx = ctx
    }

    /// The dashboard a home's entry hands over (the grid worker's `TodayViewModel.dashboard()`), made only
    /// when the view is first shown (as `StateObject` does).
    init(model: @autoclosure @escaping () -> DashboardViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model())
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            if !model.periodText.isEmpty { Text("\(model.periodText) · \(model.visitNote)").font(.subheadline) }
            if let own = model.own { card(own, compact: false) }
            ForEach(model.children) { card($0, compact: true) }
        }
        .navigationTitle(s.dashboardTitle)
        .refreshable { await model.load() }
        .task { await model.load() }
    }

    private func card(_ row: DashboardRowView, compact: Bool) -> some View {
        let s = ctx.strings
        let attention = row.figures.filter { $0.light == .red || $0.light == .yellow }
        let all = !compact || opened.contains(row.nodeId)
        return Section(header: HStack {
            Circle().fill(row.worst.color).frame(width: 12, height: 12)
            Text(row.title)
        }) {
            ForEach(all ? row.figures : attention) { f in
                if let list = f.list {
                    NavigationLink(destination: listView(list)) { figure(f) }
                } else {
                    figure(f)
                }
            }
            if compact && attention.count < row.figures.count {
                Button(all ? s.fewerFigures : s.allFigures) {
                    if all { opened.remove(row.nodeId) } else { opened.insert(row.nodeId) }
                }
                .frame(minHeight: 48)
            }
        }
    }

    private func figure(_ f: FigureView) -> some View {
        HStack {
            Text(f.label)
            Spacer()
            Circle().fill(f.light.color).frame(width: 10, height: 10)
            Text(f.value).font(.headline)
            if !f.lightLabel.isEmpty { Text(f.lightLabel).font(.caption).foregroundColor(f.light.color) }
        }
        .frame(minHeight: 48)
    }

    @ViewBuilder
    private func listView(_ list: FigureList) -> some View {
        switch list {
        case let .issues(query): OverviewView(ctx: ctx, query: query)
        case let .overdueHouseholds(nodeId): DueHouseholdsView(ctx: ctx, nodeId: nodeId)
        case .silentNodes: SilentNodesView(ctx: ctx)
        }
    }
}

/// The households due a visit behind a coverage figure, most overdue first.
struct DueHouseholdsView: View {
    @StateObject var model: DueHouseholdsViewModel
    let ctx: ShellContext

    init(ctx: ShellContext, nodeId: String?) {
        _model = StateObject(wrappedValue: DueHouseholdsViewModel(ctx, nodeId: nodeId))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            ForEach(model.rows) { o in
                NavigationLink(destination: HouseholdPage(ctx: ctx, householdId: o.household.id)) {
                    HouseholdRowView(row: o.household, trailing: [o.distanceText, o.overdueText].compactMap { $0 }.joined(separator: "\n"))
                }
            }
            if model.nextOffset != nil { Button(s.more) { Task { await model.loadMore() } } }
        }
        .navigationTitle(s.dueHouseholdsTitle)
        .task { await model.load() }
    }
}

/// The child nodes silent on current directives; a row opens the directive (催办 there).
struct SilentNodesView: View {
    @StateObject var model: SilentNodesViewModel
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: SilentNodesViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            ForEach(model.rows) { r in
                NavigationLink(destination: DirectiveView(ctx: ctx, directiveId: r.directiveId)) {
                    VStack(alignment: .leading) {
                        Text(r.title)
                        Text(r.detail).font(.caption).foregroundColor(.red)
                    }
                }
            }
        }
        .navigationTitle(s.silentNodesTitle)
        .task { await model.load() }
    }
}
