import Foundation

/// Grid worker: overdue households nearest first from the live fix, assigned issues, directives to sign.
@MainActor
public final class TodayViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var locationText = ""
    @Published public private(set) var overdue: [OverdueRow] = []
    @Published public private(set) var assigned: [IssueRow] = []
    @Published public private(set) var directives: [DirectiveRow] = []
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    private var here: MapPoint?

    public init(_ ctx: ShellContext) { self.ctx = ctx }

    public func load() async {
        loading = true
        error = nil
        if here == nil { locationText = ctx.strings.noLocation }
        let assignedPage = await ctx.core { try $0.assignedToMe(offset: 0, limit: 30) }
        let inbox = await ctx.core { try $0.directivesToAcknowledge(offset: 0, limit: 50) }
        error = assignedPage.error ?? inbox.error
        if let page = assignedPage.value { assigned = page.items.map { $0.toRow(ctx.strings, ctx.format) } }
        if let page = inbox.value { directives = page.items.map { $0.toRow(ctx.strings, ctx.format) } }
        await loadOverdue()
        loading = false
    }

    public func onLocation(_ fix: GpsFix) async {
        here = MapPoint(lat: fix.lat, lon: fix.lon)
        locationText = ctx.format.accuracy(fix.accuracyM)
        await loadOverdue()
    }

    private func loadOverdue() async {
        let from = here
        switch await ctx.core({ try $0.overdueHouseholds(from: from, offset: 0, limit: 30) }) {
        case let .ok(page): overdue = page.items.map { $0.toRow(ctx.strings, ctx.format) }
        case let .failed(e): error = e
        }
    }

    /// The home's 工作台 entry: the branch's dashboard (走访覆盖率, 未走访户 at the branch's cadence, the lit
    /// measures); a figure opens the list behind it.
    public func dashboard() -> DashboardViewModel { DashboardViewModel(ctx) }
}

public struct HouseholdView: Equatable {
    public let id: String
    public let headName: String
    public let membersText: String
    public let address: String
    public let groupName: String
    public let phoneMasked: String?
    public let idNumberMasked: String?
    public let tags: [String]
    public let riskLabel: String
    public let lastOnSiteText: String?
}

/// Household page: ledger, latest visits, the household's issues.
@MainActor
public final class HouseholdViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var household: HouseholdView?
    @Published public private(set) var visits: [VisitRow] = []
    @Published public private(set) var issues: [IssueRow] = []
    /// Paged from the core: the whole history, a page at a time ("加载更多" while a next offset is set).
    @Published public private(set) var visitsNext: UInt32?
    @Published public private(set) var visitsTitle = ""
    @Published public private(set) var issuesNext: UInt32?
    @Published public private(set) var issuesTitle = ""
    /// The full-size file of the visit photo the user opened.
    @Published public var openedPhotoPath: String?
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    public let householdId: String

    let pageSize: UInt32

    public init(_ ctx: ShellContext, householdId: String, pageSize: UInt32 = 20) {
        self.ctx = ctx
        self.householdId = householdId
        self.pageSize = pageSize
    }

    public func load() async {
        loading = true
        error = nil
        let id = householdId
        let s = ctx.strings
        let f = ctx.format
        switch await ctx.core({ try $0.household(householdId: id) }) {
        case let .ok(h):
            household = HouseholdView(id: h.id, headName: h.headName, membersText: s.members(h.members), address: h.address,
                                      groupName: h.groupName, phoneMasked: h.phoneMasked, idNumberMasked: h.idNumberMasked,
                                      tags: h.tags, riskLabel: h.riskLabel, lastOnSiteText: h.lastOnsiteMs.map { s.lastOnSite(f.dateTime($0)) })
        case let .failed(e):
            error = e
        }
        let size = pageSize
        if let page = await ctx.core({ try $0.householdVisitPage(householdId: id, offset: 0, limit: size) }).value {
            visits = page.items.map { $0.toRow(s, f) }
            visitsNext = page.nextOffset
            visitsTitle = s.visitsCount(visits.count, Int64(page.total))
        }
        if let page = await ctx.core({ try $0.householdIssues(householdId: id, offset: 0, limit: size) }).value {
            issues = page.items.map { $0.toRow(s, f) }
            issuesNext = page.nextOffset
            issuesTitle = s.issuesCount(issues.count, Int64(page.total))
        }
        loading = false
        await loadPhotos(from: 0)
    }

    /// The visits' photos after the page is up: thumbnails from the phone, else downloaded by the core.
    private func loadPhotos(from start: Int) async {
        for i in start..<visits.count where visits[i].photoCount > 0 {
            visits[i].photos = await ctx.photos(of: .visit(visitId: visits[i].id))
        }
    }

    /// The next page of visits, appended.
    public func moreVisits() async {
        guard let next = visitsNext else { return }
        let id = householdId, size = pageSize, s = ctx.strings, f = ctx.format
        switch await ctx.core({ try $0.householdVisitPage(householdId: id, offset: next, limit: size) }) {
        case let .ok(page):
            let start = visits.count
            visits += page.items.map { $0.toRow(s, f) }
            visitsNext = page.nextOffset
            visitsTitle = s.visitsCount(visits.count, Int64(page.total))
            await loadPhotos(from: start)
        case let .failed(e): error = e
        }
    }

    /// The next page of the household's issues, appended.
    public func moreIssues() async {
        guard let next = issuesNext else { return }
        let id = householdId, size = pageSize, s = ctx.strings, f = ctx.format
        switch await ctx.core({ try $0.householdIssues(householdId: id, offset: next, limit: size) }) {
        case let .ok(page):
            issues += page.items.map { $0.toRow(s, f) }
            issuesNext = page.nextOffset
            issuesTitle = s.issuesCount(issues.count, Int64(page.total))
        case let .failed(e): error = e
        }
    }

    /// Opens a visit photo at full size (from the phone, or fetched by the core).
    @discardableResult
    public func openPhoto(hash: String) async -> Bool {
        switch await ctx.coreAsync({ try await $0.openEvidence(hash: hash) }) {
        case let .ok(path): openedPhotoPath = path; error = nil; return true
        case let .failed(e): error = e; return false
        }
    }
}

