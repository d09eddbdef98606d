import Foundation

/// Directives reaching my node: acknowledge (签收), then relay (转发).
@MainActor
public final class DirectiveInboxViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var rows: [DirectiveRow] = []
    @Published public private(set) var busyId: String?
    @Published public var error: UiError?

    let ctx: ShellContext

    public init(_ ctx: ShellContext) { self.ctx = ctx }

    public func load() async {
        loading = true
        error = nil
        switch await ctx.core({ try $0.directiveInbox(offset: 0, limit: 100) }) {
        case let .ok(list): rows = list.map { $0.toRow(ctx.strings, ctx.format) }
        case let .failed(e): error = e
        }
        loading = false
    }

    public func acknowledge(_ id: String) async { await step(id) { try $0.acknowledgeDirective(directiveId: id) } }
    public func relay(_ id: String) async { await step(id) { try $0.relayDirective(directiveId: id) } }

    private func step(_ id: String, _ call: @escaping (FieldApp) throws -> DirectiveSummary) async {
        busyId = id
        error = nil
        let r = await ctx.core(call)
        busyId = nil
        switch r {
        case let .ok(d):
            let row = d.toRow(ctx.strings, ctx.format)
            rows = rows.map { $0.id == id ? row : $0 }
        case let .failed(e):
            error = e
        }
    }
}

public struct AckRow: Identifiable, Equatable {
    public var id: String { household.id }
    public let household: HouseholdRow
    /// How the household was told, when recorded on this screen.
    public var recorded: String?
}

public struct CoverageView: Equatable {
    public let levels: [String]
    public let silent: [String]
    /// How many nodes in view reported a task done (tasks only).
    public let tasksCompletedText: String?
}

/// One directive: household acknowledgements (liaison head) or coverage and silent nodes (issuing staff);
/// for a task, once acknowledged, the report of my node's completion (note and photos).
@MainActor
public final class DirectiveDetailViewModel: ObservableObject {
    @Published public private(set) var loading = false
    @Published public private(set) var directive: DirectiveRow?
    @Published public private(set) var households: [AckRow] = []
    @Published public private(set) var coverage: CoverageView?
    @Published public private(set) var busyHouseholdId: String?
    /// 上报完成情况 (task directives, after acknowledging): what was done and its photos.
    @Published public var completionNote = ""
    @Published public private(set) var completionPhotos: [PhotoThumb] = []
    @Published public private(set) var addingPhoto = false
    @Published public private(set) var reportingCompletion = false
    @Published public var error: UiError?

    public var canReportCompletion: Bool { directive?.showReportCompletion == true && !addingPhoto && !reportingCompletion }

    public let meansOptions: [Option<AckMeans>]
    let ctx: ShellContext
    public let directiveId: String

    public init(_ ctx: ShellContext, directiveId: String) {
        self.ctx = ctx
        self.directiveId = directiveId
        meansOptions = [AckMeans.visit, .phone, .inPerson].map { Option(value: $0, label: ctx.strings.ackMeans($0)) }
    }

    public func load() async {
        loading = true
        error = nil
        let id = directiveId
        let role = await ctx.core { $0.session() }.value??.role
        var isTask = directive?.isTask ?? false
        switch await ctx.core({ try $0.directive(directiveId: id) }) {
        case let .ok(d):
            directive = d.toRow(ctx.strings, ctx.format)
            isTask = d.kind == .task
        case let .failed(e):
            error = e
        }
        if role == .liaisonHead {
            switch await ctx.core({ try $0.listHouseholds(query: HouseholdQuery(limit: 200)) }) {
            case let .ok(page):
                let recorded = Dictionary(uniqueKeysWithValues: households.map { ($0.household.id, $0.recorded) })
                households = page.items.map { AckRow(household: $0.toRow(), recorded: recorded[$0.id] ?? nil) }
            case let .failed(e):
                error = e
            }
        }
        if role == .townshipStaff || role == .countyStaff {
            switch await ctx.core({ try $0.directiveCoverage(directiveId: id) }) {
            case let .ok(c):
                coverage = CoverageView(levels: c.levels.map { "\($0.levelLabel) \($0.acknowledged)/\($0.total)" },
                                        silent: c.silentNodes.map(\.name),
                                        tasksCompletedText: isTask || c.tasksCompleted > 0 ? ctx.strings.tasksCompleted(c.tasksCompleted) : nil)
            case let .failed(e):
                error = e
            }
        }
        loading = false
    }

    public func recordAck(householdId: String, means: AckMeans) async {
        busyHouseholdId = householdId
        error = nil
        let id = directiveId
        let r = await ctx.core { try $0.recordHouseholdAck(directiveId: id, householdId: householdId, means: means) }
        busyHouseholdId = nil
        switch r {
        case let .ok(d):
            directive = d.toRow(ctx.strings, ctx.format)
            let label = ctx.strings.ackMeans(means)
            households = households.map { row in
                var row = row
                if row.household.id == householdId { row.recorded = label }
                return row
            }
        case let .failed(e):
            error = e
        }
    }

    /// A camera file for the completion report, turned into evidence by the core (as on the visit form).
    @discardableResult
    public func addCompletionPhoto(path: String) async -> Bool {
        addingPhoto = true
        error = nil
        let r = await ctx.core { try $0.addEvidence(path: path, fix: nil, attachTo: nil) }
        addingPhoto = false
        switch r {
        case let .ok(e): completionPhotos.append(e.toThumb()); return true
        case let .failed(e): error = e; return false
        }
    }

    /// 上报完成情况: my node's completion of the task; the core refuses it before acknowledging (`OutOfOrder`).
    @discardableResult
    public func reportCompletion() async -> Bool {
        guard !reportingCompletion else { return false }
        reportingCompletion = true
        error = nil
        let id = directiveId
        let note = completionNote
        let evidence = completionPhotos.map(\.hash)
        let r = await ctx.core { try $0.reportTaskCompletion(directiveId: id, note: note, evidence: evidence) }
        reportingCompletion = false
        switch r {
        case let .ok(d):
            directive = d.toRow(ctx.strings, ctx.format)
            completionNote = ""
            completionPhotos = []
            return true
        case let .failed(e):
            error = e
            return false
        }
    }
}
