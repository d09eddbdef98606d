import Foundation

// Questionnaires and checklists (访谈问卷, 排查表). Mirrors android/shell/.../FormPresenters.kt: the core holds the
// form model (relevant, required, errors, calculations) and stores every answer as it is given; the view
// model only hands answers over and publishes the model the core returns.

extension Strings {
    private func f(_ zh: String, _ en: String) -> String { lang == .zhCN ? zh : en }

    public var formsTitle: String { f("问卷与排查表", "Questionnaires") }
    public var fillForm: String { f("填写问卷", "Fill a form") }
    public var submitForm: String { f("提交", "Submit") }
    public var previousPage: String { f("上一页", "Previous") }
    public var nextPage: String { f("下一页", "Next") }
    public var captureLocation: String { f("获取当前位置", "Capture location") }
    public var recaptureLocation: String { f("重新定位", "Capture again") }
    public var takeFormPhoto: String { f("拍照", "Take photo") }
    public var retakeFormPhoto: String { f("重拍", "Retake") }
    public var removeInstance: String { f("删除", "Remove") }
    public var requiredMark: String { f("（必答）", " (required)") }
    public var formSubmitted: String { f("已提交，将随下次同步上报", "Submitted: it goes with the next sync") }
    public func formQuestions(_ n: UInt32) -> String { f("共 \(n) 题", "\(n) questions") }
    public func formDraftsOpen(_ n: UInt32) -> String { f("草稿 \(n) 份", "\(n) draft(s)") }
    public func formAnswered(_ n: UInt32) -> String { f("已答 \(n) 题", "\(n) answered") }
}

/// A form to start, as the list shows it.
public struct FormRow: Identifiable, Equatable {
    public let formId: String
    public let title: String
    public let detail: String
    public var id: String { formId }
}

/// An unfinished form, for "继续填写".
public struct FormDraftRow: Identifiable, Equatable {
    public let draftId: String
    public let title: String
    public let detail: String
    public var id: String { draftId }
}

/// The forms this user may fill and their open drafts (mirrors `FormListPresenter`).
@MainActor
public final class FormListViewModel: ObservableObject {
    @Published public private(set) var forms: [FormRow] = []
    @Published public private(set) var drafts: [FormDraftRow] = []
    @Published public private(set) var loading = false
    @Published public var error: UiError?
    public let householdId: String?
    public let visitId: String?
    let ctx: ShellContext
    private var subscription: ChangeSubscription?

    public init(_ ctx: ShellContext, householdId: String? = nil, visitId: String? = nil) {
        self.ctx = ctx
        self.householdId = householdId
        self.visitId = visitId
        subscription = ctx.changes.subscribe([.drafts]) { [weak self] in await self?.load() }
    }

    public func load() async {
        loading = true
        defer { loading = false }
        let s = ctx.strings
        let fmt = ctx.format
        let now = ctx.clock()
        switch await ctx.core({ try ($0.forms(), $0.formDrafts()) }) {
        case let .ok((forms, drafts)):
            self.forms = forms.map { f in
                FormRow(formId: f.formId, title: f.title,
                        detail: ([s.formQuestions(f.questionCount)] + (f.openDrafts > 0 ? [s.formDraftsOpen(f.openDrafts)] : [])).joined(separator: " · "))
            }
            self.drafts = drafts.map { d in
                FormDraftRow(draftId: d.draftId, title: d.title,
                             detail: [d.subjectLabel, s.formAnswered(d.answered), fmt.ago(d.updatedAtMs, now: now)].compactMap { $0 }.joined(separator: " · "))
            }
            error = nil
        case let .failed(e):
            error = e
        }
    }
}

/// The generic form screen's view model (mirrors `FormPresenter`): each answer goes to the core at once
/// (`setAnswer`) and the model it returns replaces the published one, so a killed app resumes where it was.
@MainActor
public final class FormViewModel: ObservableObject {
    @Published public private(set) var model: FormModel?
    @Published public private(set) var busy = false
    @Published public private(set) var submitted: SubmittedForm?
    @Published public var error: UiError?
    let ctx: ShellContext
    private let start: @Sendable (FieldApp) throws -> FormModel
    /// Answers go to the core one at a time, in the order given.
    private var last: Task<Void, Never>?

