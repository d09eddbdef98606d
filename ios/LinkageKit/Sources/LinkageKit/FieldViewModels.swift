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
        let assignedPage = await ctx.core { try $0.listIssues(kind: .assignedToMe, states: [.assigned, .inProgress], offset: 0, limit: 30) }
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
    /// The full-size file of the visit photo the user opened.
    @Published public var openedPhotoPath: String?
    @Published public private(set) var error: UiError?

    let ctx: ShellContext
    public let householdId: String

    public init(_ ctx: ShellContext, householdId: String) {
        self.ctx = ctx
        self.householdId = householdId
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
        if let v = await ctx.core({ try $0.householdVisits(householdId: id, limit: 20) }).value {
            visits = v.map { $0.toRow(s, f) }
        }
        // The core has no issues-by-household query yet: the newest 200 issues in the area, this household's.
        if let page = await ctx.core({ try $0.listIssues(kind: .inArea, states: [], offset: 0, limit: 200) }).value {
            issues = page.items.filter { $0.householdId == id }.map { $0.toRow(s, f) }
        }
        loading = false
        // The visits' photos after the page is up: thumbnails from the phone, else downloaded by the core.
        for (i, row) in visits.enumerated() where row.photoCount > 0 {
            visits[i].photos = await ctx.photos(of: .visit(visitId: row.id))
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
@MainActor
public final class VisitFormViewModel: ObservableObject {
    @Published public var kind: VisitKind
    @Published public var notes = ""
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
    let issueId: String?
    private let startedAtMs: Int64

    public init(_ ctx: ShellContext, householdId: String, kind: VisitKind = .routine, issueId: String? = nil) {
        self.ctx = ctx
        self.householdId = householdId
        self.kind = kind
        self.issueId = issueId
        self.startedAtMs = ctx.clock()
        self.gps = GpsView(nil, ctx.strings, ctx.format)
        let all: [VisitKind] = [.routine, .returnVisit, .petitionVisit, .emergencyCheck]
        self.kindOptions = all.map { Option(value: $0, label: ctx.strings.visitKind($0)) }
    }

    public var canSave: Bool { !saving && !addingPhoto && result == nil }

    /// A fresh fix from the location provider.
    public func onFix(_ fix: GpsFix) {
        self.fix = fix
        gps = GpsView(fix, ctx.strings, ctx.format, problem: locationProblem)
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
        let fix = self.fix
        let r = await ctx.core { try $0.addEvidence(path: path, fix: fix, attachTo: nil) }
        addingPhoto = false
        switch r {
        case let .ok(e): photos.append(e.toThumb()); return true
        case let .failed(e): error = e; return false
        }
    }

    @discardableResult
    public func save() async -> VisitResult? {
        guard canSave else { return nil }
        saving = true
        error = nil
        let draft = VisitDraft(householdId: householdId, kind: kind, startedAtMs: startedAtMs, endedAtMs: ctx.clock(),
                               fix: fix, notes: notes, evidence: photos.map(\.hash), issueId: issueId)
        let r = await ctx.core { try $0.recordVisit(draft: draft) }
        saving = false
        switch r {
        case let .ok(v):
            let s = ctx.strings
            let f = ctx.format
            let res = VisitResult(visitId: v.id, verdict: v.verdict, verdictLabel: v.verdictLabel,
                                  verdictAdvice: v.verdictAdvice, onSite: v.verdict == .onSite,
                                  distanceText: v.distanceM.map { s.distanceToHousehold(f.distance($0)) },
                                  accuracyText: v.accuracyM.map { f.accuracy($0) }, savedText: s.visitSaved)
            result = res
            return res
        case let .failed(e):
            error = e
            return nil
        }
    }

    /// Leaving without saving: photos taken for this form are deleted again.
    public func discard() async {
        guard result == nil else { return }
        for p in photos {
            let hash = p.hash
            _ = await ctx.core { try $0.deleteEvidence(hash: hash) }
        }
        photos = []
    }
}

/// Report form; the form makes its UUID when it opens, so a double submit is refused by the core (`Conflict`).
@MainActor
public final class ReportIssueViewModel: ObservableObject {
    @Published public var category: IssueCategory = .livelihoodAid
    @Published public var urgency: Urgency = .normal
    @Published public var title = ""
    @Published public var description = ""
    @Published public private(set) var fix: GpsFix?
    @Published public private(set) var gps: GpsView
    @Published public private(set) var photos: [PhotoThumb] = []
    @Published public private(set) var addingPhoto = false
    @Published public private(set) var submitting = false
    @Published public private(set) var reported: IssueRow?
    @Published public private(set) var savedText: String?
    @Published public var error: UiError?
    /// 就地解决: what was done on the spot (the grid worker's second submit).
    @Published public var onSpotNote = ""

    public let categoryOptions: [Option<IssueCategory>]
    public let urgencyOptions: [Option<Urgency>]
    /// The second submit, 就地解决, when the core's capabilities allow it (grid workers).
    public let offerOnSpot: Bool
    @Published public private(set) var locationProblem: LocationProblem?
    let ctx: ShellContext
    let householdId: String?
    let nodeId: String?
    private let clientOpId = UUID().uuidString.lowercased()

    public init(_ ctx: ShellContext, householdId: String?, nodeId: String? = nil) {
        self.ctx = ctx
        self.householdId = householdId
        self.nodeId = nodeId
        // The cached session (no I/O): the core says whether this role may resolve on the spot.
        self.offerOnSpot = ctx.app.session()?.capabilities.resolveOnSpot ?? false
        self.gps = GpsView(nil, ctx.strings, ctx.format)
        let categories: [IssueCategory] = [.infrastructure, .dispute, .livelihoodAid, .safetyHazard, .sanitation,
                                           .forestFire, .petition, .policyConsultation, .other]
        categoryOptions = categories.map { Option(value: $0, label: ctx.strings.category($0)) }
        urgencyOptions = [Urgency.normal, .urgent, .critical].map { Option(value: $0, label: ctx.strings.urgency($0)) }
    }

    public var canSubmit: Bool {
        !submitting && !addingPhoto && reported == nil && !title.trimmingCharacters(in: .whitespaces).isEmpty
    }

    public var canResolveOnSpot: Bool { offerOnSpot && canSubmit }

    public func onFix(_ fix: GpsFix) {
        self.fix = fix
        gps = GpsView(fix, ctx.strings, ctx.format, problem: locationProblem)
    }

    public func onLocationProblem(_ problem: LocationProblem?) {
        locationProblem = problem
        gps = GpsView(fix, ctx.strings, ctx.format, problem: problem)
    }

    @discardableResult
    public func addPhoto(path: String) async -> Bool {
        addingPhoto = true
        error = nil
        let fix = self.fix
        let r = await ctx.core { try $0.addEvidence(path: path, fix: fix, attachTo: nil) }
        addingPhoto = false
        switch r {
        case let .ok(e): photos.append(e.toThumb()); return true
        case let .failed(e): error = e; return false
        }
    }

    /// 上报: the issue goes to the township's triage queue.
    @discardableResult
    public func submit() async -> IssueRow? {
        guard canSubmit else { return nil }
        return await send(ctx.strings.reportSaved) { app, draft in try app.reportIssue(draft: draft) }
    }

    /// 就地解决: reported and resolved in one step (photos and note required by the core), then verified.
    @discardableResult
    public func submitResolvedOnSpot() async -> IssueRow? {
        guard canResolveOnSpot else { return nil }
        let note = onSpotNote
        return await send(ctx.strings.onSpotSaved) { app, draft in try app.reportResolvedOnSpot(draft: draft, note: note) }
    }

    private func send(_ saved: String, _ call: @escaping (FieldApp, IssueDraft) throws -> IssueSummary) async -> IssueRow? {
        submitting = true
        error = nil
        let draft = IssueDraft(category: category, urgency: urgency, title: title, description: description,
                               householdId: householdId, nodeId: nodeId, location: fix, evidence: photos.map(\.hash),
                               clientOpId: clientOpId)
        let r = await ctx.core { try call($0, draft) }
        submitting = false
        switch r {
        case let .ok(issue):
            let row = issue.toRow(ctx.strings, ctx.format)
            reported = row
            savedText = saved
            return row
        case let .failed(e):
            error = e
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
