import LinkageKit
import SwiftUI

@main
struct LinkageApp: App {
    @StateObject private var model = AppModel()

    var body: some Scene {
        WindowGroup {
            RootView().environmentObject(model)
        }
    }
}

/// Opens the core once and holds the session and sync bar view models (mirrors the Android MainViewModel).
@MainActor
final class AppModel: ObservableObject {
    @Published private(set) var ctx: ShellContext?
    @Published private(set) var session: SessionViewModel?
    @Published private(set) var syncBar: SyncBarViewModel?
    @Published private(set) var openError: String?

    init() {
        Task { await open() }
    }

    private func open() async {
        let lang = Lang.fromTag(Locale.preferredLanguages.first ?? "zh-CN")
        do {
            let ctx = try await Task.detached { try ShellContext.openDefault(lang: lang) }.value
            let session = SessionViewModel(ctx)
            let syncBar = SyncBarViewModel(ctx)
            await session.restore()
            await syncBar.refresh()
            self.session = session
            self.syncBar = syncBar
            self.ctx = ctx
        } catch {
            openError = String(describing: error)
        }
    }

    func changed() {
        Task { await syncBar?.refresh() }
    }
}