/// What the core decided about a saved visit.
public struct VisitResult: Equatable {
    public let visitId: String
    public let verdict: OnSiteVerdict
    public let verdictLabel: String
    /// What the verdict means for the visitor, in the core's words.
    public let verdictAdvice: String
    public let onSite: Bool
    public let distanceText: String?
    public let accuracyText: String?
    public let savedText: String
}

/// Visit form: live GPS accuracy and the core's live verdict (a fix from before the form opened, or too old,
/// is 定位已过期: ask the platform for fresh fixes, never the last known one), camera photos turned into
/// evidence by the core, notes; on save the core grades the fix the same way. Mirrors `VisitFormPresenter`.
/// The form is a core draft (every edit stored as typed, photos held with it), resumed by `open()` after the
/// app was killed.
@MainActor
public final class VisitFormViewModel: ObservableObject {
    @Published public var kind: VisitKind { didSet { persist() } }
    @Published public var notes = "" { didSet { persist() } }
    @Published public private(set) var fix: GpsFix?
    @Published public private(set) var gps: GpsView
    /// What saving now would record, graded live by the core.
    @Published public private(set) var verdict: VerdictView?
    @Published public private(set) var locationProblem: LocationProblem?
    @Published public private(set) var photos: [PhotoThumb] = []
    @Published public private(set) var addingPhoto = false
    @Published public private(set) var saving = false
    @Published public private(set) var result: VisitResult?
    @Published public var error: UiError?

    public let kindOptions: [Option<VisitKind>]
    let ctx: ShellContext
    public let householdId: String
    private let draft: DraftSession
    private var restoring = false
    /// When the visit started: the draft's start once opened (the live verdict grades fixes against it).
    private var startedAtMs: Int64
    private var saving_: Task<Void, Never>?

    public init(_ ctx: ShellContext, householdId: String, kind: VisitKind = .routine, issueId: String? = nil) {
        self.ctx = ctx
        self.householdId = householdId
        self.kind = kind
        let openedAt = ctx.clock()
        self.draft = DraftSession(ctx) {
            try $0.startVisitDraft(householdId: householdId, kind: kind, issueId: issueId, openedAtMs: openedAt)
        }
        self.startedAtMs = openedAt
        self.gps = GpsView(nil, ctx.strings, ctx.format)
        let all: [VisitKind] = [.routine, .returnVisit, .petitionVisit, .emergencyCheck]
        self.kindOptions = all.map { Option(value: $0, label: ctx.strings.visitKind($0)) }
    }

    public var canSave: Bool { !saving && !addingPhoto && result == nil }