    public init(_ ctx: ShellContext, start: @escaping @Sendable (FieldApp) throws -> FormModel) {
        self.ctx = ctx
        self.start = start
    }

    /// A form started from a visit, a household or a role's home.
    public static func start(_ ctx: ShellContext, formId: String, householdId: String?, visitId: String?) -> FormViewModel {
        FormViewModel(ctx) { try $0.startFormDraft(formId: formId, householdId: householdId, nodeId: nil, visitId: visitId) }
    }

    /// A draft continued from "继续填写".
    public static func resumed(_ ctx: ShellContext, draftId: String) -> FormViewModel {
        FormViewModel(ctx) { try $0.formDraft(draftId: draftId) }
    }

    public var draftId: String? { model?.draftId }
    public var canGoBack: Bool { (model?.page ?? 0) > 0 }
    public var canGoOn: Bool { model.map { Int($0.page) + 1 < $0.pages.count } ?? false }

    private func call(_ body: @escaping @Sendable (FieldApp) throws -> FormModel) async {
        let previous = last
        let task = Task { @MainActor in
            await previous?.value
            busy = true
            switch await ctx.core(body) {
            case let .ok(m):
                model = m
                error = nil
            case let .failed(e):
                error = e
            }
            busy = false
        }
        last = task
        await task.value
    }

    private func withDraft(_ body: @escaping @Sendable (FieldApp, String) throws -> FormModel) async {
        guard let id = draftId else { return }
        await call { try body($0, id) }
    }

    public func open() async { let start = self.start; await call { try start($0) } }

    /// A typed answer (text, number, date): stored as typed; the core reads it and says what is wrong.
    public func type(_ path: String, _ text: String) async { await withDraft { try $0.setAnswer(draftId: $1, path: path, answer: .text(value: text)) } }
    public func pick(_ path: String, _ choiceId: String) async { await withDraft { try $0.setAnswer(draftId: $1, path: path, answer: .choice(id: choiceId)) } }

    /// Select-multiple: the tapped choice toggled in the picked set the model shows.
    public func toggle(_ path: String, _ choiceId: String) async {
        guard let item = model?.items.first(where: { $0.path == path }) else { return }
        var picked = item.choices.filter { $0.selected }.map { $0.id }
        if let i = picked.firstIndex(of: choiceId) { picked.remove(at: i) } else { picked.append(choiceId) }
        let ids = picked
        await withDraft { try $0.setAnswer(draftId: $1, path: path, answer: .choices(ids: ids)) }
    }

    public func location(_ path: String, _ fix: GpsFix) async { await withDraft { try $0.setAnswer(draftId: $1, path: path, answer: .location(fix: fix)) } }
    /// A camera file (JPEG, HEIC converted first) for an image question: the core takes it through the evidence pipeline.
    public func photo(_ path: String, file: String, fix: GpsFix?) async { await withDraft { try $0.setAnswer(draftId: $1, path: path, answer: .photo(path: file, fix: fix)) } }
    public func addInstance(_ path: String) async { await withDraft { try $0.addRepeatInstance(draftId: $1, path: path) } }
    public func removeInstance(_ path: String) async { await withDraft { try $0.removeRepeatInstance(draftId: $1, path: path) } }
    public func goToPage(_ page: UInt32) async { await withDraft { try $0.formDraftPage(draftId: $1, page: page) } }

    /// Submits; refused, the model comes back showing the problems (nothing stored).
    @discardableResult
    public func submit() async -> SubmittedForm? {
        await last?.value
        guard let id = draftId else { return nil }
        busy = true
        defer { busy = false }
        switch await ctx.core({ try $0.submitForm(draftId: id) }) {
        case let .ok(done):
            submitted = done
            error = nil
            return done
        case let .failed(e):
            error = e
            if case let .ok(m) = await ctx.core({ try $0.formDraft(draftId: id) }) { model = m }
            return nil
        }
    }
}
