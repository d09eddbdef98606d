import LinkageKit
import SwiftUI

/// Sign-in, or the signed-in user's home with the sync bar on top.
struct RootView: View {
    @EnvironmentObject var model: AppModel

    var body: some View {
        if let ctx = model.ctx, let session = model.session, let syncBar = model.syncBar {
            SignedInView(ctx: ctx, session: session, syncBar: syncBar)
        } else if let error = model.openError {
            Text(error).padding()
        } else {
            ProgressView()
        }
    }
}

struct SignedInView: View {
    let ctx: ShellContext
    @ObservedObject var session: SessionViewModel
    @ObservedObject var syncBar: SyncBarViewModel
    @EnvironmentObject var model: AppModel
    /// The form that was open when iOS ended the app; reopened once at launch (its content is the core's draft).
    @SceneStorage(OpenForm.key) private var openForm = ""
    @State private var restoring = false

    var body: some View {
        if let user = session.session {
            NavigationView {
                VStack(spacing: 0) {
                    SyncBarView(model: syncBar, s: ctx.strings)
                    DraftsEntry(ctx: ctx)
                    home(user.home)
                    NavigationLink(destination: OpenForm.view(openForm, ctx: ctx), isActive: $restoring) { EmptyView() }
                        .hidden()
                }
                .onAppear { if !openForm.isEmpty { restoring = true } }
                .navigationTitle(user.title)
                .toolbar {
                    ToolbarItem(placement: .navigationBarLeading) {
                        Text(user.subtitle).font(.caption)
                    }
                    ToolbarItem(placement: .navigationBarTrailing) {
                        NavigationLink(ctx.strings.householdsTitle, destination: HouseholdSearchView(ctx: ctx))
                    }
                    ToolbarItem(placement: .navigationBarTrailing) {
                        // Field roles fill questionnaires and checklists (问卷, 排查表) from their home.
                        if user.home != .triage {
                            NavigationLink(ctx.strings.formsTitle, destination: FormListView(model: FormListViewModel(ctx), ctx: ctx))
                        }
                    }
                    ToolbarItem(placement: .navigationBarTrailing) {
                        // Every role's directive inbox (签收, 转发, 朗读; 下达指令 and 催办 where the core allows).
                        if user.capabilities.directiveInbox {
                            NavigationLink(ctx.strings.directivesTitle, destination: InboxView(ctx: ctx))
                        }
                    }
                    ToolbarItem(placement: .navigationBarTrailing) {
                        // Sign-out lives in settings, behind the core's count of unsent records.
                        NavigationLink(ctx.strings.settingsTitle, destination: SettingsView(ctx: ctx) { Task { await session.signOut() } })
                    }
                }
            }
            .navigationViewStyle(.stack)
        } else {
            SignInView(model: session, s: ctx.strings) { model.changed() }
        }
    }

    @ViewBuilder
    private func home(_ home: Home) -> some View {
        switch home {
        case .today: TodayView(model: TodayViewModel(ctx), ctx: ctx)
        case .liaison: LiaisonHomeView(model: LiaisonHomeViewModel(ctx), ctx: ctx)
        case .triage: TriageView(model: TriageViewModel(ctx), ctx: ctx)
        case .branch: BranchHomeView(model: BranchHomeViewModel(ctx), ctx: ctx)
        }
    }
}

struct SignInView: View {
    @ObservedObject var model: SessionViewModel
    let s: Strings
    let onSignedIn: () -> Void

    var body: some View {
        Form {
            Section(header: Text(s.signInTitle)) {
                TextField(s.serverUrl, text: $model.serverUrl)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                TextField(s.userId, text: $model.userId)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                SecureField(s.password, text: $model.password)
                if model.needsNewPassword {
                    SecureField(s.newPassword, text: $model.newPassword)
                }
            }
            Button(model.busy ? s.connecting : s.connect) {
                Task {
                    await model.connect()
                    onSignedIn()
                }
            }
            .disabled(!model.canSubmit)
            ErrorBanner(error: model.error, s: s)
        }
    }
}

/// On every screen: the offline chip, the core's sync headline, last sync ("上次同步：5 分钟前", re-read each
/// minute), progress, and the quarantined operations with their reasons.
struct SyncBarView: View {
    @ObservedObject var model: SyncBarViewModel
    let s: Strings
    @State private var showQuarantine = false

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                if let chip = model.offlineChip {
                    Text(chip).font(.subheadline.bold()).padding(.horizontal, 8).padding(.vertical, 2)
                        .background(Color.red.opacity(0.15)).foregroundColor(.red).cornerRadius(6)
                }
                VStack(alignment: .leading) {
                    Text(model.headline.isEmpty ? model.pendingText : model.headline).font(.subheadline)
                    Text(model.lastSyncText).font(.caption).foregroundColor(model.lastSyncFailed ? .red : .secondary)
                }
                Spacer()
                Button(s.syncNow) { Task { await model.sync() } }.disabled(model.running)
            }
            if model.running {
                if let text = model.progressText { Text(text).font(.caption2) }
                if let p = model.progress { ProgressView(value: p) } else { ProgressView().progressViewStyle(.linear) }
            }
            if let q = model.quarantinedText {
                Button(q) { showQuarantine.toggle() }.font(.caption).foregroundColor(.red)
            }
            if showQuarantine {
                Text(s.quarantineTitle).font(.caption.bold())
                ForEach(model.quarantinedItems) { item in
                    Text("\(item.kind) · \(item.whenText)\n\(item.reason)\n\(item.nextStep)").font(.caption2)
                }
            }
            ErrorBanner(error: model.error, s: s)
        }
        .padding(.horizontal)
        .padding(.vertical, 6)
        .background(Color(.secondarySystemBackground))
        .onReceive(Timer.publish(every: 60, on: .main, in: .common).autoconnect()) { _ in Task { await model.tick() } }
    }
}
