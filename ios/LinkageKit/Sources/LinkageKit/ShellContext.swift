import Foundation

/// The result of one core call as view models see it.
public enum Outcome<T> {
    case ok(T)
    case failed(UiError)

    public var value: T? {
        if case let .ok(v) = self { return v }
        return nil
    }

    public var error: UiError? {
        if case let .failed(e) = self { return e }
        return nil
    }
}

/// What every view model needs: the core, the UI strings, a clock. Mirrors the Kotlin `ShellContext`.
/// Every `FieldApp` call except `connect`/`sync` does blocking disk I/O, so `core` runs it detached from
/// the main actor.
public final class ShellContext: @unchecked Sendable {
    public let app: FieldApp
    public let lang: Lang
    public let strings: Strings
    public let format: Format
    public let clock: @Sendable () -> Int64
    /// Fans the core's change notifications out to the open screens (registered as the core's observer).
    public let changes = ChangeBus()

    public init(app: FieldApp, lang: Lang = .zhCN, clock: @escaping @Sendable () -> Int64 = nowMs) {
        self.app = app
        self.lang = lang
        self.strings = Strings(lang)
        self.format = Format(Strings(lang))
        self.clock = clock
        // The core labels its records (state, category, verdict, ...) in the same language as the shell.
        app.setLocale(languageTag: lang.tag)
        app.observeChanges(observer: changes)
    }

    /// Opens the database in Application Support (excluded from iCloud backup: household data is personal),
    /// encrypted (SQLCipher) with the key kept in the Keychain (`StoreKeychain`).
    public static func openDefault(lang: Lang) throws -> ShellContext {
        return ShellContext(app: try openStore(), lang: lang)
    }

    /// The encrypted store at `defaultDatabasePath()`, keyed from the Keychain; a store left plain by an older
    /// version is encrypted in place by the core on this first keyed open.
    public static func openStore() throws -> FieldApp {
        return try FieldApp.open(dbPath: try defaultDatabasePath(), key: try StoreKeychain.storeKey())
    }

    /// The database file in Application Support (the background task opens the same one). The directory is
    /// excluded from backup, and with it the evidence photos the core keeps beside the database (`evidence/`).
    public static func defaultDatabasePath() throws -> String {
        var dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dir.setResourceValues(values)
        return dir.appendingPathComponent("linkage.db").path
    }

    /// Runs an async core call (network, photo downloads) on the core's own runtime; failures as a `UiError`.
    public func coreAsync<T>(_ call: @escaping (FieldApp) async throws -> T) async -> Outcome<T> {
        do {
            return .ok(try await call(app))
        } catch {
            return .failed(uiError(error, strings))
        }
    }

    /// The photos of a record with their thumbnails: those not on the phone yet (a colleague's) are fetched by
    /// the core (its cache, else the server, hash-checked); one that cannot be had says why instead.
    public func photos(of target: EvidenceTarget) async -> [PhotoView] {
        switch await core({ try $0.recordPhotos(target: target) }) {
        case let .failed(e):
            return [PhotoView(hash: "", thumbnailPath: nil, takenHere: false, unavailableText: e.message)]
        case let .ok(listed):
            var out: [PhotoView] = []
            for p in listed {
                var view = PhotoView(hash: p.hash, thumbnailPath: p.thumbnailPath, takenHere: p.takenHere, unavailableText: nil)
                if p.thumbnailPath == nil {
                    switch await coreAsync({ try await $0.evidenceThumbnail(hash: p.hash) }) {
                    case let .ok(path): view.thumbnailPath = path
                    case let .failed(e): view.unavailableText = e.message
                    }
                }
                out.append(view)
            }
            return out
        }
    }

    /// Runs a blocking core call off the main actor; failures come back as a `UiError`.
    public func core<T>(_ call: @escaping (FieldApp) throws -> T) async -> Outcome<T> {
        let app = self.app
        let strings = self.strings
        return await Task.detached(priority: .userInitiated) { () -> Outcome<T> in
            do {
                return .ok(try call(app))
            } catch {
                return .failed(uiError(error, strings))
            }
        }.value
    }
}

/// A photo of a record as a page shows it: the thumbnail file when the core has it, else `unavailableText`
/// (offline, not uploaded yet, damaged download) in place of the picture. Mirrors the Kotlin `PhotoView`.
public struct PhotoView: Identifiable, Equatable, Sendable {
    public var id: String { hash }
    public let hash: String
    public var thumbnailPath: String?
    public let takenHere: Bool
    public var unavailableText: String?
}
