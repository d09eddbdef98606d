package cn.linkage.app

import androidx.activity.compose.BackHandler
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.State
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.ui.DraftFormScreen
import cn.linkage.app.ui.DraftsEntry
import cn.linkage.app.ui.DraftsScreen
import cn.linkage.app.ui.FormCallbacks
import cn.linkage.app.ui.FormListScreen
import cn.linkage.app.ui.FormScreen
import cn.linkage.app.ui.HouseholdEditScreen
import cn.linkage.app.ui.HouseholdScreen
import cn.linkage.app.ui.HouseholdSearchScreen
import cn.linkage.app.ui.SettingsScreen
import cn.linkage.app.ui.IssueScreen
import cn.linkage.app.ui.LiaisonHomeScreen
import cn.linkage.app.ui.LocalImages
import cn.linkage.app.ui.OpeningScreen
import cn.linkage.app.ui.ReportScreen
import cn.linkage.app.ui.SignInScreen
import cn.linkage.app.ui.SignedInFrame
import cn.linkage.app.ui.SyncBar
import cn.linkage.app.ui.TodayScreen
import cn.linkage.app.ui.TriageScreen
import cn.linkage.app.ui.BranchHomeScreen
import cn.linkage.app.ui.VisitScreen
import cn.linkage.app.ui.DashboardScreen
import cn.linkage.app.ui.DueHouseholdsScreen
import cn.linkage.app.ui.OverviewScreen
import cn.linkage.app.ui.SilentNodesScreen
import cn.linkage.core.FigureList
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueQuery
import cn.linkage.shell.FormListPresenter
import cn.linkage.shell.FormPresenter
import cn.linkage.shell.fillForm
import cn.linkage.shell.formsTitle
import cn.linkage.shell.DashboardPresenter
import cn.linkage.shell.DueHouseholdsPresenter
import cn.linkage.shell.OverviewPresenter
import cn.linkage.shell.Presenter
import cn.linkage.shell.ShellContext
import cn.linkage.shell.SilentNodesPresenter
import cn.linkage.shell.DraftFormPresenter
import cn.linkage.shell.DraftListPresenter
import cn.linkage.shell.actionDraftForm
import cn.linkage.shell.resumedDraftForm
import cn.linkage.shell.taskCompletionForm
import cn.linkage.shell.Home
import cn.linkage.shell.HouseholdEditPresenter
import cn.linkage.shell.HouseholdPresenter
import cn.linkage.shell.HouseholdSearchPresenter
import cn.linkage.shell.SettingsPresenter
import cn.linkage.shell.IssuePresenter
import cn.linkage.shell.LiaisonHomePresenter
import cn.linkage.shell.ReportIssuePresenter
import cn.linkage.shell.Strings
import cn.linkage.shell.SyncBarPresenter
import cn.linkage.shell.TodayPresenter
import cn.linkage.shell.TriagePresenter
import cn.linkage.shell.BranchHomePresenter
import cn.linkage.shell.VisitFormPresenter
import kotlinx.coroutines.delay

// The route layer (nowinandroid's *Route functions): per route, the presenter from the view model, its
// state collected with the lifecycle, the platform pieces (live location, camera, back), and the stateless
// screen from src/screens/ with callbacks that call the presenter. No layout here, and no rule.

/**
 * How every route below starts: the route's presenter from the view model (made by [make] once, kept while the
 * route is on the back stack), its state collected with the lifecycle (read it with `val st by state`, so
 * callbacks see the latest), and [start] — load the list, open the draft — run when the presenter is first shown.
 */
@Composable
internal fun <S, P : Presenter<S>> MainViewModel.shown(route: Route, start: suspend P.() -> Unit, make: (ShellContext) -> P): Pair<P, State<S>> {
    val p = presenter(route, make)
    val state = p.state.collectAsStateWithLifecycle()
    LaunchedEffect(p) { p.start() }
    return p to state
}

