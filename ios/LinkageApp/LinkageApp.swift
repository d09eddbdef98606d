import BackgroundTasks
import LinkageKit
import LocalAuthentication
import Network
import SwiftUI

@main
struct LinkageApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        // Must be registered before launch ends. The task only calls the core; the core decides and answers.
        BGTaskScheduler.shared.register(forTaskWithIdentifier: AppModel.refreshTaskId, using: nil) { task in
            guard let task = task as? BGAppRefreshTask else { return }
            AppModel.handle(task)
        }
    }

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(model)
                // 大字模式: the scale kept by the core, as a floor on the system's Dynamic Type size.
                .dynamicTypeSize(model.typeSizes)
                // The language picked in 设置 (kept by the core), else the phone's: dates and numbers follow it.
                .environment(\.locale, Locale(identifier: model.lang.tag))
                // Privacy overlay: the app switcher's snapshot and a locked app show no personal data.
                .overlay { if model.obscured { PrivacyCover() } }
        }
        .onChange(of: scenePhase) { phase in model.scenePhaseChanged(phase) }
    }
}

/// Opens the core once and holds the session and sync bar view models (mirrors the Android MainViewModel);
/// tells the core the facts it schedules sync from — scene phase (foreground/background) and the network
/// (NWPathMonitor) — and schedules the BGAppRefreshTask. When to sync is the core's decision.
@MainActor
final class AppModel: ObservableObject {
    static let refreshTaskId = "cn.linkage.app.sync"

    @Published private(set) var ctx: ShellContext?
    @Published private(set) var session: SessionViewModel?
    @Published private(set) var syncBar: SyncBarViewModel?
    @Published private(set) var openError: String?
    /// 大字模式: the text scale kept by the core (1.0, 1.3, 1.6), read at start and after 设置 changes it.
    @Published private(set) var textScale: Float = 1.0
    /// The UI language: the one picked in 设置 (kept by the core), else the phone's.
    @Published private(set) var lang = Lang.fromTag(Locale.preferredLanguages.first ?? "zh-CN")
    /// Covered while inactive or in the background (the app switcher's snapshot) and while the app lock is due.
    @Published private(set) var obscured = true
    private let network = NWPathMonitor()

    init() {
        Task { await open() }
    }

    private func open() async {
        let phone = lang
        do {
            // The language and 大字模式 chosen in 设置 are kept by the core: read them before the first screen.
            let (ctx, scale) = try await Task.detached { () -> (ShellContext, Float) in
                let app = try ShellContext.openStore()
                let chosen: String? = (try? app.chosenLanguage()) ?? nil
                let scale = (try? app.textScale()) ?? 1.0
                return (ShellContext(app: app, lang: chosen.map(Lang.fromTag) ?? phone), scale)
            }.value
            SharedCore.instance.set(ctx.app)
            lang = ctx.lang
            textScale = scale
            let session = SessionViewModel(ctx)
            let syncBar = SyncBarViewModel(ctx)
            await session.restore()
            await syncBar.refresh()
            await syncBar.attach() // the offline chip and "上次同步" follow the core's sync state
            self.session = session
            self.syncBar = syncBar
            self.ctx = ctx
            let app = ctx.app
            network.pathUpdateHandler = { path in app.networkChanged(available: path.status == .satisfied) }
            network.start(queue: DispatchQueue(label: "cn.linkage.network"))
            app.appForegrounded()
            unlockIfNeeded(app)
        } catch {
            openError = String(describing: error)
        }
    }

    func scenePhaseChanged(_ phase: ScenePhase) {
        guard let app = ctx?.app else { return }
        switch phase {
        case .active:
            app.appForegrounded()
            Task { await syncBar?.tick() }
            unlockIfNeeded(app)
        case .inactive:
            obscured = true
        case .background:
            obscured = true
            // The core says whether unsynced changes remain: then ask iOS for a refresh soon; else later.
            let unsynced = app.appBackgrounded()
            AppModel.scheduleRefresh(soon: unsynced)
        default:
            break
        }
    }

    /// 应用锁: the core decides when the lock is due (cold start, 5 minutes in the background); this only asks
    /// iOS for the device owner (Face ID / Touch ID / passcode) and reports success.
    func unlockIfNeeded(_ app: FieldApp) {
        guard app.appLockRequired() else {
            obscured = false
            return
        }
        let context = LAContext()
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) else {
            app.appUnlocked() // no passcode set on the phone: nothing to ask
            obscured = false
            return
        }
        let reason = Strings(lang).unlockReason
        context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: reason) { ok, _ in
            Task { @MainActor in
                if ok {
                    app.appUnlocked()
                    self.obscured = false
                }
            }
        }
    }

    static func scheduleRefresh(soon: Bool) {
        let request = BGAppRefreshTaskRequest(identifier: refreshTaskId)
        request.earliestBeginDate = Date(timeIntervalSinceNow: soon ? 60 : 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    /// The BGAppRefreshTask: one scheduled sync through the core, then the next request.
    nonisolated static func handle(_ task: BGAppRefreshTask) {
        let work = Task.detached {
            let app = try SharedCore.instance.get()
            let result = await app.runScheduledSync()
            await MainActor.run { scheduleRefresh(soon: result == .retryLater) }
            task.setTaskCompleted(success: result != .retryLater)
        }
        task.expirationHandler = { work.cancel() }
    }

    func changed() {
        Task { await syncBar?.refresh() }
    }

    /// Re-reads 大字模式 from the core after 设置 changed it (the whole app re-renders with the new size).
    func refreshTextScale() {
        guard let app = ctx?.app else { return }
        Task {
            let scale = await Task.detached { (try? app.textScale()) ?? 1.0 }.value
            textScale = scale
        }
    }

    /// The Dynamic Type sizes the app allows: 大字模式 raises the floor (×1.3 ≈ xxxLarge, ×1.6 ≈ accessibility1,
    /// the body sizes nearest 17 pt × the scale); a larger system setting still wins.
    var typeSizes: ClosedRange<DynamicTypeSize> {
        let floor: DynamicTypeSize = textScale >= 1.6 ? .accessibility1 : textScale >= 1.3 ? .xxxLarge : .xSmall
        return floor ... .accessibility5
    }
}

/// The process's one core, shared by the app model and the background task (which may run without a scene).
final class SharedCore: @unchecked Sendable {
    static let instance = SharedCore()
    private let lock = NSLock()
    private var app: FieldApp?

    func set(_ app: FieldApp) {
        lock.lock()
        defer { lock.unlock() }
        self.app = app
    }

    func get() throws -> FieldApp {
        lock.lock()
        defer { lock.unlock() }
        if let app { return app }
        let opened = try ShellContext.openStore()
        app = opened
        return opened
    }
}

/// What covers the app while it is locked or in the app switcher: the app's name, no data.
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(.systemBackground).ignoresSafeArea()
            Text(Strings(Lang.fromTag(Locale.preferredLanguages.first ?? "zh-CN")).appName)
                .font(.largeTitle)
        }
    }
}