    /// Starts the draft or resumes the one left open: notes, fix and photos come back.
    @discardableResult
    public func open() async -> Bool {
        do {
            let d = try await draft.open()
            startedAtMs = d.startedAtMs
            restoring = true
            kind = d.fields.visitKind ?? kind
            notes = d.fields.notes
            restoring = false
            if let f = d.fields.fix { onFix(f) }
            photos = d.photos.map { $0.toThumb() }
            return true
        } catch {
            restoring = false
            self.error = uiError(error, ctx.strings)
            return false
        }
    }

    private func persist() {
        guard !restoring else { return }
        let fields = DraftFields(visitKind: kind, category: nil, urgency: nil, title: "", notes: notes, choice: nil, fix: fix, onSpotNote: "")
        let draft = self.draft
        let previous = saving_
        // Chained: keystrokes are stored in the order they were typed.
        saving_ = Task { await previous?.value; try? await draft.save(fields) }
    }

    /// A fresh fix from the location provider.
    public func onFix(_ fix: GpsFix) {
        self.fix = fix
        gps = GpsView(fix, ctx.strings, ctx.format, problem: locationProblem)
        persist()
    }

    /// What the platform reports: permission denied, approximate only, GPS off (`nil`: all fine).
    public func onLocationProblem(_ problem: LocationProblem?) {
        locationProblem = problem
        gps = GpsView(fix, ctx.strings, ctx.format, problem: problem)
    }

    /// Asks the core for the verdict of the current fix now (after each fix, and every few seconds).
    public func previewVerdict() async {
        guard result == nil else { return }
        let id = householdId
        let fix = self.fix
        let started = startedAtMs
        switch await ctx.core({ try $0.previewVerdict(householdId: id, fix: fix, startedAtMs: started) }) {
        case let .ok(p):
            let s = ctx.strings
            verdict = VerdictView(verdict: p.verdict, label: p.verdictLabel, advice: p.advice, onSite: p.onSite,
                                  distanceText: p.distanceM.map { s.distanceToHousehold(ctx.format.distance($0)) },
                                  fixAgeText: p.fixAgeS.map { s.fixAge($0) })
        case let .failed(e):
            error = e
        }
    }

    /// Hands a JPEG/PNG file (the camera's HEIC already converted) to the core; the caller may delete it after.
    @discardableResult
    public func addPhoto(path: String) async -> Bool {
        addingPhoto = true
        error = nil
        defer { addingPhoto = false }
        do {
            photos = try await draft.addPhoto(path: path, fix: fix).photos.map { $0.toThumb() }
            return true
        } catch {
            self.error = uiError(error, ctx.strings)
            return false
        }
    }

    public func removePhoto(hash: String) async {
        do {
            photos = try await draft.removePhoto(hash: hash).photos.map { $0.toThumb() }
        } catch {
            self.error = uiError(error, ctx.strings)
        }
    }

    @discardableResult
    public func save() async -> VisitResult? {
        guard canSave else { return nil }
        saving = true
        error = nil
        defer { saving = false }
        await saving_?.value // every keystroke stored first
        do {
            guard case let .visit(v) = try await draft.submit() else { return nil }
            let s = ctx.strings
            let f = ctx.format
            let res = VisitResult(visitId: v.id, verdict: v.verdict, verdictLabel: v.verdictLabel,
                                  verdictAdvice: v.verdictAdvice, onSite: v.verdict == .onSite,
                                  distanceText: v.distanceM.map { s.distanceToHousehold(f.distance($0)) },
                                  accuracyText: v.accuracyM.map { f.accuracy($0) }, savedText: s.visitSaved)
            result = res
            return res
        } catch {
            self.error = uiError(error, ctx.strings)
            return nil
        }
    }

    /// Leaving without saving: the core deletes the draft and the photos taken for it.
    public func discard() async {
        guard result == nil else { return }
        try? await draft.discard()
        photos = []
    }

    /// Leaving the form (back): kept for "继续填写" unless nothing was entered (the core decides).
    public func leave() async {
        guard result == nil else { return }
        await saving_?.value
        await draft.leave()
    }
}

/// Report form, a core draft like the visit form; the draft's id is the report's operation id, so a double
/// submit can never make two issues. Mirrors the Kotlin `ReportIssuePresenter`.
@MainActor
public final class ReportIssueViewModel: ObservableObject {
    /// An open issue that may be the one being reported, with how far it is.
    public struct DuplicateRow: Identifiable, Equatable {
        public var id: String { issue.id }
        public let issue: IssueRow
        public let distanceText: String
    }

