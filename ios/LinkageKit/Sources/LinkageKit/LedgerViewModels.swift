import Foundation

// Household search (民生台账), corrections (台账更正) and settings (设置): mirrors of the Kotlin shell's
// LedgerPresenters.kt. The core decides scope, masking, paging, choices and every rule.

/// Household search for grid workers, liaison heads, township and county staff: by the head's name, part of
/// the address, a tag and a risk level, paged by the core within the user's scope (phone and ID masked).
@MainActor
public final class HouseholdSearchViewModel: ObservableObject {
    @Published public var name = ""
    @Published public var address = ""
    @Published public private(set) var tag: String?
    @Published public private(set) var risk: RiskLevel?
    @Published public private(set) var tagOptions: [Option<String>] = []
    @Published public private(set) var riskOptions: [Option<RiskLevel>] = []
    @Published public private(set) var items: [HouseholdRow] = []
    @Published public private(set) var total: Int64 = 0
    @Published public private(set) var totalText = ""
    @Published public private(set) var nextOffset: UInt32?
    @Published public private(set) var loading = false
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    let pageSize: UInt32

    public init(_ ctx: ShellContext, pageSize: UInt32 = 30) {
        self.ctx = ctx
        self.pageSize = pageSize
    }

    public func load() async {
        let s = ctx.strings
        switch await ctx.core({ try $0.householdFilterChoices() }) {
        case let .ok(c):
            tagOptions = c.tags.map { Option(value: $0.tag, label: s.tagWithCount($0.tag, $0.households)) }
            riskOptions = c.risks.map { Option(value: $0.level, label: $0.label) }
        case let .failed(e): error = e
        }
        await search()
    }

    /// Picks a tag chip, or clears it when picked again.
    public func pickTag(_ t: String) async { tag = tag == t ? nil : t; await search() }
    public func pickRisk(_ r: RiskLevel) async { risk = risk == r ? nil : r; await search() }

    /// The first page for the current filters.
    public func search() async { await fetch(offset: 0, replace: true) }

    /// The next page, appended.
    public func loadMore() async {
        guard let next = nextOffset else { return }
        await fetch(offset: next, replace: false)
    }

    private func fetch(offset: UInt32, replace: Bool) async {
        loading = true
        error = nil
        let q = HouseholdQuery(text: name.isEmpty ? nil : name, address: address.isEmpty ? nil : address, tag: tag, risk: risk,
                               offset: offset, limit: pageSize)
        switch await ctx.core({ try $0.listHouseholds(query: q) }) {
        case let .ok(page):
            items = (replace ? [] : items) + page.items.map { $0.toRow() }
            total = Int64(page.total)
            totalText = ctx.strings.householdsFound(items.count, total)
            nextOffset = page.nextOffset
        case let .failed(e): error = e
        }
        loading = false
    }
}

/// Corrections to a household's ledger entry: a new phone (the current one shown masked, never written back),
/// members, tags, and "the house is here" from a fresh fix; each save is the core's field-wise edit.
@MainActor
public final class HouseholdEditViewModel: ObservableObject {
    @Published public private(set) var household: HouseholdSummary?
    @Published public private(set) var currentPhoneText = ""
    @Published public var phone = ""
    @Published public private(set) var members: UInt32 = 0
    @Published public private(set) var tags: [String] = []
    @Published public private(set) var tagOptions: [String] = []
    @Published public var newTag = ""
    @Published public private(set) var fix: GpsFix?
    @Published public private(set) var gps: GpsView
    @Published public private(set) var pointText = ""
    @Published public private(set) var saving = false
    @Published public private(set) var savedText: String?
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    public let householdId: String

    public init(_ ctx: ShellContext, householdId: String) {
        self.ctx = ctx
        self.householdId = householdId
        self.gps = GpsView(nil, ctx.strings, ctx.format)
    }

    public func load() async {
        let id = householdId
        switch await ctx.core({ try $0.household(householdId: id) }) {
        case let .ok(h):
            show(h)
            let used = await ctx.core({ try $0.householdFilterChoices() }).value?.tags.map(\.tag) ?? []
            var seen = Set<String>()
            tagOptions = (h.tags + used).filter { seen.insert($0).inserted }
        case let .failed(e): error = e
        }
    }

    private func show(_ h: HouseholdSummary) {
        let s = ctx.strings
        household = h
        currentPhoneText = s.currentPhone(h.phoneMasked)
        members = h.members
        tags = h.tags
        if let lat = h.lat, let lon = h.lon { pointText = s.pointSet(lat, lon) } else { pointText = s.noPoint }
    }

