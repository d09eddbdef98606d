import LinkageKit
import SwiftUI

/// The forms a user may fill (问卷, 排查表) and their unfinished drafts (mirrors the Compose `FormListScreen`);
/// from a visit or a field role's home.
struct FormListView: View {
    @StateObject var model: FormListViewModel
    let ctx: ShellContext

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s)
            if !model.drafts.isEmpty {
                Section(header: Text(s.draftsTitle)) {
                    ForEach(model.drafts) { d in
                        NavigationLink(destination: FormView(ctx: ctx, model: FormViewModel.resumed(ctx, draftId: d.draftId))) {
                            VStack(alignment: .leading) { Text(d.title).font(.headline); Text(d.detail).font(.subheadline) }
                        }
                    }
                }
            }
            Section(header: Text(s.formsTitle)) {
                ForEach(model.forms) { f in
                    NavigationLink(destination: FormView(ctx: ctx, model: FormViewModel.start(ctx, formId: f.formId, householdId: model.householdId, visitId: model.visitId))) {
                        VStack(alignment: .leading) { Text(f.title).font(.headline); Text(f.detail).font(.subheadline) }
                    }
                    .frame(minHeight: 48)
                }
            }
        }
        .navigationTitle(s.formsTitle)
        .task { await model.load() }
    }
}

/// Any form, drawn from the core's model alone (mirrors the Compose `FormScreen`): page strip, rows (typed
/// fields, choices as big buttons, location and camera buttons, notes, computed values, sections, repeat
/// entries with add/remove), each error in the core's words, and submit. Nothing is decided here.
struct FormView: View {
    @StateObject var model: FormViewModel
    @StateObject private var location = LocationFeed()
    @State private var cameraFor: String?
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext

    init(ctx: ShellContext, model: @autoclosure @escaping () -> FormViewModel) {
        _model = StateObject(wrappedValue: model())
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            ErrorBanner(error: model.error, s: s)
            if let m = model.model {
                if let subject = m.subjectLabel { Text(subject).font(.headline) }
                if m.pages.count > 1 {
                    ScrollView(.horizontal) {
                        HStack {
                            ForEach(m.pages, id: \.index) { p in
                                Button(p.label + (p.errors > 0 ? " ⚠\(p.errors)" : " \(p.answered)/\(p.questions)")) {
                                    Task { await model.goToPage(p.index) }
                                }
                                .buttonStyle(.bordered)
                                .tint(p.index == m.page ? .accentColor : .secondary)
                                .frame(minHeight: 48)
                            }
                        }
                    }
                }
                ForEach(m.items, id: \.path) { row in FormRowView(row: row, s: s, model: model, location: location, cameraFor: $cameraFor) }
                Section {
                    Text(model.submitted != nil ? s.formSubmitted : m.statusText).font(.headline)
                    HStack {
                        if model.canGoBack { Button(s.previousPage) { Task { await model.goToPage(m.page - 1) } }.buttonStyle(.bordered) }
                        if model.canGoOn { Button(s.nextPage) { Task { await model.goToPage(m.page + 1) } }.buttonStyle(.bordered) }
                        if model.submitted == nil {
                            Button(s.submitForm) { Task { if await model.submit() != nil { app.changed() } } }
                                .buttonStyle(.borderedProminent).disabled(model.busy)
                        }
                    }
                    .frame(minHeight: 48)
                }
            }
        }
        .navigationTitle(model.model?.title ?? s.formsTitle)
        .task { await model.open() }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
        .sheet(isPresented: Binding(get: { cameraFor != nil }, set: { if !$0 { cameraFor = nil } })) {
            CameraPicker { url in
                let path = cameraFor
                Task {
                    if let path { await model.photo(path, file: url.path, fix: location.fix) }
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }
}

private struct FormRowView: View {
    let row: FormItem
    let s: Strings
    @ObservedObject var model: FormViewModel
    @ObservedObject var location: LocationFeed
    @Binding var cameraFor: String?

    var body: some View {
        let indent = CGFloat(row.depth) * 12
        switch row.item {
        case .section:
            Text(row.label).font(.title3).foregroundColor(.accentColor).padding(.leading, indent)
        case let .repeatInstance(_, canRemove):
            HStack {
                Text(row.label).font(.headline)
                Spacer()
                if canRemove { Button(s.removeInstance) { Task { await model.removeInstance(row.path) } }.frame(minHeight: 48) }
            }
            .padding(.leading, indent)
        case .repeatAdd:
            Button(row.label) { Task { await model.addInstance(row.path) } }.buttonStyle(.bordered).frame(minHeight: 48).padding(.leading, indent)
        case let .question(kind):
            VStack(alignment: .leading, spacing: 6) {
                question(kind)
                if !row.hint.isEmpty { Text(row.hint).font(.subheadline) }
                if let e = row.error { Text(e).foregroundColor(.red).font(.body.weight(.medium)) }
            }
            .padding(.leading, indent)
        }
    }

    private var label: String { row.required ? row.label + s.requiredMark : row.label }

    @ViewBuilder
    private func question(_ kind: QuestionKind) -> some View {
        switch kind {
        case .note:
            Text(row.label).font(.body)
        case .calculate:
            Text(row.label).font(.subheadline)
            Text(row.text.isEmpty ? "—" : row.text).font(.headline)
        case .text, .integer, .decimal, .date:
            Text(label).font(.subheadline)
            TextField(label, text: Binding(get: { row.text }, set: { v in Task { await model.type(row.path, v) } }))
                .keyboardType(kind == .integer ? .numberPad : kind == .decimal ? .decimalPad : .default)
                .frame(minHeight: 48)
        case .selectOne, .selectMultiple:
            Text(label).font(.headline)
            ForEach(row.choices, id: \.id) { c in
                Button((c.selected ? "✓ " : "") + c.label) {
                    Task { if kind == .selectOne { await model.pick(row.path, c.id) } else { await model.toggle(row.path, c.id) } }
                }
                .buttonStyle(.bordered)
                .tint(c.selected ? .accentColor : .secondary)
                .frame(maxWidth: .infinity, minHeight: 48)
            }
        case .geopoint:
            Text(label).font(.headline)
            if !row.text.isEmpty { Text(row.text) }
            Button(row.fix == nil ? s.captureLocation : s.recaptureLocation) {
                if let fix = location.fix { Task { await model.location(row.path, fix) } }
            }
            .buttonStyle(.bordered).frame(minHeight: 48)
        case .image:
            Text(label).font(.headline)
            if let p = row.photo, let image = UIImage(contentsOfFile: p.thumbnailPath) {
                Image(uiImage: image).resizable().scaledToFit().frame(width: 120, height: 120).accessibilityLabel(p.watermark)
            }
            Button(row.photo == nil ? s.takeFormPhoto : s.retakeFormPhoto) { cameraFor = row.path }
                .buttonStyle(.bordered).frame(minHeight: 48)
        }
    }
}
