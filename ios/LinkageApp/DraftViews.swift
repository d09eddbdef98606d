import LinkageKit
import SwiftUI

/// 办结, 回访 and 任务完成情况 as core drafts (mirrors the Compose `DraftFormScreen`): the text label and the
/// choices (满意 / 基本满意 / 不满意) are the core's action spec; every keystroke is stored by the core.
struct DraftFormView: View {
    @StateObject var model: DraftFormViewModel
    @SceneStorage("draft.showCamera") private var showCamera = false
    /// The live fix stamps the photos and, on a 回访 form, makes the verification an on-site return visit.
    @StateObject private var location = LocationFeed()
    /// The open form, restored by SignedInView after the app was killed ("draft\t<id>").
    @SceneStorage(OpenForm.key) private var openForm = ""
    @EnvironmentObject var app: AppModel
    @Environment(\.presentationMode) private var presentation
    let ctx: ShellContext

    init(ctx: ShellContext, model: @autoclosure @escaping () -> DraftFormViewModel) {
        _model = StateObject(wrappedValue: model())
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        Form {
            if let subject = model.subject { Text(subject).font(.headline) }
            if !model.choices.isEmpty {
                Section(header: Text(model.choiceLabel)) {
                    Picker(model.choiceLabel, selection: Binding(get: { model.choice }, set: { if let id = $0 { model.setChoice(id) } })) {
                        ForEach(model.choices) { Text($0.label).tag(Optional($0.value)) }
                    }
                    .pickerStyle(.segmented)
                }
            }
            Section(header: Text(model.textLabel)) {
                TextEditor(text: Binding(get: { model.fields.notes }, set: { model.setNotes($0) }))
                    .frame(minHeight: 100)
                    .disabled(model.submitted != nil)
            }
            if model.takesPhotos { PhotoStrip(photos: model.photos) }
            ErrorBanner(error: model.error, s: s)
            if model.submitted == nil {
                if model.takesPhotos { Button(s.takePhoto) { showCamera = true }.disabled(model.busy) }
                Button(model.kindLabel) {
                    Task {
                        if await model.submit() != nil {
                            app.changed()
                            presentation.wrappedValue.dismiss()
                        }
                    }
                }
                .disabled(!model.canSubmit)
                Text(s.draftKept).font(.caption)
            }
        }
        .navigationTitle(model.kindLabel)
        .task { await model.open() } // starts or resumes the core's draft
        .onAppear { location.start() }
        .onReceive(location.$fix.compactMap { $0 }) { fix in model.onFix(fix) }
        .onReceive(model.$draftId.compactMap { $0 }) { id in openForm = OpenForm.draft(id) }
        .onDisappear {
            location.stop()
            if let id = model.draftId, openForm == OpenForm.draft(id) { openForm = "" }
            // Kept for "继续填写" unless nothing was entered (the core decides).
            Task { await model.leave() }
        }
        .sheet(isPresented: $showCamera) {
            CameraPicker { url in
                Task {
                    await model.addPhoto(path: url.path)
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }
}

/// The screen that continues a draft from "继续填写".
@ViewBuilder
func draftDestination(_ target: DraftTarget, ctx: ShellContext) -> some View {
    switch target {
    case let .visit(householdId, issueId):
        VisitFormView(ctx: ctx, householdId: householdId, issueId: issueId)
    case let .report(householdId, nodeId):
        ReportIssueView(ctx: ctx, householdId: householdId, nodeId: nodeId)
    case let .form(draftId):
        DraftFormView(ctx: ctx, model: DraftFormViewModel.resumed(ctx, draftId: draftId))
    }
}

/// "继续填写": every unfinished form, newest first; a tap continues it in its own screen.
struct DraftsView: View {
    @ObservedObject var model: DraftListViewModel
    let ctx: ShellContext

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            if model.rows.isEmpty { Text(s.empty) }
            ForEach(model.rows) { row in
                NavigationLink(destination: draftDestination(row.target, ctx: ctx)) {
                    VStack(alignment: .leading) {
                        Text([row.kindLabel, row.subject].compactMap { $0 }.joined(separator: " · ")).font(.headline)
                        if !row.title.isEmpty { Text(row.title) }
                        Text([row.photosText, row.editedText].compactMap { $0 }.joined(separator: " · ")).font(.caption)
                    }
                }
                .swipeActions {
                    Button(s.discardDraft, role: .destructive) { Task { await model.discard(row.id) } }
                }
            }
        }
        .navigationTitle(s.draftsTitle)
        .task { await model.load() }
    }
}

/// On every role's home: "继续填写（N）" when there are drafts, one tap to the list.
struct DraftsEntry: View {
    @StateObject var model: DraftListViewModel
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: DraftListViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        Group {
            if let text = model.entryText {
                NavigationLink(destination: DraftsView(model: model, ctx: ctx)) {
                    Text(text).font(.headline).frame(maxWidth: .infinity, alignment: .leading)
                        .padding(.horizontal).padding(.vertical, 10)
                }
                .background(Color(.secondarySystemBackground))
            }
        }
        .task { await model.load() }
    }
}
