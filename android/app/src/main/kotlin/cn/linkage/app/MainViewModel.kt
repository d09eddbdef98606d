package cn.linkage.app

import android.app.Application
import androidx.compose.runtime.mutableStateListOf
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import cn.linkage.core.IssueActionKind
import cn.linkage.core.OverviewFilter
import cn.linkage.shell.DraftTarget
import cn.linkage.shell.Lang
import cn.linkage.shell.SessionPresenter
import cn.linkage.shell.ShellContext
import cn.linkage.shell.SyncBarPresenter
import cn.linkage.shell.UiError
import cn.linkage.shell.Strings
import cn.linkage.shell.toUiError
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.util.Locale

/**
 * Where the user is. The back stack lives in the view model (rotation) and in its SavedStateHandle (process
 * death): after Android kills the app in the background, the user comes back to the same form, whose draft
 * the core kept.
 */
sealed interface Route {
    data object Home : Route
    data object Inbox : Route
    data class Household(val id: String) : Route
    data class Visit(val householdId: String, val issueId: String? = null) : Route
    data class Report(val householdId: String?, val nodeId: String? = null) : Route
    data class Issue(val id: String) : Route
    data class Directive(val id: String) : Route
    /** The directive composer (下达指令). */
    data object Composer : Route
    /** "继续填写": the user's drafts. */
    data object Drafts : Route
    /** The draft form of an issue action whose `ActionSpec.draft` is set (办结, 回访). */
    data class ActionDraft(val issueId: String, val action: IssueActionKind) : Route
    /** A task directive's completion report (任务完成情况), a draft form. */
    data class TaskCompletion(val directiveId: String) : Route
    /** A draft form continued from "继续填写", by the draft's id. */
    data class DraftForm(val draftId: String) : Route
    /** 民生台账: household search in my scope. */
    data object Households : Route
    /** 更正户信息: corrections to one household. */
    data class HouseholdEdit(val id: String) : Route
    /** 设置: text size, language, server, version, background-sync guide, sign-out. */
    data object Settings : Route
    /** The overview of every open issue (县级总览), under a node and filter (a dashboard figure's list). */
    data class Overview(val nodeId: String? = null, val filter: OverviewFilter = OverviewFilter.OPEN) : Route
    /** The staff dashboard (工作台). */
    data object Dashboard : Route
    /** The households due a visit under a node (behind 走访覆盖率 / 未走访户). */
    data class DueHouseholds(val nodeId: String?) : Route
    /** The child nodes silent on current directives (逾期未签收). */
    data object SilentNodes : Route
    /** 问卷与排查表: the forms this user may fill, from the home or for a household / a saved visit. */
    data class Forms(val householdId: String? = null, val visitId: String? = null) : Route
    /** A form being filled: a new or resumed draft of [formId], or the draft [draftId] (继续填写). */
    data class Form(val formId: String? = null, val draftId: String? = null, val householdId: String? = null, val visitId: String? = null) : Route

    /** One line per route for the saved state ("visit\th1\t"). */
    fun encode(): String = when (this) {
        Home -> "home"
        Inbox -> "inbox"
        Drafts -> "drafts"
        Composer -> "composer"
        is Household -> "household\t$id"
        is Visit -> "visit\t$householdId\t${issueId.orEmpty()}"
        is Report -> "report\t${householdId.orEmpty()}\t${nodeId.orEmpty()}"
        is Issue -> "issue\t$id"
        is Directive -> "directive\t$id"
        is ActionDraft -> "action-draft\t$issueId\t${action.name}"
        is TaskCompletion -> "task-completion\t$directiveId"
        is DraftForm -> "draft\t$draftId"
        Households -> "households"
        is HouseholdEdit -> "household-edit\t$id"
        Settings -> "settings"
        is Overview -> "overview\t${nodeId.orEmpty()}\t${filter.name}"
        Dashboard -> "dashboard"
        is DueHouseholds -> "due-households\t${nodeId.orEmpty()}"
        SilentNodes -> "silent-nodes"
        is Forms -> "forms\t${householdId.orEmpty()}\t${visitId.orEmpty()}"
        is Form -> "form\t${formId.orEmpty()}\t${draftId.orEmpty()}\t${householdId.orEmpty()}\t${visitId.orEmpty()}"
    }

    companion object {
        fun decode(line: String): Route? {
            val p = line.split('\t')
            fun arg(i: Int) = p.getOrNull(i)?.takeIf { it.isNotEmpty() }
            return when (p[0]) {
                "home" -> Home
                "inbox" -> Inbox
                "household" -> arg(1)?.let(::Household)
                "visit" -> arg(1)?.let { Visit(it, arg(2)) }
                "report" -> Report(arg(1), arg(2))
                "issue" -> arg(1)?.let(::Issue)
                "directive" -> arg(1)?.let(::Directive)
                "drafts" -> Drafts
                "households" -> Households
                "household-edit" -> arg(1)?.let(::HouseholdEdit)
                "settings" -> Settings
                "composer" -> Composer
                "action-draft" -> arg(1)?.let { id ->
                    IssueActionKind.entries.firstOrNull { it.name == arg(2) }?.let { ActionDraft(id, it) }
                }
                "task-completion" -> arg(1)?.let(::TaskCompletion)
                "draft" -> arg(1)?.let(::DraftForm)
                "overview" -> Overview(arg(1), OverviewFilter.entries.firstOrNull { it.name == arg(2) } ?: OverviewFilter.OPEN)
                "dashboard" -> Dashboard
                "forms" -> Forms(arg(1), arg(2))
                "form" -> if (arg(1) == null && arg(2) == null) null else Form(arg(1), arg(2), arg(3), arg(4))
                "due-households" -> DueHouseholds(arg(1))
                "silent-nodes" -> SilentNodes
                else -> null
            }
        }
    }
}

