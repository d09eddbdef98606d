import LinkageKit
import SwiftUI

/// Grid worker: directives to sign, assigned issues by deadline, overdue households nearest first.
struct TodayView: View {
    @StateObject var model: TodayViewModel
    @StateObject private var location = LocationFeed()
    let ctx: ShellContext

    init(model: TodayViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model)
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            // The branch's 工作台 (coverage, households due, lit measures), one tap from home.
            NavigationLink(s.dashboardTitle, destination: DashboardView(model: model.dashboard(), ctx: ctx)).frame(minHeight: 48)
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            Section(header: Text(s.directivesSection)) {
                ForEach(model.directives) { d in
                    NavigationLink(destination: DirectiveView(ctx: ctx, directiveId: d.id)) { DirectiveRowView(row: d, s: s) }
                }
            }
            Section(header: Text(s.assignedSection)) {
                ForEach(model.assigned) { i in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: i.id)) { IssueRowView(row: i) }
                }
            }
            Section(header: Text(s.overdueSection), footer: Text(model.locationText)) {
                ForEach(model.overdue) { o in
                    NavigationLink(destination: HouseholdPage(ctx: ctx, householdId: o.household.id)) {
                        HouseholdRowView(row: o.household, trailing: [o.distanceText, o.overdueText].compactMap { $0 }.joined(separator: "\n"))
                    }
                }
            }
        }
        .task { await model.load() }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
        .onReceive(location.$fix.compactMap { $0 }) { fix in Task { await model.onLocation(fix) } }
    }
}

/// Liaison head: directives, my submitted issues, my group's households.
struct LiaisonHomeView: View {
    @StateObject var model: LiaisonHomeViewModel
    let ctx: ShellContext

    init(model: LiaisonHomeViewModel, ctx: ShellContext) {
        _model = StateObject(wrappedValue: model)
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            Section(header: Text(s.directivesTitle)) {
                ForEach(model.directives) { d in
                    NavigationLink(destination: DirectiveView(ctx: ctx, directiveId: d.id)) { DirectiveRowView(row: d, s: s) }
                }
            }
            Section(header: Text(s.myIssuesSection)) {
                ForEach(model.myIssues) { i in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: i.id)) { IssueRowView(row: i) }
                }
            }
            Section(header: Text(s.myHouseholds)) {
                ForEach(model.households) { h in
                    NavigationLink(destination: HouseholdPage(ctx: ctx, householdId: h.id)) { HouseholdRowView(row: h) }
                }
            }
        }
        .task { await model.load() }
    }
}

/// Household page: ledger (masked), visits with verdicts, issues; buttons to visit and report.
struct HouseholdPage: View {
    @StateObject var model: HouseholdViewModel
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext

    init(ctx: ShellContext, householdId: String) {
        _model = StateObject(wrappedValue: HouseholdViewModel(ctx, householdId: householdId))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s) { Task { await model.load() } }
            if let h = model.household {
                Section {
                    Text(h.headName).font(.title2)
                    Text("\(h.membersText) · \(h.riskLabel)")
                    Text("\(h.groupName) · \(h.address)")
                    ForEach([h.phoneMasked, h.idNumberMasked].compactMap { $0 }, id: \.self) { Text($0).font(.caption) }
                    if !h.tags.isEmpty { Text(h.tags.joined(separator: " · ")).foregroundColor(.secondary) }
                    if let last = h.lastOnSiteText { Text(last).font(.caption) }
                    NavigationLink(s.newVisit, destination: VisitFormView(ctx: ctx, householdId: h.id))
                    NavigationLink(s.reportIssue, destination: ReportIssueView(ctx: ctx, householdId: h.id))
                    NavigationLink(s.correctHousehold, destination: HouseholdEditView(ctx: ctx, householdId: h.id))
                }
            }
            Section(header: Text(model.visitsTitle.isEmpty ? s.visitsSection : model.visitsTitle)) {
                ForEach(model.visits) { v in
                    VStack(alignment: .leading) {
                        Text("\(v.whenText) · \(v.kindLabel)")
                        Text(v.verdictLabel).font(.caption.bold()).foregroundColor(v.onSite ? .green : .red)
                        if !v.notes.isEmpty { Text(v.notes).font(.caption) }
                        Text(v.photosText).font(.caption2)
                        if !v.photos.isEmpty {
                            RecordPhotoStrip(photos: v.photos) { hash in Task { await model.openPhoto(hash: hash) } }
                        }
                    }
                }
            }
            if model.visitsNext != nil { Button(s.more) { Task { await model.moreVisits() } } }
            Section(header: Text(model.issuesTitle.isEmpty ? s.issuesSection : model.issuesTitle)) {
                ForEach(model.issues) { i in
                    NavigationLink(destination: IssueView(ctx: ctx, issueId: i.id)) { IssueRowView(row: i) }
                }
                if model.issuesNext != nil { Button(s.more) { Task { await model.moreIssues() } } }
            }
        }
        .task { await model.load() }
        .sheet(isPresented: Binding(get: { model.openedPhotoPath != nil }, set: { if !$0 { model.openedPhotoPath = nil } })) {
            if let path = model.openedPhotoPath, let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFit()
            }
        }
    }
}

