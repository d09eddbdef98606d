import LinkageKit
import SwiftUI

/// One directive: acknowledge/relay, household acknowledgements (liaison head), coverage (issuing staff).
struct DirectiveView: View {
    @StateObject var model: DirectiveDetailViewModel
    @StateObject var inbox: DirectiveInboxViewModel
    @EnvironmentObject var app: AppModel
    @State private var showCamera = false
    let ctx: ShellContext

    init(ctx: ShellContext, directiveId: String) {
        _model = StateObject(wrappedValue: DirectiveDetailViewModel(ctx, directiveId: directiveId))
        _inbox = StateObject(wrappedValue: DirectiveInboxViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error ?? inbox.error, s: s) { Task { await model.load() } }
            if let d = model.directive {
                DirectiveRowView(row: d, s: s, onAcknowledge: {
                    Task {
                        await inbox.acknowledge(d.id)
                        await model.load()
                        app.changed()
                    }
                }, onRelay: {
                    Task {
                        await inbox.relay(d.id)
                        await model.load()
                        app.changed()
                    }
                })
            }
            if model.directive?.showReportCompletion == true {
                Section(header: Text(s.reportCompletion)) {
                    TextField(s.completionNoteField, text: $model.completionNote)
                    PhotoStrip(photos: model.completionPhotos)
                    Button(s.takePhoto) { showCamera = true }.disabled(model.addingPhoto)
                    Button(s.reportCompletion) {
                        Task { if await model.reportCompletion() { app.changed() } }
                    }
                    .disabled(!model.canReportCompletion)
                }
            }
            if let c = model.coverage {
                Section(header: Text(s.coverage)) {
                    ForEach(c.levels, id: \.self) { Text($0) }
                    if let done = c.tasksCompletedText { Text(done) }
                }
                if !c.silent.isEmpty {
                    Section(header: Text(c.silentTotalText ?? s.silentNodes)) {
                        ForEach(c.silent, id: \.self) { Text($0).foregroundColor(.red) }
                        if c.silentNextOffset != nil { Button(s.more) { Task { await model.loadMoreSilent() } } }
                    }
                }
            }
            if !model.households.isEmpty {
                Section(header: Text(model.householdsText ?? s.recordAck)) {
                    ForEach(model.households) { row in
                        HStack {
                            VStack(alignment: .leading) {
                                Text(row.household.headName)
                                Text(row.household.subtitle).font(.caption)
                            }
                            Spacer()
                            if let recorded = row.recorded {
                                Text(recorded).font(.caption)
                            } else {
                                ForEach(model.meansOptions) { m in
                                    Button(m.label) {
                                        Task {
                                            await model.recordAck(householdId: row.household.id, means: m.value)
                                            app.changed()
                                        }
                                    }
                                    .buttonStyle(.bordered)
                                    .disabled(model.busyHouseholdId != nil)
                                }
                            }
                        }
                    }
                    if model.householdsNextOffset != nil { Button(s.more) { Task { await model.loadMoreHouseholds() } } }
                }
            }
        }
        .task {
            await inbox.load()
            await model.load()
        }
        .sheet(isPresented: $showCamera) {
            CameraPicker { url in
                Task {
                    await model.addCompletionPhoto(path: url.path)
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }
}
