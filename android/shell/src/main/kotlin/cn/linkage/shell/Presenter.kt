package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.EvidenceTarget
import cn.linkage.core.FieldAppInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import kotlin.coroutines.cancellation.CancellationException

/**
 * What every presenter needs: the core, the UI strings, the dispatcher for blocking core calls (every
 * `FieldApp` call except `connect`/`sync` does disk I/O: never on the main thread), a clock for "5 分钟前",
 * and the scope that outlives screens (Android: the application's; drafts are saved and open screens
 * reloaded in it). One context per `FieldApp`: it registers the [ChangeBus] as the core's change observer.
 */
class ShellContext(
    val app: FieldAppInterface,
    val lang: Lang = Lang.ZH_CN,
    val io: CoroutineDispatcher = Dispatchers.IO,
    val clock: () -> Long = System::currentTimeMillis,
    val scope: CoroutineScope = CoroutineScope(SupervisorJob() + io),
    /** Open screens reload themselves on the core's change notifications (off only in tests that switch users). */
    val liveRefresh: Boolean = true,
) {
    val strings = Strings(lang)
    val format = Format(strings)

    /** Fans the core's change notifications out to the open screens. */
    val changes = ChangeBus(scope)

    init {
        // The core labels its records (state, category, verdict, ...) in the same language as the shell.
        app.setLocale(lang.tag)
        app.observeChanges(changes)
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

    private val subscriptions = mutableListOf<AutoCloseable>()

    /**
     * Re-runs [reload] whenever the core reports a change in one of [topics] (after a local write anywhere in
     * the app, after every pulled page): the screen refreshes itself. Stopped by [close].
     */
    protected fun refreshOn(vararg topics: ChangeTopic, reload: suspend () -> Unit) {
        if (!ctx.liveRefresh) return
        synchronized(subscriptions) { subscriptions += ctx.changes.subscribe(topics.toSet(), reload) }
    }

    /** The screen is gone: no more refreshes. */
    open fun close() = synchronized(subscriptions) {
        subscriptions.forEach { it.close() }
        subscriptions.clear()
    }

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

    /** Runs a suspending core call (on the core's own runtime: network, photo downloads). */
    protected suspend fun <T> coreAsync(call: suspend FieldAppInterface.() -> T): Outcome<T> =
        try {
            Outcome.Ok(app.call())
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            Outcome.Failed(e.toUiError(s))
        }

    /**
     * The photos of a record with their thumbnails: those not on the phone yet (a colleague's) are fetched by
     * the core (its cache, else the server, hash-checked); one that cannot be had says why instead.
     */
    protected suspend fun photosOf(target: EvidenceTarget): List<PhotoView> {
        val listed = when (val r = core { recordPhotos(target) }) {
            is Outcome.Ok -> r.value
            is Outcome.Failed -> return listOf(PhotoView("", null, false, r.error.message))
        }
        return listed.map { p ->
            val view = PhotoView(p.hash, p.thumbnailPath, p.takenHere)
            if (p.thumbnailPath != null) view
            else when (val r = coreAsync { evidenceThumbnail(p.hash) }) {
                is Outcome.Ok -> view.copy(thumbnailPath = r.value)
                is Outcome.Failed -> view.copy(unavailableText = r.error.message)
            }
        }
    }
}

/**
 * A photo of a record as a page shows it: the thumbnail file when the core has it, else [unavailableText]
 * (offline, not uploaded yet, damaged download) in place of the picture.
 */
data class PhotoView(val hash: String, val thumbnailPath: String?, val takenHere: Boolean, val unavailableText: String? = null)

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