    @Published public var category: IssueCategory = .livelihoodAid { didSet { persist() } }
    @Published public var urgency: Urgency = .normal { didSet { persist() } }
    @Published public var title = "" { didSet { persist() } }
    @Published public var description = "" { didSet { persist() } }
    @Published public private(set) var fix: GpsFix?
    @Published public private(set) var gps: GpsView
    @Published public private(set) var photos: [PhotoThumb] = []
    @Published public private(set) var addingPhoto = false
    @Published public private(set) var submitting = false
    @Published public private(set) var reported: IssueRow?
    @Published public private(set) var savedText: String?
    @Published public var error: UiError?
    /// 就地解决: what was done on the spot (the grid worker's second submit); part of the draft.
    @Published public var onSpotNote = "" { didSet { persist() } }

    public let categoryOptions: [Option<IssueCategory>]
    public let urgencyOptions: [Option<Urgency>]
    /// The second submit, 就地解决, when the core's capabilities allow it (grid workers).
    public let offerOnSpot: Bool
    @Published public private(set) var locationProblem: LocationProblem?
    let ctx: ShellContext
    let householdId: String?
    let nodeId: String?
    private let draft: DraftSession
    private var restoring = false
    private var saving_: Task<Void, Never>?

    public init(_ ctx: ShellContext, householdId: String?, nodeId: String? = nil) {
        self.ctx = ctx
        self.householdId = householdId
        self.nodeId = nodeId
        // The cached session (no I/O): the core says whether this role may resolve on the spot.
        self.offerOnSpot = ctx.app.session()?.capabilities.resolveOnSpot ?? false
        self.draft = DraftSession(ctx) { try $0.startIssueDraft(householdId: householdId, nodeId: nodeId) }
        self.gps = GpsView(nil, ctx.strings, ctx.format)
        let categories: [IssueCategory] = [.infrastructure, .dispute, .livelihoodAid, .safetyHazard, .sanitation,
                                           .forestFire, .petition, .policyConsultation, .other]
        categoryOptions = categories.map { Option(value: $0, label: ctx.strings.category($0)) }
        urgencyOptions = [Urgency.normal, .urgent, .critical].map { Option(value: $0, label: ctx.strings.urgency($0)) }
    }

    /// A missing title or category is the core's to say on submit (its error names the field).
    public var canSubmit: Bool { !submitting && !addingPhoto && reported == nil && joined == nil }

    /// A report about a place, not a household (smoke on a hillside, a broken bridge): GPS point + description.
    public var aboutPlace: Bool { householdId == nil }
    /// "是其中一件吗？": open issues nearby of the same category, from the core, before saving.
    @Published public private(set) var duplicates: [DuplicateRow] = []
    /// The existing issue the user chose instead of filing a second one (the draft is gone).
    @Published public private(set) var joined: IssueRow?

    /// Asks the core for open issues of the same category near the draft's place; call on open, on a new
    /// category and on a new fix.
    public func checkDuplicates() async {
        let d = IssueDraft(category: category, urgency: urgency, title: title, description: description,
                           householdId: householdId, nodeId: householdId == nil ? nodeId : nil, location: fix,
                           evidence: [], clientOpId: nil)
        let s = ctx.strings, f = ctx.format
        switch await ctx.core({ try $0.suggestDuplicates(draft: d) }) {
        case let .ok(found): duplicates = found.map { DuplicateRow(issue: $0.issue.toRow(s, f), distanceText: s.metresAway($0.distanceM)) }
        case let .failed(e): error = e
        }
    }

    /// 是这件，不重复上报: the core discards the draft; the existing issue is the result.
    @discardableResult
    public func joinExisting(issueId: String) async -> IssueRow? {
        guard let draftId = try? await draft.open().id else { return nil }
        let s = ctx.strings, f = ctx.format
        switch await ctx.core({ try $0.joinExistingIssue(draftId: draftId, issueId: issueId) }) {
        case let .ok(detail):
            let row = detail.summary.toRow(s, f)
            joined = row
            duplicates = []
            savedText = s.joinedExisting
            return row
        case let .failed(e): error = e; return nil
        }
    }

    public var canResolveOnSpot: Bool { offerOnSpot && canSubmit }

