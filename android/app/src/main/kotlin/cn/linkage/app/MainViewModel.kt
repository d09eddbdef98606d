package cn.linkage.app

import android.app.Application
import androidx.compose.runtime.mutableStateListOf
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import cn.linkage.core.FieldApp
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
import java.io.File
import java.util.Locale

/** Where the user is. The back stack lives in the view model, so it survives rotation. */
sealed interface Route {
    data object Home : Route
    data object Inbox : Route
    data class Household(val id: String) : Route
    data class Visit(val householdId: String, val issueId: String? = null) : Route
    data class Report(val householdId: String?) : Route
    data class Issue(val id: String) : Route
    data class Directive(val id: String) : Route
}

/**
 * Holds the core (one `FieldApp` per process), the presenters of the open screens and the back stack.
 * No rules and no state of its own beyond navigation: the presenters in :shell own the screen state.
 */
class MainViewModel(application: Application) : AndroidViewModel(application) {
    private val ready = MutableStateFlow<ShellContext?>(null)
    val context: StateFlow<ShellContext?> = ready.asStateFlow()

    private val opening = MutableStateFlow<UiError?>(null)
    val openError: StateFlow<UiError?> = opening.asStateFlow()

    lateinit var session: SessionPresenter
        private set
    lateinit var syncBar: SyncBarPresenter
        private set

    val backStack = mutableStateListOf<Route>(Route.Home)
    private val presenters = mutableMapOf<Route, Any>()

    init {
        viewModelScope.launch {
            try {
                val app = withContext(Dispatchers.IO) {
                    // The database lives in the app's private files dir.
                    // TODO(security): wrap with SQLCipher and keep its key in the Android Keystore
                    //  (decision pending in docs/adr; the core opens plain SQLite today).
                    FieldApp.open(File(application.filesDir, "linkage.db").path)
                }
                val ctx = ShellContext(app, Lang.fromTag(Locale.getDefault().toLanguageTag()))
                session = SessionPresenter(ctx)
                syncBar = SyncBarPresenter(ctx)
                session.restore()
                syncBar.refresh()
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
    }

    /** Pops the top screen; returns false on the home screen (the activity then finishes). */
    fun back(): Boolean {
        if (backStack.size <= 1) return false
        presenters.remove(backStack.removeAt(backStack.lastIndex))
        return true
    }

    /** After any write: counts in the sync bar change. */
    fun changed() = launch { syncBar.refresh() }

    fun signOut() = launch {
        session.signOut()
        presenters.clear()
        backStack.clear()
        backStack.add(Route.Home)
    }
}