/// Visit form: live GPS accuracy, camera (HEIC → JPEG), notes; after saving, the core's on-site verdict.
struct VisitFormView: View {
    @StateObject var model: VisitFormViewModel
    @StateObject private var location = LocationFeed()
    /// The camera being open survives the app being killed (the form's draft is in the core).
    @SceneStorage("visit.showCamera") private var showCamera = false
    /// The open form, restored by SignedInView after the app was killed.
    @SceneStorage(OpenForm.key) private var openForm = ""
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext
    let route: String

    init(ctx: ShellContext, householdId: String, issueId: String? = nil) {
        _model = StateObject(wrappedValue: VisitFormViewModel(ctx, householdId: householdId, issueId: issueId))
        self.ctx = ctx
        self.route = OpenForm.visit(householdId: householdId, issueId: issueId)
    }

    var body: some View {
        let s = ctx.strings
        Form {
            Picker(s.visitKind, selection: $model.kind) {
                ForEach(model.kindOptions) { Text($0.label).tag($0.value) }
            }
            Section {
                Text(model.gps.text)
                if let warning = model.gps.mockWarning { Text(warning).foregroundColor(.red) }
                if let problem = model.gps.problem { Text(problem).foregroundColor(.red) }
                if let v = model.verdict, model.result == nil {
                    Text(v.label).font(.title3.bold()).foregroundColor(v.onSite ? .green : .orange)
                    Text(v.advice)
                    if let age = v.fixAgeText { Text(age).font(.caption) }
                }
            }
            Section(header: Text(s.notes)) {
                TextEditor(text: $model.notes).frame(minHeight: 100).disabled(model.result != nil)
            }
            PhotoStrip(photos: model.photos)
            ErrorBanner(error: model.error, s: s)
            if let r = model.result {
                Section(header: Text(s.verdictTitle)) {
                    Text(r.verdictLabel).font(.title2.bold()).foregroundColor(r.onSite ? .green : .red)
                    ForEach([r.distanceText, r.accuracyText].compactMap { $0 }, id: \.self) { Text($0) }
                    Text(r.savedText).font(.caption)
                    // The questionnaires and checklists filled during this visit (问卷, 排查表).
                    NavigationLink(s.fillForm, destination: FormListView(model: FormListViewModel(ctx, householdId: model.householdId, visitId: r.visitId), ctx: ctx))
                }
            } else {
                Button(s.takePhoto) { showCamera = true }.disabled(model.addingPhoto)
                Button(model.saving ? s.saving : s.saveVisit) {
                    Task { if await model.save() != nil { app.changed() } }
                }
                .disabled(!model.canSave)
            }
        }
        .navigationTitle(s.visitTitle)
        .task { await model.open() } // starts or resumes the core's draft
        .onAppear {
            location.start()
            openForm = route
        }
        .onDisappear {
            // The draft stays in the core (resumable from the drafts list); only the route is forgotten.
            location.stop()
            if openForm == route { openForm = "" }
            Task { await model.leave() }
        }
        .onReceive(location.$fix.compactMap { $0 }) { fix in
            if model.result == nil {
                model.onFix(fix)
                Task { await model.previewVerdict() }
            }
        }
        .onReceive(location.$problem) { model.onLocationProblem($0) }
        // A fix ages: the core's live verdict is refreshed every few seconds.
        .task {
            while !Task.isCancelled && model.result == nil {
                await model.previewVerdict()
                try? await Task.sleep(nanoseconds: 5_000_000_000)
            }
        }
        .sheet(isPresented: $showCamera) {
            CameraPicker { url in
                Task {
                    await model.addPhoto(path: url.path)
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }
}

/// Report form: category, urgency, title, description, photos, location.
struct ReportIssueView: View {
    @StateObject var model: ReportIssueViewModel
    @StateObject private var location = LocationFeed()
    @SceneStorage("report.showCamera") private var showCamera = false
    @SceneStorage(OpenForm.key) private var openForm = ""
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext
    let route: String

    /// The second submit 就地解决 appears when the core's capabilities allow it (grid workers).
    init(ctx: ShellContext, householdId: String?, nodeId: String? = nil) {
        _model = StateObject(wrappedValue: ReportIssueViewModel(ctx, householdId: householdId, nodeId: nodeId))
        self.ctx = ctx
        self.route = OpenForm.report(householdId: householdId, nodeId: nodeId)
    }

    var body: some View {
        let s = ctx.strings
        Form {
            Picker(s.category, selection: $model.category) {
                ForEach(model.categoryOptions) { Text($0.label).tag($0.value) }
            }
            Picker(s.urgency, selection: $model.urgency) {
                ForEach(model.urgencyOptions) { Text($0.label).tag($0.value) }
            }
            .pickerStyle(.segmented)
            TextField(s.issueTitleField, text: $model.title)
            Section(header: Text(model.aboutPlace ? s.placeDescription : s.descriptionField)) {
                TextEditor(text: $model.description).frame(minHeight: 100)
            }
            Text(model.gps.text).font(.caption)
            if let problem = model.gps.problem { Text(problem).font(.caption).foregroundColor(.red) }
            PhotoStrip(photos: model.photos)
            ErrorBanner(error: model.error, s: s)
            if !model.duplicates.isEmpty && model.reported == nil && model.joined == nil {
                Section(header: Text(s.duplicatesTitle)) {
                    ForEach(model.duplicates) { d in
                        NavigationLink(destination: IssueView(ctx: ctx, issueId: d.issue.id)) { IssueRowView(row: d.issue) }
                        HStack {
                            Text(d.distanceText).font(.caption)
                            Button(s.sameIssue) { Task { if await model.joinExisting(issueId: d.issue.id) != nil { app.changed() } } }
                        }
                    }
                }
            }
            if let joined = model.joined {
                if let saved = model.savedText { Text(saved) }
                NavigationLink(destination: IssueView(ctx: ctx, issueId: joined.id)) { IssueRowView(row: joined) }
            } else if let reported = model.reported {
                if let saved = model.savedText { Text(saved) }
                NavigationLink(destination: IssueView(ctx: ctx, issueId: reported.id)) { IssueRowView(row: reported) }
            } else {
                Button(s.takePhoto) { showCamera = true }.disabled(model.addingPhoto)
                Button(s.submit) { Task { if await model.submit() != nil { app.changed() } } }.disabled(!model.canSubmit)
                if model.offerOnSpot {
                    Section(header: Text(s.onSpotNoteField)) {
                        TextEditor(text: $model.onSpotNote).frame(minHeight: 60)
                        Button(s.submitResolvedOnSpot) {
                            Task { if await model.submitResolvedOnSpot() != nil { app.changed() } }
                        }
                        .disabled(!model.canResolveOnSpot)
                    }
                }
            }
        }
        .navigationTitle(model.aboutPlace ? s.reportPlaceTitle : s.reportTitle)
        .task { await model.open(); await model.checkDuplicates() }
        .onChange(of: model.category) { _ in Task { await model.checkDuplicates() } }
        .onAppear {
            location.start()
            openForm = route
        }
        .onDisappear {
            location.stop()
            if openForm == route { openForm = "" }
            // Kept for "继续填写" unless nothing was entered (the core decides).
            Task { await model.leave() }
        }
        .onReceive(location.$fix.compactMap { $0 }) { fix in model.onFix(fix) }
        .onReceive(location.$problem) { model.onLocationProblem($0) }
        .sheet(isPresented: $showCamera) {
            CameraPicker { url in
                Task {
                    await model.addPhoto(path: url.path)
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }
}

/// The open form as scene storage keeps it ("visit\th1\t", "report\th1"), so a form the user was filling
/// in when iOS ended the app opens again (its content is the core's draft).
enum OpenForm {
    static let key = "route.openForm"

    static func visit(householdId: String, issueId: String?) -> String { "visit\t\(householdId)\t\(issueId ?? "")" }
    static func report(householdId: String?, nodeId: String?) -> String { "report\t\(householdId ?? "")\t\(nodeId ?? "")" }
    static func draft(_ draftId: String) -> String { "draft\t\(draftId)" }

    /// The view for a stored route, or nil when there is none.
    @ViewBuilder
    static func view(_ route: String, ctx: ShellContext) -> some View {
        let p = route.components(separatedBy: "\t")
        let arg = { (i: Int) -> String? in p.count > i && !p[i].isEmpty ? p[i] : nil }
        switch p.first {
        case "visit":
            if let h = arg(1) { VisitFormView(ctx: ctx, householdId: h, issueId: arg(2)) }
        case "report":
            ReportIssueView(ctx: ctx, householdId: arg(1), nodeId: arg(2))
        case "draft":
            if let id = arg(1) { DraftFormView(ctx: ctx, model: DraftFormViewModel.resumed(ctx, draftId: id)) }
        default:
            EmptyView()
        }
    }
}
