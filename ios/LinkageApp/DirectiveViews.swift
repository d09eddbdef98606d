import LinkageKit
import SwiftUI

/// One directive: acknowledge/relay, household acknowledgements (liaison head), coverage (issuing staff).
struct DirectiveView: View {
    @StateObject var model: DirectiveDetailViewModel
    @StateObject var inbox: DirectiveInboxViewModel
    @EnvironmentObject var app: AppModel
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
            // 上报完成情况: a draft form the core keeps as the user types (note and photos).
            if model.canReportCompletion {
                NavigationLink(s.reportCompletion,
                               destination: DraftFormView(ctx: ctx, model: DraftFormViewModel.taskCompletion(ctx, directiveId: model.directiveId)))
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
    }
}
