import AVFoundation
import LinkageKit
import SwiftUI

/// 朗读 through AVSpeechSynthesizer (zh-CN voice). Not verifiable on the build host: on a device, open a
/// directive, tap 朗读 and hear the kind, title and full text; tap again to stop.
@MainActor
final class Speaker: ObservableObject {
    private let synthesizer = AVSpeechSynthesizer()

    func speak(_ text: String) {
        if synthesizer.isSpeaking {
            synthesizer.stopSpeaking(at: .immediate)
            return
        }
        let utterance = AVSpeechUtterance(string: text)
        utterance.voice = AVSpeechSynthesisVoice(language: "zh-CN")
        synthesizer.speak(utterance)
    }
}

/// A directive card: kind and title, the full text (never cut to two lines), a reminder from above, my report's
/// state; 签收 and 转发 as large primary buttons (only the steps the core leaves open); 朗读.
struct DirectiveCard: View {
    let row: DirectiveRow
    let s: Strings
    var busy = false
    var onAcknowledge: () -> Void = {}
    var onRelay: () -> Void = {}
    var onReadAloud: ((String) -> Void)?

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text("【\(row.kindLabel)】\(row.title)").font(.headline).foregroundColor(row.overdue ? .red : .primary)
            Text(row.body).font(.body).fixedSize(horizontal: false, vertical: true)
            let status: String? = row.relayed ? s.relayed : (row.acknowledged ? s.acknowledged : nil)
            let meta = [row.issuerText, row.issuedText, row.dueText, row.householdsText, row.overdue ? s.overdue : nil, status,
                        row.completedText, row.reportStatusText, row.reportsWaitingText]
            Text(meta.compactMap { $0 }.joined(separator: " · ")).font(.subheadline)
            if let reminded = row.remindedText { Text(reminded).foregroundColor(.red) }
            if let returned = row.returnedText { Text(returned).foregroundColor(.red) }
            if row.showAcknowledge {
                Button(action: onAcknowledge) { Text(s.acknowledge).font(.title3).frame(maxWidth: .infinity, minHeight: 48) }
                    .buttonStyle(.borderedProminent).disabled(busy)
            }
            if row.showRelay {
                Button(action: onRelay) { Text(s.relay).font(.title3).frame(maxWidth: .infinity, minHeight: 48) }
                    .buttonStyle(.borderedProminent).disabled(busy)
            }
            if let onReadAloud {
                Button(s.readAloud) { onReadAloud(row.readAloudText) }.buttonStyle(.bordered).frame(minHeight: 48)
            }
        }
    }
}

/// Directives reaching my node with 签收 / 转发 / 朗读; 下达指令 for those who may issue; the units below me silent
/// past their window with 催办. Reached from every role's home (the toolbar's 指令).
struct InboxView: View {
    @StateObject var model: DirectiveInboxViewModel
    @StateObject private var speaker = Speaker()
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: DirectiveInboxViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            if model.canCompose {
                NavigationLink(destination: ComposerView(ctx: ctx)) { Text(s.composeDirective).font(.title3) }
            }
            if let notice = model.notice { Text(notice) }
            if !model.silentChildren.isEmpty {
                Section(header: Text(s.silentChildren)) {
                    ForEach(model.silentChildren) { c in
                        VStack(alignment: .leading) {
                            Text(c.nodeText).foregroundColor(.red)
                            Text(c.detail).font(.subheadline)
                            Button(s.remindOne) {
                                Task { await model.remind(directiveId: c.directiveId, nodeId: c.nodeId); app.changed() }
                            }.buttonStyle(.bordered).disabled(model.busyId != nil)
                        }
                    }
                }
            }
            ForEach(model.rows) { d in
                VStack(alignment: .leading) {
                    DirectiveCard(row: d, s: s, busy: model.busyId == d.id,
                                  onAcknowledge: { Task { await model.acknowledge(d.id); app.changed() } },
                                  onRelay: { Task { await model.relay(d.id); app.changed() } },
                                  onReadAloud: { speaker.speak($0) })
                    NavigationLink(s.directivesTitle, destination: DirectiveView(ctx: ctx, directiveId: d.id))
                }
            }
            if model.nextOffset != nil { Button(s.more) { Task { await model.loadMore() } } }
        }
        .navigationTitle(s.directivesTitle)
        .task { await model.load() }
    }
}

