package cn.linkage.shell

import cn.linkage.core.FieldAppInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import kotlin.coroutines.cancellation.CancellationException

/**
 * What every presenter needs: the core, the UI strings, the dispatcher for blocking core calls (every
 * `FieldApp` call except `connect`/`sync` does disk I/O: never on the main thread) and a clock for "5 分钟前".
 */
class ShellContext(
    val app: FieldAppInterface,
    val lang: Lang = Lang.ZH_CN,
    val io: CoroutineDispatcher = Dispatchers.IO,
    val clock: () -> Long = System::currentTimeMillis,
) {
    val strings = Strings(lang)
    val format = Format(strings)

    init {
        // The core labels its records (state, category, verdict, ...) in the same language as the shell.
        app.setLocale(lang.tag)
    }
}

/** A loadable screen: the last data stays visible while reloading or after an error. */
data class Loadable<out T>(
    val loading: Boolean = false,
    val data: T? = null,
    val error: UiError? = null,
)

/**
 * Base of the screen state holders. The UI observes [state] (an immutable value) and calls the presenter's
 * suspend functions from its scope (Android `viewModelScope` / `rememberCoroutineScope`, tests `runBlocking`).
 */
abstract class Presenter<S>(initial: S, protected val ctx: ShellContext) {
    private val mutable = MutableStateFlow(initial)
    val state: StateFlow<S> = mutable.asStateFlow()

    protected val app get() = ctx.app
    protected val s get() = ctx.strings
    protected val fmt get() = ctx.format

    protected fun update(change: (S) -> S) = mutable.update(change)

    /** Runs a blocking core call on the I/O dispatcher; failures come back as a [UiError]. */
    protected suspend fun <T> core(call: FieldAppInterface.() -> T): Outcome<T> = withContext(ctx.io) {
        try {
            Outcome.Ok(app.call())
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            Outcome.Failed(e.toUiError(s))
        }
    }
}

/** The result of one core call as presenters see it. */
sealed interface Outcome<out T> {
    data class Ok<T>(val value: T) : Outcome<T>
    data class Failed(val error: UiError) : Outcome<Nothing>
}

/** The value, or `null` after handing the error to [onError]. */
inline fun <T> Outcome<T>.getOr(onError: (UiError) -> Unit): T? = when (this) {
    is Outcome.Ok -> value
    is Outcome.Failed -> { onError(error); null }
}