/** Opens the core, then shows sign-in or the signed-in user's screens. */
@Composable
fun LinkageRoot(vm: MainViewModel, onExit: () -> Unit) {
    CompositionLocalProvider(LocalImages provides AndroidImages) {
        val ctx by vm.context.collectAsStateWithLifecycle()
        val openError by vm.openError.collectAsStateWithLifecycle()
        val c = ctx
        if (c == null) {
            OpeningScreen(openError?.message)
            return@CompositionLocalProvider
        }
        val s = c.strings
        val signIn by vm.session.state.collectAsStateWithLifecycle()
        val session = signIn.session
        if (session == null) {
            val p = vm.session
            SignInScreen(signIn, s, p::setServerUrl, p::setUserId, p::setPassword,
                onConnect = { vm.launch { p.connect(); vm.changed() } }, onNewPassword = p::setNewPassword)
            return@CompositionLocalProvider
        }
        BackHandler { if (!vm.back()) onExit() }
        val route = vm.backStack.last()
        SignedInFrame(
            s, session.title, session.subtitle,
            canGoBack = vm.backStack.size > 1,
            showInbox = route == Route.Home && session.capabilities.directiveInbox,
            onBack = { vm.back() },
            onInbox = { vm.open(Route.Inbox) },
            onSignOut = { vm.signOut() },
            onHouseholds = if (route == Route.Home) ({ vm.open(Route.Households) }) else null,
            onSettings = { vm.open(Route.Settings) },
            syncBar = {
                SyncBarRoute(vm.syncBar, s, vm)
                if (route == Route.Home) DraftsEntryRoute(vm, s)
                // Field roles fill questionnaires and checklists (问卷, 排查表) from their home.
                if (route == Route.Home && session.home != Home.TRIAGE) DraftsEntry(s.formsTitle, onOpen = { vm.open(Route.Forms()) })
            },
        ) {
            when (route) {
                Route.Home -> when (session.home) {
                    Home.TODAY -> TodayRoute(vm, s)
                    Home.LIAISON -> LiaisonHomeRoute(vm, s)
                    Home.TRIAGE -> TriageRoute(vm, s)
                    Home.BRANCH -> BranchHomeRoute(vm, s)
                }
                Route.Inbox -> InboxRoute(vm, s)
                is Route.Household -> HouseholdRoute(vm, s, route.id)
                is Route.Visit -> VisitRoute(vm, s, route)
                is Route.Report -> ReportRoute(vm, s, route)
                is Route.Issue -> IssueRoute(vm, s, route.id)
                is Route.Directive -> DirectiveRoute(vm, s, route.id)
                Route.Composer -> ComposerRoute(vm, s)
                Route.Drafts -> DraftsRoute(vm, s)
                Route.Households -> HouseholdSearchRoute(vm, s)
                is Route.HouseholdEdit -> HouseholdEditRoute(vm, s, route.id)
                Route.Settings -> SettingsRoute(vm, s)
                is Route.ActionDraft, is Route.TaskCompletion, is Route.DraftForm -> DraftFormRoute(vm, s, route)
                is Route.Overview -> OverviewRoute(vm, s, route)
                Route.Dashboard -> DashboardRoute(vm, s)
                is Route.DueHouseholds -> DueHouseholdsRoute(vm, s, route.nodeId)
                Route.SilentNodes -> SilentNodesRoute(vm, s)
                is Route.Forms -> FormsRoute(vm, s, route)
                is Route.Form -> FormRoute(vm, s, route)
            }
        }
    }
}

@Composable
private fun SyncBarRoute(p: SyncBarPresenter, s: Strings, vm: MainViewModel) {
    val st by p.state.collectAsStateWithLifecycle()
    // "上次同步：5 分钟前" moves on while the screen stays open.
    LaunchedEffect(p) {
        while (true) {
            delay(60_000)
            p.tick()
        }
    }
    SyncBar(st, s, onSync = { vm.launch { p.sync() } }, onSignIn = { vm.signOut() })
}

@Composable
private fun TodayRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Home, { load() }) { TodayPresenter(it) }
    val st by state
    LiveLocation { fix -> vm.launch { p.onLocation(fix) } }
    TodayScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onOpenDirective = { vm.open(Route.Directive(it)) },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onOpenHousehold = { vm.open(Route.Household(it)) },
        // 工作台: the branch's coverage and households due (the same DashboardPresenter as TodayPresenter.dashboard()).
        onDashboard = { vm.open(Route.Dashboard) },
    )
}

@Composable
private fun LiaisonHomeRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Home, { load() }) { LiaisonHomePresenter(it) }
    val st by state
    LiaisonHomeScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onOpenDirective = { vm.open(Route.Directive(it)) },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onOpenHousehold = { vm.open(Route.Household(it)) },
    )
}