/// One directive: full text with 朗读 and photos; households and how each was told (liaison head, grid worker);
/// coverage per level with the silent units and 催办 (issuer and levels above); a task's reports with 通过 / 退回.
struct DirectiveView: View {
    @StateObject var model: DirectiveDetailViewModel
    @StateObject var inbox: DirectiveInboxViewModel
    @StateObject private var speaker = Speaker()
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
                DirectiveCard(row: d, s: s, onAcknowledge: {
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
                }, onReadAloud: { speaker.speak($0) })
            }
            if !model.photos.isEmpty { RecordPhotoStrip(photos: model.photos) { _ in } }
            // 上报完成情况: a draft form the core keeps as the user types (note and photos).
            if model.canReportCompletion {
                NavigationLink(s.reportCompletion,
                               destination: DraftFormView(ctx: ctx, model: DraftFormViewModel.taskCompletion(ctx, directiveId: model.directiveId)))
            }
            if let notice = model.notice { Text(notice) }
            if let c = model.coverage {
                Section(header: Text(s.coverage)) {
                    ForEach(c.levels, id: \.self) { Text($0) }
                    if let done = c.tasksCompletedText { Text(done) }
                    if let all = c.allAcknowledgedText { Text(all) }
                }
                if !c.silent.isEmpty {
                    Section(header: Text(c.silentTotalText ?? s.silentNodes)) {
                        if c.canRemind {
                            Button(s.remindSilent) { Task { await model.remindSilent(); app.changed() } }
                                .buttonStyle(.borderedProminent).disabled(model.busy)
                        }
                        ForEach(c.silent) { n in
                            HStack {
                                VStack(alignment: .leading) {
                                    Text(n.text).foregroundColor(.red)
                                    if let r = n.remindedText { Text(r).font(.subheadline) }
                                }
                                Spacer()
                                Button(s.remindOne) { Task { await model.remindNode(n.nodeId); app.changed() } }
                                    .buttonStyle(.bordered).disabled(model.busy)
                            }
                        }
                        if c.silentNextOffset != nil { Button(s.more) { Task { await model.loadMoreSilent() } } }
                    }
                }
            }
            if !model.reports.isEmpty {
                Section(header: Text(s.taskReports)) {
                    ForEach(model.reports) { r in
                        VStack(alignment: .leading, spacing: 4) {
                            Text(r.title)
                            Text(r.note)
                            Text(r.statusText + (r.reasonText.map { "：\($0)" } ?? "")).font(.subheadline)
                            if r.canReview {
                                if model.sendingBackNodeId == r.nodeId {
                                    TextField(s.sendBackReason, text: $model.sendBackReason)
                                    HStack {
                                        Button(s.confirmSendBack) { Task { await model.confirmSendBack(); app.changed() } }
                                            .buttonStyle(.borderedProminent).disabled(model.busy)
                                        Button(s.cancel) { model.cancelSendBack() }
                                    }
                                } else {
                                    HStack {
                                        Button(s.accept) { Task { await model.accept(r.nodeId); app.changed() } }
                                            .buttonStyle(.borderedProminent).disabled(model.busy)
                                        Button(s.sendBack) { model.startSendBack(r.nodeId) }.buttonStyle(.bordered)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !model.households.isEmpty {
                Section(header: Text(model.householdsText ?? s.recordAck)) {
                    ForEach(model.households) { row in
                        VStack(alignment: .leading) {
                            Text(row.household.headName)
                            Text(row.household.subtitle).font(.subheadline)
                            if let recorded = row.recorded {
                                Text(recorded).font(.subheadline)
                            } else {
                                Text(s.untold).foregroundColor(.red)
                                HStack {
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

/// The directive composer: where (the org tree from the core), kind, title, full text, due time and photos.
struct ComposerView: View {
    @StateObject var model: DirectiveComposerViewModel
    @EnvironmentObject var app: AppModel
    @State private var showCamera = false
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: DirectiveComposerViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        Form {
            Picker(s.targetField, selection: $model.targetId) {
                ForEach(model.targetOptions) { Text($0.label).tag(Optional($0.value)) }
            }
            if model.targetsNextOffset != nil { Button(s.more) { Task { await model.loadMoreTargets() } } }
            Picker(s.kindField, selection: $model.kind) {
                ForEach(model.kindOptions) { Text($0.label).tag($0.value) }
            }.pickerStyle(.segmented)
            TextField(s.titleField, text: $model.title)
            TextEditor(text: $model.body).frame(minHeight: 140)
            Picker(s.dueField, selection: Binding(get: { model.dueInHours ?? 0 }, set: { model.dueInHours = $0 == 0 ? nil : $0 })) {
                ForEach(model.dueOptions) { Text($0.label).tag($0.value) }
            }
            if !model.photos.isEmpty { RecordPhotoStrip(photos: model.photos) { _ in } }
            if model.issued == nil { Button(s.addPhoto) { showCamera = true } }
            ErrorBanner(error: model.error, s: s) {}
            if let issued = model.issued {
                Text(s.directiveSent).font(.headline)
                DirectiveCard(row: issued, s: s)
            } else {
                Button(action: { Task { if await model.send() != nil { app.changed() } } }) {
                    Text(s.sendDirective).font(.title3).frame(maxWidth: .infinity, minHeight: 48)
                }
                .buttonStyle(.borderedProminent)
                .disabled(!model.canSend)
            }
        }
        .navigationTitle(s.composeDirective)
        .sheet(isPresented: $showCamera) {
            CameraPicker { url in
                Task {
                    await model.addPhoto(path: url.path)
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
        .task { await model.load() }
    }
}