    public func fewerMembers() { if members > 0 { members -= 1 }; savedText = nil }
    public func moreMembers() { members += 1; savedText = nil }
    public func toggleTag(_ t: String) { if let i = tags.firstIndex(of: t) { tags.remove(at: i) } else { tags.append(t) }; savedText = nil }
    public func addNewTag() {
        let t = newTag.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return }
        if !tags.contains(t) { tags.append(t) }
        if !tagOptions.contains(t) { tagOptions.append(t) }
        newTag = ""
    }
    public func onFix(_ f: GpsFix) { fix = f; gps = GpsView(f, ctx.strings, ctx.format) }

    /// Saves the changed fields in one core edit; nothing changed is said, not sent.
    @discardableResult
    public func save() async -> Bool {
        guard let h = household else { return false }
        var changes: [HouseholdChange] = []
        if !phone.trimmingCharacters(in: .whitespaces).isEmpty { changes.append(.phone(phone: phone)) }
        if members != h.members { changes.append(.members(count: members)) }
        if Set(tags) != Set(h.tags) { changes.append(.tags(tags: tags)) }
        guard !changes.isEmpty else { savedText = ctx.strings.nothingChanged; return false }
        saving = true
        error = nil
        savedText = nil
        let id = householdId
        defer { saving = false }
        switch await ctx.core({ try $0.editHousehold(householdId: id, changes: changes) }) {
        case let .ok(saved): show(saved); phone = ""; savedText = ctx.strings.correctionSaved; return true
        case let .failed(e): error = e; return false
        }
    }

    /// 房屋位置就在这里: the core takes the fix only when it is real, fresh and precise.
    @discardableResult
    public func markHere() async -> Bool {
        guard let f = fix else { savedText = ctx.strings.houseIsHereHint; return false }
        saving = true
        error = nil
        let id = householdId
        defer { saving = false }
        switch await ctx.core({ try $0.markHouseholdHere(householdId: id, fix: f) }) {
        case let .ok(saved): show(saved); savedText = ctx.strings.pointSaved; return true
        case let .failed(e): error = e; return false
        }
    }
}

/// Settings: 大字模式 (the core's choices and the persisted value; the app scales its fonts), language, server,
/// version, sign-out behind the core's count of unsent records, and the background-sync guide.
@MainActor
public final class SettingsViewModel: ObservableObject {
    @Published public private(set) var textScales: [TextScaleChoice] = []
    @Published public private(set) var textScale: Float = 1.0
    @Published public private(set) var languages: [LanguageChoice] = []
    @Published public private(set) var serverText = ""
    @Published public private(set) var versionText = ""
    @Published public private(set) var signOutCheck: SignOutCheck?
    @Published public private(set) var signedOut = false
    @Published public private(set) var guide: BackgroundSyncGuide?
    /// The brand whose steps the guide shows (the user picks theirs).
    @Published public private(set) var guideBrand = 0
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    let shellVersion: String

    public init(_ ctx: ShellContext, shellVersion: String = "") {
        self.ctx = ctx
        self.shellVersion = shellVersion
    }

    public func load() async {
        switch await ctx.core({ try $0.settingsPage() }) {
        case let .ok(p):
            textScales = p.textScales
            textScale = p.textScale
            languages = p.languages
            serverText = p.serverUrl ?? ctx.strings.notEnrolled
            versionText = [p.versionLabel, shellVersion].filter { !$0.isEmpty }.joined(separator: " · ")
            error = nil
        case let .failed(e): error = e
        }
    }

    public func pickTextScale(_ scale: Float) async {
        if case let .failed(e) = await ctx.core({ try $0.setTextScale(scale: scale) }) { error = e; return }
        await load()
    }

    public func pickLanguage(_ tag: String) async {
        if case let .failed(e) = await ctx.core({ try $0.setLanguage(tag: tag) }) { error = e; return }
        await load()
    }

    public func askSignOut() async {
        switch await ctx.core({ try $0.signOutCheck() }) {
        case let .ok(c): signOutCheck = c
        case let .failed(e): error = e
        }
    }

    public func cancelSignOut() { signOutCheck = nil }

    @discardableResult
    public func confirmSignOut() async -> Bool {
        if case let .failed(e) = await ctx.core({ try $0.signOut() }) { error = e; return false }
        signOutCheck = nil
        signedOut = true
        return true
    }

    public func openGuide() { guide = ctx.app.backgroundSyncGuide(); guideBrand = 0 }
    public func pickGuideBrand(_ index: Int) { guideBrand = max(0, min(index, (guide?.brands.count ?? 1) - 1)) }
    public func closeGuide() { guide = nil }
}