@Composable
private fun TriageRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Home, { load() }) { TriagePresenter(it) }
    val st by state
    TriageScreen(
        st, s,
        onFilter = { f -> vm.launch { p.setFilter(f) } },
        onRetry = { vm.launch { p.load() } },
        onMore = { vm.launch { p.loadMore() } },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onOverview = { vm.open(Route.Overview()) },
        onDashboard = { vm.open(Route.Dashboard) },
    )
}

@Composable
private fun BranchHomeRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Home, { load() }) { BranchHomePresenter(it) }
    val st by state
    BranchHomeScreen(
        st, s,
        onFilter = { f -> vm.launch { p.setFilter(f) } },
        onRetry = { vm.launch { p.load() } },
        onMore = { vm.launch { p.loadMore() } },
        onOpenIssue = { vm.open(Route.Issue(it)) },
    )
}

@Composable
private fun OverviewRoute(vm: MainViewModel, s: Strings, route: Route.Overview) {
    val (p, state) = vm.shown(route, { load() }) { OverviewPresenter(it, IssueQuery(route.nodeId, route.filter)) }
    val st by state
    OverviewScreen(
        st, s,
        onFilter = { f -> vm.launch { p.setFilter(f) } },
        onNode = { n -> vm.launch { p.setNode(n) } },
        onRetry = { vm.launch { p.load() } },
        onMore = { vm.launch { p.loadMore() } },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onOpenDirective = { vm.open(Route.Directive(it)) },
    )
}

@Composable
private fun DashboardRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Dashboard, { load() }) { DashboardPresenter(it) }
    val st by state
    DashboardScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        // The list the core names behind the figure.
        onOpenList = { list ->
            vm.open(
                when (list) {
                    is FigureList.Issues -> Route.Overview(list.query.nodeId, list.query.filter)
                    is FigureList.OverdueHouseholds -> Route.DueHouseholds(list.nodeId)
                    FigureList.SilentNodes -> Route.SilentNodes
                },
            )
        },
    )
}

@Composable
private fun DueHouseholdsRoute(vm: MainViewModel, s: Strings, nodeId: String?) {
    val (p, state) = vm.shown(Route.DueHouseholds(nodeId), { load() }) { DueHouseholdsPresenter(it, nodeId) }
    val st by state
    DueHouseholdsScreen(st, s, onRetry = { vm.launch { p.load() } }, onMore = { vm.launch { p.loadMore() } }, onOpenHousehold = { vm.open(Route.Household(it)) })
}

@Composable
private fun SilentNodesRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.SilentNodes, { load() }) { SilentNodesPresenter(it) }
    val st by state
    SilentNodesScreen(st, s, onRetry = { vm.launch { p.load() } }, onOpenDirective = { vm.open(Route.Directive(it)) })
}

@Composable
private fun HouseholdRoute(vm: MainViewModel, s: Strings, householdId: String) {
    val (p, state) = vm.shown(Route.Household(householdId), { load() }) { HouseholdPresenter(it, householdId) }
    val st by state
    HouseholdScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onNewVisit = { vm.open(Route.Visit(it)) },
        onReportIssue = { vm.open(Route.Report(it)) },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onOpenPhoto = { hash -> vm.launch { p.openPhoto(hash) } },
        onClosePhoto = p::closePhoto,
        onCorrect = { vm.open(Route.HouseholdEdit(it)) },
        onMoreVisits = { vm.launch { p.moreVisits() } },
        onMoreIssues = { vm.launch { p.moreIssues() } },
    )
}

@Composable
private fun HouseholdSearchRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Households, { load() }) { HouseholdSearchPresenter(it) }
    val st by state
    HouseholdSearchScreen(
        st, s,
        onName = p::setName,
        onAddress = p::setAddress,
        onSearch = { vm.launch { p.search() } },
        onTag = { vm.launch { p.pickTag(it) } },
        onRisk = { vm.launch { p.pickRisk(it) } },
        onMore = { vm.launch { p.loadMore() } },
        onOpen = { vm.open(Route.Household(it)) },
    )
}

