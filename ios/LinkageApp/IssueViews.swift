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
    @State private var days = ""
    @State private var approved: Bool?
    @State private var level: SupervisionLevel?
    @State private var assigneeId: String?
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
                        if a.input == .none {
                            Task { if await model.perform(a.kind) { app.changed() } }
                        } else {
                            text = ""
                            satisfaction = nil
                            days = ""
                            approved = nil
                            level = nil
                            assigneeId = nil
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
        .sheet(isPresented: Binding(get: { model.openedPhotoPath != nil }, set: { if !$0 { model.openedPhotoPath = nil } })) {
            if let path = model.openedPhotoPath, let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFit()
            }
        }
    }

    private func actionForm(_ a: ActionButton, _ s: Strings) -> some View {
        NavigationView {
            Form {
                switch a.input {
                case .satisfaction:
                    Picker(s.satisfactionField, selection: $satisfaction) {
                        ForEach([Satisfaction.satisfied, .basicallySatisfied, .dissatisfied], id: \.self) {
                            Text(s.satisfaction($0)).tag(Optional($0))
                        }
                    }
                case .daysAndReason:
                    TextField(s.workingDaysField, text: $days).keyboardType(.numberPad)
                case .decisionAndNote:
                    Picker(s.decisionField, selection: $approved) {
                        ForEach(model.decisionOptions) { Text($0.label).tag(Optional($0.value)) }
                    }
                    .pickerStyle(.segmented)
                case .levelAndNote:
                    Picker(s.supervisionLevelField, selection: $level) {
                        ForEach(model.levelOptions) { Text($0.label).tag(Optional($0.value)) }
                    }
                    .pickerStyle(.segmented)
                case .assignee:
                    // The core's candidates only: people at the issue's node or above it, inside the owning level.
                    Picker(s.assigneeField, selection: $assigneeId) {
                        ForEach(model.assigneeOptions) { Text($0.label).tag(Optional($0.value)) }
                    }
                default:
                    EmptyView()
                }
                if a.input != .assignee { TextField(label(a.input, s), text: $text) }
            }
            .navigationTitle(a.label)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(s.cancel) { dialog = nil } }
                ToolbarItem(placement: .confirmationAction) {
                    Button(a.label) {
                        dialog = nil
                        let form = ActionForm(text: text, satisfaction: satisfaction, workingDays: UInt32(days),
                                              approved: approved, level: level, assigneeId: assigneeId)
                        Task { if await model.perform(a.kind, form: form) { app.changed() } }
                    }
                    .disabled(!complete(a.input))
                }
            }
        }
    }

    /// Whether the dialog's choice is made; the core validates the content.
    private func complete(_ input: ActionInput) -> Bool {
        switch input {
        case .satisfaction: return satisfaction != nil
        case .daysAndReason: return UInt32(days) != nil
        case .decisionAndNote: return approved != nil
        case .levelAndNote: return level != nil
        case .assignee: return assigneeId != nil
        case .none, .reason, .noteAndPhotos, .mergeTarget: return true
        }
    }

    private func label(_ input: ActionInput, _ s: Strings) -> String {
        switch input {
        case .reason, .daysAndReason: return s.reasonField
        case .assignee: return s.assigneeField
        case .mergeTarget: return s.mergeIntoField
        case .noteAndPhotos, .satisfaction, .decisionAndNote, .levelAndNote, .none: return s.noteField
        }
    }
}