    /// Starts the draft or resumes the one left open.
    @discardableResult
    public func open() async -> Bool {
        do {
            let d = try await draft.open()
            restoring = true
            category = d.fields.category ?? category
            urgency = d.fields.urgency ?? urgency
            title = d.fields.title
            description = d.fields.notes
            onSpotNote = d.fields.onSpotNote
            restoring = false
            if let f = d.fields.fix { onFix(f) }
            photos = d.photos.map { $0.toThumb() }
            return true
        } catch {
            restoring = false
            self.error = uiError(error, ctx.strings)
            return false
        }
    }

    private func fields() -> DraftFields {
        DraftFields(visitKind: nil, category: category, urgency: urgency, title: title, notes: description, choice: nil, fix: fix,
                    onSpotNote: onSpotNote)
    }

    private func persist() {
        guard !restoring else { return }
        let f = fields()
        let draft = self.draft
        let previous = saving_
        saving_ = Task { await previous?.value; try? await draft.save(f) }
    }

    public func onFix(_ fix: GpsFix) {
        self.fix = fix
        gps = GpsView(fix, ctx.strings, ctx.format, problem: locationProblem)
        persist()
    }

    public func onLocationProblem(_ problem: LocationProblem?) {
        locationProblem = problem
        gps = GpsView(fix, ctx.strings, ctx.format, problem: problem)
    }

    @discardableResult
    public func addPhoto(path: String) async -> Bool {
        addingPhoto = true
        error = nil
        defer { addingPhoto = false }
        do {
            try await draft.save(fields())
            photos = try await draft.addPhoto(path: path, fix: fix).photos.map { $0.toThumb() }
            return true
        } catch {
            self.error = uiError(error, ctx.strings)
            return false
        }
    }

    /// 上报: the issue goes to the township's triage queue.
    @discardableResult
    public func submit() async -> IssueRow? {
        guard canSubmit else { return nil }
        await saving_?.value
        let f = fields()
        let draft = self.draft
        return await send(ctx.strings.reportSaved) {
            try await draft.save(f)
            guard case let .issue(issue) = try await draft.submit() else { throw CancellationError() }
            return issue
        }
    }

    /// 就地解决: the draft is reported and resolved in ONE core transaction (photos and note required by the
    /// core), then verified; a retry after a kill can never make a second issue.
    @discardableResult
    public func submitResolvedOnSpot() async -> IssueRow? {
        guard canResolveOnSpot else { return nil }
        await saving_?.value
        let f = fields()
        let draft = self.draft
        return await send(ctx.strings.onSpotSaved) {
            try await draft.save(f)
            return try await draft.submitResolvedOnSpot()
        }
    }

    /// Leaving the form: kept for "继续填写" unless nothing was entered (the core decides).
    public func leave() async {
        guard reported == nil else { return }
        await saving_?.value
        await draft.leave()
    }

    private func send(_ saved: String, _ call: () async throws -> IssueSummary) async -> IssueRow? {
        submitting = true
        error = nil
        defer { submitting = false }
        do {
            let row = try await call().toRow(ctx.strings, ctx.format)
            reported = row
            savedText = saved
            return row
        } catch {
            self.error = uiError(error, ctx.strings)
            return nil
        }
    }
}

/// Liaison head's home: the group's households, directives to relay, the issues I submitted.
@MainActor
public final class LiaisonHomeViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var households: [HouseholdRow] = []
    @Published public private(set) var directives: [DirectiveRow] = []
    @Published public private(set) var myIssues: [IssueRow] = []
    @Published public private(set) var error: UiError?

    let ctx: ShellContext

    public init(_ ctx: ShellContext) { self.ctx = ctx }

    public func load() async {
        loading = true
        let s = ctx.strings
        let f = ctx.format
        let h = await ctx.core { try $0.listHouseholds(query: HouseholdQuery(limit: 200)) }
        let d = await ctx.core { try $0.directiveInbox(offset: 0, limit: 50) }
        let i = await ctx.core { try $0.listIssues(kind: .reportedByMe, states: [], offset: 0, limit: 50) }
        error = h.error ?? d.error ?? i.error
        if let page = h.value { households = page.items.map { $0.toRow() } }
        if let page = d.value { directives = page.items.map { $0.toRow(s, f) } }
        if let page = i.value { myIssues = page.items.map { $0.toRow(s, f) } }
        loading = false
    }
}