@Composable
private fun HouseholdEditRoute(vm: MainViewModel, s: Strings, householdId: String) {
    val (p, state) = vm.shown(Route.HouseholdEdit(householdId), { load() }) { HouseholdEditPresenter(it, householdId) }
    val st by state
    LiveLocation(onFix = p::onFix, onProblem = {})
    HouseholdEditScreen(
        st, s,
        onPhone = p::setPhone,
        onFewer = p::fewerMembers,
        onMore = p::moreMembers,
        onToggleTag = p::toggleTag,
        onNewTag = p::setNewTag,
        onAddTag = p::addNewTag,
        onSave = { vm.launch { if (p.save()) vm.changed() } },
        onMarkHere = { vm.launch { if (p.markHere()) vm.changed() } },
    )
}

@Composable
private fun SettingsRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Settings, { load() }) { SettingsPresenter(it, vm.appVersion) }
    val st by state
    SettingsScreen(
        st, s,
        // The theme reads the core's text scale on the next recomposition (MainViewModel.textScale).
        onTextScale = { scale -> vm.launch { p.pickTextScale(scale); vm.refreshTextScale() } },
        onLanguage = { tag -> vm.launch { p.pickLanguage(tag) } },
        onOpenGuide = p::openGuide,
        onCloseGuide = p::closeGuide,
        onGuideBrand = p::pickGuideBrand,
        onSignOut = { vm.launch { p.askSignOut() } },
        onCancelSignOut = p::cancelSignOut,
        onConfirmSignOut = { vm.launch { if (p.confirmSignOut()) vm.signOut() } },
    )
}

@Composable
private fun VisitRoute(vm: MainViewModel, s: Strings, route: Route.Visit) {
    // Starts the core's draft, or resumes the one the user left (also after Android killed the app).
    val (p, state) = vm.shown(route, { open() }) { VisitFormPresenter(it, route.householdId, issueId = route.issueId) }
    val st by state
    if (st.result == null) {
        LiveLocation(onFix = { fix -> p.onFix(fix); vm.launch { p.previewVerdict() } }, onProblem = p::onLocationProblem)
        // A fix ages: the core's live verdict is refreshed every few seconds.
        LaunchedEffect(p) { while (true) { p.previewVerdict(); delay(5_000) } }
    }
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    VisitScreen(
        st, s,
        onKind = p::setKind,
        onNotes = p::setNotes,
        onTakePhoto = camera,
        onSave = { vm.launch { if (p.save() != null) vm.changed() } },
    )
    // A saved visit takes the questionnaires and checklists filled during it (问卷, 排查表).
    st.result?.let { r -> DraftsEntry(s.fillForm, onOpen = { vm.open(Route.Forms(route.householdId, r.visitId)) }) }
}

/** The forms this user may fill (for a household or a saved visit when given) and the unfinished ones. */
@Composable
private fun FormsRoute(vm: MainViewModel, s: Strings, route: Route.Forms) {
    val (p, state) = vm.shown(route, { load() }) { FormListPresenter(it, route.householdId, route.visitId) }
    val st by state
    FormListScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onStart = { formId -> vm.open(Route.Form(formId = formId, householdId = route.householdId, visitId = route.visitId)) },
        onResume = { draftId -> vm.open(Route.Form(draftId = draftId)) },
    )
}

/** The generic form screen: every answer goes to the core, which returns the page to draw. */
@Composable
private fun FormRoute(vm: MainViewModel, s: Strings, route: Route.Form) {
    val (p, state) = vm.shown(route, { open() }) { ctx ->
        FormPresenter(ctx) {
            if (route.draftId != null) formDraft(route.draftId) else startFormDraft(route.formId!!, route.householdId, null, route.visitId)
        }
    }
    val st by state
    var lastFix by remember { mutableStateOf<GpsFix?>(null) }
    LiveLocation { fix -> lastFix = fix }
    var photoFor by remember { mutableStateOf<String?>(null) }
    val camera = rememberCamera(vm) { file -> val path = photoFor; vm.launch { if (path != null) p.photo(path, file.path, lastFix); file.delete() } }
    FormScreen(
        st, s,
        FormCallbacks(
            onText = { path, text -> vm.launch { p.type(path, text) } },
            onPick = { path, id -> vm.launch { p.pick(path, id) } },
            onToggle = { path, id -> vm.launch { p.toggle(path, id) } },
            onLocation = { path -> lastFix?.let { fix -> vm.launch { p.location(path, fix) } } },
            onPhoto = { path -> photoFor = path; camera() },
            onAddInstance = { path -> vm.launch { p.addInstance(path) } },
            onRemoveInstance = { path -> vm.launch { p.removeInstance(path) } },
            onPage = { page -> vm.launch { p.goToPage(page) } },
            onSubmit = { vm.launch { if (p.submit() != null) vm.changed() } },
        ),
    )
}

