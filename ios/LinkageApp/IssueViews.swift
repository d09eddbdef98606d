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
            // The overview of every open issue (县级总览: 督办, 延期审批) and the dashboard (工作台), one tap from home.
            HStack {
                NavigationLink(s.overviewTitle, destination: OverviewView(ctx: ctx)).frame(minHeight: 48)
                NavigationLink(s.dashboardTitle, destination: DashboardView(ctx: ctx)).frame(minHeight: 48)
            }
            Picker(s.triageTitle, selection: Binding(get: { model.filter }, set: { f in Task { await model.setFilter(f) } })) {
                ForEach(model.filters, id: \.filter) { Text($0.label).tag($0.filter) }
            }
            .pickerStyle(.segmented)
            if let warning = model.calendarWarning { Text(warning).font(.subheadline.bold()).foregroundColor(.orange) }
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

/// Issue page: header, only the allowed actions (each dialog drawn from the core's `ActionSpec`), timeline.
struct IssueView: View {
    @StateObject var model: IssueViewModel
    @EnvironmentObject var app: AppModel
    @State private var dialog: ActionButton?
    /// 办结 / 回访: the draft form the core keeps as the user types (`ActionSpec.draft`).
    @State private var draftAction: IssueActionKind?
    @State private var text = ""
    @State private var choice: String?
    @State private var days = ""
    @State private var person: String?
    @State private var otherIssue: String?
    @State private var mergeSearch = ""
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
                    BadgesView(badges: h.badges)
                    if !h.description.isEmpty { Text(h.description) }
                    if let hid = h.householdId { NavigationLink(s.openHousehold, destination: HouseholdPage(ctx: ctx, householdId: hid)) }
                }
            }
            if !model.reportPhotos.isEmpty || !model.resolutionPhotos.isEmpty {
                Section(header: Text(s.photos)) {
                    RecordPhotoStrip(photos: model.reportPhotos + model.resolutionPhotos) { hash in Task { await model.openPhoto(hash: hash) } }
                }
            }
            Section(header: Text(s.actions)) {
                if let none = model.noActionsText { Text(none) }
                ForEach(model.actions) { a in
                    Button(a.label) {
                        if a.draft != nil {
                            draftAction = a.kind
                        } else if a.immediate {
                            Task { if await model.perform(a.kind) { app.changed() } }
                        } else {
                            text = ""
                            choice = nil
                            days = ""
                            person = nil
                            otherIssue = nil
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
                        // The step's own photos (a 补充反映's, a resolution's), from the page's loaded thumbnails.
                        if !t.photoHashes.isEmpty {
                            RecordPhotoStrip(photos: (model.reportPhotos + model.resolutionPhotos).filter { t.photoHashes.contains($0.hash) }) { hash in
                                Task { await model.openPhoto(hash: hash) }
                            }
                        }
                        if t.pendingSync { Text(s.pendingSync).font(.caption2).foregroundColor(.secondary) }
                    }
                }
            }
        }
        .task { await model.load() }
        .background(
            NavigationLink(
                destination: draftAction.map { kind in
                    DraftFormView(ctx: ctx, model: DraftFormViewModel.action(ctx, issueId: model.issueId, action: kind))
                },
                isActive: Binding(get: { draftAction != nil }, set: { if !$0 { draftAction = nil } })
            ) { EmptyView() }
            .hidden()
        )
        .sheet(item: $dialog) { a in actionForm(a, s) }
        .sheet(isPresented: Binding(get: { model.openedPhotoPath != nil }, set: { if !$0 { model.openedPhotoPath = nil } })) {
            if let path = model.openedPhotoPath, let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFit()
            }
        }
    }

    private func actionForm(_ a: ActionButton, _ s: Strings) -> some View {
        NavigationView {
            Form {
                if !a.choices.isEmpty {
                    Picker(a.choiceLabel, selection: $choice) {
                        ForEach(a.choices, id: \.id) { Text($0.label).tag(Optional($0.id)) }
                    }
                    .pickerStyle(.segmented)
                }
                if a.minDays != nil { TextField(a.daysLabel, text: $days).keyboardType(.numberPad) }
                if a.needsPerson {
                    // The core's candidates only: people at the issue's node or above it, inside the owning level.
                    Picker(a.personLabel, selection: $person) {
                        ForEach(model.assigneeOptions) { Text($0.label).tag(Optional($0.value)) }
                    }
                }
                if a.needsOtherIssue {
                    // The core's suggestions for this issue, or its search by title: picked, never typed.
                    Section(header: Text(a.otherIssueLabel)) {
                        TextField(s.mergeSearchLabel, text: $mergeSearch)
                            .onChange(of: mergeSearch) { q in Task { await model.searchMerge(q) } }
                        if model.mergeOptions.isEmpty { Text(s.noMergeCandidates) }
                        Picker(a.otherIssueLabel, selection: $otherIssue) {
                            ForEach(model.mergeOptions) { o in
                                VStack(alignment: .leading) {
                                    Text(o.title)
                                    if !o.detail.isEmpty { Text(o.detail).font(.caption) }
                                }
                                .tag(Optional(o.issueId))
                            }
                        }
                        .pickerStyle(.inline)
                    }
                }
                if a.text != .none { TextField(a.textLabel, text: $text) }
            }
            .navigationTitle(a.label)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(s.cancel) { dialog = nil } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(a.label) {
                        dialog = nil
                        let form = ActionForm(text: text, evidence: [], workingDays: UInt32(days), choice: choice,
                                              personId: person, otherIssueId: otherIssue)
                        // The core names whatever is missing in its error.
                        Task { if await model.perform(a.kind, form: form) { app.changed() } }
                    }
                }
            }
        }
    }
}