/** The screen that continues a draft from "继续填写". */
fun DraftTarget.route(): Route = when (this) {
    is DraftTarget.Visit -> Route.Visit(householdId, issueId)
    is DraftTarget.Report -> Route.Report(householdId, nodeId)
    is DraftTarget.Form -> Route.DraftForm(draftId)
}

/**
 * Holds the core (one `FieldApp` per process), the presenters of the open screens and the back stack.
 * No rules and no state of its own beyond navigation: the presenters in :shell own the screen state.
 */
class MainViewModel(application: Application, private val saved: SavedStateHandle) : AndroidViewModel(application) {
    private val ready = MutableStateFlow<ShellContext?>(null)
    val context: StateFlow<ShellContext?> = ready.asStateFlow()

    /** The app's version name (the settings page shows it beside the core's). */
    val appVersion: String = runCatching {
        @Suppress("DEPRECATION")
        application.packageManager.getPackageInfo(application.packageName, 0).versionName
    }.getOrNull().orEmpty()

    private val scale = MutableStateFlow(1.0f)
    /** 大字模式: the text scale chosen in 设置 (1.0, 1.3, 1.6), multiplied into the system font scale. */
    val textScale: StateFlow<Float> = scale.asStateFlow()

    /** Re-reads the chosen text scale from the core (after the settings screen changed it). */
    fun refreshTextScale() = launch {
        val app = ready.value?.app ?: return@launch
        scale.value = withContext(Dispatchers.IO) { runCatching { app.textScale() }.getOrDefault(scale.value) }
    }

    private val opening = MutableStateFlow<UiError?>(null)
    val openError: StateFlow<UiError?> = opening.asStateFlow()

    lateinit var session: SessionPresenter
        private set
    lateinit var syncBar: SyncBarPresenter
        private set

    val backStack = mutableStateListOf<Route>().apply {
        addAll(saved.get<ArrayList<String>>(ROUTES)?.mapNotNull(Route::decode).orEmpty().ifEmpty { listOf(Route.Home) })
    }
    private val presenters = mutableMapOf<Route, Any>()

    private fun saveRoutes() {
        saved[ROUTES] = ArrayList(backStack.map { it.encode() })
    }

    /**
     * The camera file being taken right now: the camera app may outlive our process, so the path is kept in
     * the saved state and the photo still reaches the open form's draft when the result comes back.
     */
    var pendingCapture: String?
        get() = saved[PENDING_CAPTURE]
        set(value) {
            saved[PENDING_CAPTURE] = value
        }

    init {
        viewModelScope.launch {
            try {
                // One core per process, shared with the lifecycle hooks and the WorkManager worker.
                val app = withContext(Dispatchers.IO) { Core.get(application) }
                // The language picked in 设置 (kept by the core), else the phone's; 大字模式's scale likewise.
                val chosen = withContext(Dispatchers.IO) { runCatching { app.chosenLanguage() }.getOrNull() }
                scale.value = withContext(Dispatchers.IO) { runCatching { app.textScale() }.getOrDefault(1.0f) }
                val ctx = ShellContext(app, Lang.fromTag(chosen ?: Locale.getDefault().toLanguageTag()))
                session = SessionPresenter(ctx)
                syncBar = SyncBarPresenter(ctx)
                session.restore()
                syncBar.refresh()
                syncBar.attach() // the offline chip and "上次同步" follow the core's sync state
                ready.value = ctx
            } catch (e: Exception) {
                // The core's words for its error (or the shell's for anything else); never an exception text.
                opening.value = e.toUiError(Strings(Lang.fromTag(Locale.getDefault().toLanguageTag())))
            }
        }
    }

    /** Runs a presenter call in the view model's scope (continues across rotation). */
    fun launch(block: suspend () -> Unit) {
        viewModelScope.launch { block() }
    }

    /** The presenter of a route, created once and kept while the route is on the back stack. */
    @Suppress("UNCHECKED_CAST")
    fun <P : Any> presenter(route: Route, make: (ShellContext) -> P): P =
        presenters.getOrPut(route) { make(ready.value ?: error("core not open yet")) } as P

    fun open(route: Route) {
        backStack.add(route)
        saveRoutes()
    }

    /** Pops the top screen; returns false on the home screen (the activity then finishes). */
    fun back(): Boolean {
        if (backStack.size <= 1) return false
        (presenters.remove(backStack.removeAt(backStack.lastIndex)) as? cn.linkage.shell.Presenter<*>)?.close()
        saveRoutes()
        return true
    }

    /** Back in front: "5 分钟前" moved on (the counts themselves follow the core's sync state). */
    fun changed() = launch { syncBar.tick() }

    fun signOut() = launch {
        session.signOut()
        presenters.values.forEach { (it as? cn.linkage.shell.Presenter<*>)?.close() }
        presenters.clear()
        backStack.clear()
        backStack.add(Route.Home)
        saveRoutes()
    }

    private companion object {
        const val ROUTES = "routes"
        const val PENDING_CAPTURE = "pendingCapture"
    }
}