@Composable
private fun ReportRoute(vm: MainViewModel, s: Strings, route: Route.Report) {
    val (p, state) = vm.shown(route, { open() }) { ReportIssuePresenter(it, route.householdId, route.nodeId) }
    val st by state
    if (st.reported == null && st.joined == null) LiveLocation(
        // The first fix places the draft: the core is asked for similar reports nearby (是其中一件吗？).
        onFix = { fix -> val first = st.fix == null; p.onFix(fix); if (first) vm.launch { p.checkDuplicates() } },
        onProblem = p::onLocationProblem,
    )
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    ReportScreen(
        st, s,
        onCategory = { c -> vm.launch { p.pickCategory(c) } },
        onUrgency = p::setUrgency,
        onTitle = p::setTitle,
        onDescription = p::setDescription,
        onOnSpotNote = p::setOnSpotNote,
        onTakePhoto = camera,
        onSubmit = { vm.launch { if (p.submit() != null) vm.changed() } },
        onSubmitResolvedOnSpot = { vm.launch { if (p.submitResolvedOnSpot() != null) vm.changed() } },
        onOpenIssue = { vm.open(Route.Issue(it)) },
        onJoin = { id -> vm.launch { if (p.joinExisting(id) != null) vm.changed() } },
    )
}

@Composable
private fun IssueRoute(vm: MainViewModel, s: Strings, issueId: String) {
    val (p, state) = vm.shown(Route.Issue(issueId), { load() }) { IssuePresenter(it, issueId) }
    val st by state
    IssueScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onOpenHousehold = { vm.open(Route.Household(it)) },
        onOpenPhoto = { hash -> vm.launch { p.openPhoto(hash) } },
        onClosePhoto = p::closePhoto,
        onAction = { kind, form -> vm.launch { if (p.perform(kind, form)) vm.changed() } },
        onOpenDraft = { kind -> vm.open(Route.ActionDraft(issueId, kind)) },
        onMergeSearch = { q -> vm.launch { p.searchMerge(q) } },
    )
}

/** The presenter of a draft-form route: started by the issue action, the task directive, or resumed by id. */
private fun draftForm(ctx: ShellContext, route: Route): DraftFormPresenter = when (route) {
    is Route.ActionDraft -> actionDraftForm(ctx, route.issueId, route.action)
    is Route.TaskCompletion -> taskCompletionForm(ctx, route.directiveId)
    is Route.DraftForm -> resumedDraftForm(ctx, route.draftId)
    else -> error("not a draft form: $route")
}

/** 办结, 回访, 任务完成情况: the core's draft, resumed after a restart; back keeps it unless nothing was entered. */
@Composable
private fun DraftFormRoute(vm: MainViewModel, s: Strings, route: Route) {
    val (p, state) = vm.shown(route, { open() }) { draftForm(it, route) }
    val st by state
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    // The live fix stamps the photos and, on a 回访 form, makes the verification an on-site return visit.
    LiveLocation { fix -> p.onFix(fix) }
    DraftFormScreen(
        st, s,
        onChoice = p::setChoice,
        onNotes = p::setNotes,
        onTakePhoto = camera,
        onSubmit = { vm.launch { if (p.submit() != null) { vm.changed(); vm.back() } } },
    )
}

@Composable
private fun DraftsRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Drafts, { load() }) { DraftListPresenter(it) }
    val st by state
    DraftsScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onOpen = { row -> vm.open(row.target.route()) },
        onDiscard = { id -> vm.launch { p.discard(id) } },
    )
}

/** "继续填写（N）" on every role's home (under the sync bar). */
@Composable
private fun DraftsEntryRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Drafts, { load() }) { DraftListPresenter(it) }
    val st by state
    DraftsEntry(st.entryText(s), onOpen = { vm.open(Route.Drafts) })
}
