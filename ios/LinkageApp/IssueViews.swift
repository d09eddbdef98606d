import LinkageKit
import SwiftUI

/// Township (and county) triage queue: state filter, deadline order, lights.
struct TriageView: View {
    @StateObject var model: TriageViewModel
    let ctx: ShellContext

    init(model: TriageViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model)
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            Picker(s.triageTitle, selection: Binding(get: { model.filter }, set: { f in Task { await model.setFilter(f) } })) {
                ForEach(QueueFilter.allCases, id: \.self) { Text($0.label(s)).tag($0) }
            }
            .pickerStyle(.segmented)
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            ForEach(model.rows) { row in
                NavigationLink(destination: IssueView(ctx: ctx, issueId: row.id)) { IssueRowView(row: row) }
            }
            if model.nextOffset != nil {
                Button(s.more) { Task { await model.loadMore() } }
            }
        }
        .refreshable { await model.load() }
        .task { await model.load() }
    }
}

/// Issue page: header, only the allowed actions (with their inputs), timeline.
struct IssueView: View {
    @StateObject var model: IssueViewModel
    @EnvironmentObject var app: AppModel
    @State private var dialog: ActionButton?
    @State private var text = ""
    @State private var satisfaction: Satisfaction?
    let ctx: ShellContext

    init(ctx: ShellContext, issueId: String) {
        _model = StateObject(wrappedValue: IssueViewModel(ctx, issueId: issueId))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            if let h = model.header {
                Section {
                    HStack {
                        Circle().fill(h.light.color).frame(width: 12, height: 12)
                        Text(h.title).font(.title3)
                    }
                    Text("\(h.subtitle) · \(h.stateLabel)")
                    if let due = h.dueText { Text("\(due) · \(h.lightLabel)").foregroundColor(h.light.color) }
                    if let counters = h.counters { Text(counters).font(.caption) }
                    if !h.description.isEmpty { Text(h.description) }
                    if let hid = h.householdId { NavigationLink(s.openHousehold, destination: HouseholdPage(ctx: ctx, householdId: hid)) }
                }
            }
            Section(header: Text(s.actions)) {
                if let none = model.noActionsText { Text(none) }
                ForEach(model.actions) { a in
                    Button(a.label) {
                        if a.input == .none {
                            Task { if await model.perform(a.kind) { app.changed() } }
                        } else {
                            text = ""
                            satisfaction = nil
                            dialog = a
                        }
                    }
                    .disabled(model.performing != nil)
                }
            }
            Section(header: Text(s.timeline)) {
                ForEach(model.timeline) { t in
                    VStack(alignment: .leading) {
                        Text("\(t.whenText) · \(t.label) · \(t.actor)").font(.caption.bold())
                        if !t.detail.isEmpty { Text(t.detail).font(.caption) }
                        if t.pendingSync { Text(s.pendingSync).font(.caption2).foregroundColor(.secondary) }
                    }
                }
            }
        }
        .task { await model.load() }
        .sheet(item: $dialog) { a in actionForm(a, s) }
    }

    private func actionForm(_ a: ActionButton, _ s: Strings) -> some View {
        NavigationView {
            Form {
                if a.input == .satisfaction {
                    Picker(s.satisfactionField, selection: $satisfaction) {
                        ForEach([Satisfaction.satisfied, .basicallySatisfied, .dissatisfied], id: \.self) {
                            Text(s.satisfaction($0)).tag(Optional($0))
                        }
                    }
                }
                TextField(label(a.input, s), text: $text)
            }
            .navigationTitle(a.label)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(s.cancel) { dialog = nil } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(a.label) {
                        dialog = nil
                        Task { if await model.perform(a.kind, text: text, satisfaction: satisfaction) { app.changed() } }
                    }
                    .disabled(a.input == .satisfaction && satisfaction == nil)
                }
            }
        }
    }

    private func label(_ input: ActionInput, _ s: Strings) -> String {
        switch input {
        case .reason: return s.reasonField
        case .assignee: return s.assigneeField
        case .mergeTarget: return s.mergeIntoField
        case .noteAndPhotos, .satisfaction, .none: return s.noteField
        }
    }
}
