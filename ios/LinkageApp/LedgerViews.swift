import LinkageKit
import SwiftUI

// 民生台账 search, household corrections and settings (mirrors android/app/src/screens/.../LedgerScreens.kt).

/// Household search in my scope: name, address, tag and risk; a page at a time from the core.
struct HouseholdSearchView: View {
    @StateObject var model: HouseholdSearchViewModel
    let ctx: ShellContext

    init(ctx: ShellContext) {
        _model = StateObject(wrappedValue: HouseholdSearchViewModel(ctx))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        List {
            Section {
                TextField(s.searchByName, text: $model.name).onSubmit { Task { await model.search() } }
                TextField(s.searchByAddress, text: $model.address).onSubmit { Task { await model.search() } }
                Button(s.search) { Task { await model.search() } }
                ScrollView(.horizontal) {
                    HStack {
                        ForEach(model.riskOptions) { o in
                            Button(o.label) { Task { await model.pickRisk(o.value) } }
                                .buttonStyle(.bordered).tint(model.risk == o.value ? .accentColor : .secondary)
                        }
                        ForEach(model.tagOptions) { o in
                            Button(o.label) { Task { await model.pickTag(o.value) } }
                                .buttonStyle(.bordered).tint(model.tag == o.value ? .accentColor : .secondary)
                        }
                    }
                }
            }
            ErrorBanner(error: model.error, s: s) { Task { await model.search() } }
            Section(header: Text(model.totalText)) {
                ForEach(model.items) { h in
                    NavigationLink(destination: HouseholdPage(ctx: ctx, householdId: h.id)) { HouseholdRowView(row: h) }
                }
                if model.nextOffset != nil { Button(s.more) { Task { await model.loadMore() } } }
            }
        }
        .navigationTitle(s.householdsTitle)
        .task { await model.load() }
    }
}

/// 更正户信息: new phone, members, tags, and "the house is here" from the live fix.
struct HouseholdEditView: View {
    @StateObject var model: HouseholdEditViewModel
    @StateObject private var location = LocationFeed()
    let ctx: ShellContext

    init(ctx: ShellContext, householdId: String) {
        _model = StateObject(wrappedValue: HouseholdEditViewModel(ctx, householdId: householdId))
        self.ctx = ctx
    }

    var body: some View {
        let s = ctx.strings
        Form {
            if let h = model.household {
                Text(h.headName).font(.title2)
                Text("\(h.groupName) · \(h.address)")
            }
            Section(footer: Text(model.currentPhoneText)) {
                TextField(s.newPhone, text: $model.phone).keyboardType(.phonePad)
            }
            Section(header: Text(s.membersLabel)) {
                HStack {
                    Button(s.fewer) { model.fewerMembers() }.buttonStyle(.bordered)
                    Text(s.members(model.members)).font(.title3)
                    Button(s.moreMembers) { model.moreMembers() }.buttonStyle(.bordered)
                }
            }
            Section(header: Text(s.tagsLabel)) {
                ForEach(model.tagOptions, id: \.self) { t in
                    Button { model.toggleTag(t) } label: {
                        HStack { Text(t); Spacer(); if model.tags.contains(t) { Image(systemName: "checkmark") } }
                    }
                }
                HStack {
                    TextField(s.newTag, text: $model.newTag)
                    Button(s.addTag) { model.addNewTag() }
                }
            }
            Button(s.saveCorrection) { Task { await model.save() } }.disabled(model.saving)
            Section {
                Text(model.pointText)
                Text(model.gps.text).font(.caption)
                if let warning = model.gps.mockWarning { Text(warning).foregroundColor(.red) }
                Text(s.houseIsHereHint).font(.caption)
                Button(s.houseIsHere) { Task { await model.markHere() } }.disabled(model.saving)
            }
            ErrorBanner(error: model.error, s: s)
            if let saved = model.savedText { Text(saved).foregroundColor(.green) }
        }
        .navigationTitle(s.correctionTitle)
        .task { await model.load() }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
        .onReceive(location.$fix.compactMap { $0 }) { model.onFix($0) }
    }
}

/// 设置: text size, language, server, version, background-sync guide, and sign-out behind the core's count of
/// unsent records.
struct SettingsView: View {
    @StateObject var model: SettingsViewModel
    @EnvironmentObject var app: AppModel
    let ctx: ShellContext
    let onSignedOut: () -> Void

    init(ctx: ShellContext, onSignedOut: @escaping () -> Void) {
        let version = Bundle.main.infoDictionary?["CFBundleShortVersionString"] as? String ?? ""
        _model = StateObject(wrappedValue: SettingsViewModel(ctx, shellVersion: version))
        self.ctx = ctx
        self.onSignedOut = onSignedOut
    }

    var body: some View {
        let s = ctx.strings
        Form {
            Section(header: Text(s.textSize)) {
                ForEach(model.textScales, id: \.scale) { c in
                    Button { Task { await model.pickTextScale(c.scale); app.refreshTextScale() } } label: {
                        HStack { Text(c.label); Spacer(); if c.selected { Image(systemName: "checkmark") } }
                    }
                }
            }
            Section(header: Text(s.language), footer: Text(s.languageAfterRestart)) {
                ForEach(model.languages, id: \.tag) { l in
                    Button { Task { await model.pickLanguage(l.tag) } } label: {
                        HStack { Text(l.label); Spacer(); if l.selected { Image(systemName: "checkmark") } }
                    }
                }
            }
            Section(header: Text(s.serverAddress)) {
                Text(model.serverText)
                Text(model.versionText).font(.caption)
            }
            Button(s.backgroundSync) { model.openGuide() }
            ErrorBanner(error: model.error, s: s)
            Button(s.signOut, role: .destructive) { Task { await model.askSignOut() } }
        }
        .navigationTitle(s.settingsTitle)
        .task { await model.load() }
        .alert(model.signOutCheck?.title ?? "", isPresented: Binding(get: { model.signOutCheck != nil }, set: { if !$0 { model.cancelSignOut() } })) {
            Button(model.signOutCheck?.confirmLabel ?? s.signOut, role: .destructive) {
                Task { if await model.confirmSignOut() { onSignedOut() } }
            }
            Button(s.cancel, role: .cancel) { model.cancelSignOut() }
        } message: {
            Text(model.signOutCheck?.message ?? "")
        }
        .sheet(isPresented: Binding(get: { model.guide != nil }, set: { if !$0 { model.closeGuide() } })) {
            if let g = model.guide {
                ScrollView {
                    VStack(alignment: .leading, spacing: 12) {
                        Text(g.title).font(.title2)
                        Text(g.intro)
                        Picker(s.backgroundSync, selection: Binding(get: { model.guideBrand }, set: { model.pickGuideBrand($0) })) {
                            ForEach(Array(g.brands.enumerated()), id: \.offset) { i, b in Text(b.brand).tag(i) }
                        }
                        .pickerStyle(.segmented)
                        if model.guideBrand < g.brands.count {
                            let b = g.brands[model.guideBrand]
                            VStack(alignment: .leading, spacing: 4) {
                                Text(b.brand).font(.headline)
                                ForEach(Array(b.steps.enumerated()), id: \.offset) { i, step in Text("\(i + 1)、\(step)") }
                            }
                        }
                        Text(g.check)
                        Button(s.back) { model.closeGuide() }
                    }
                    .padding()
                }
            }
        }
    }
}
