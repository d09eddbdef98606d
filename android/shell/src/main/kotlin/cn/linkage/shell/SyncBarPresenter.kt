package cn.linkage.shell

import cn.linkage.core.QuarantinedOperation
import cn.linkage.core.SyncObserver
import cn.linkage.core.SyncPhase
import cn.linkage.core.SyncState
import cn.linkage.core.SyncStateObserver
import cn.linkage.core.SyncStatus
import java.util.concurrent.atomic.AtomicBoolean

/**
 * An operation the server refused, in the core's words: what it was ([kind]), why ([reason]) and what to do
 * ([nextStep]); [detail] is the server's technical text for "详情". It stays listed until the data is fixed.
 */
data class QuarantineRow(val opId: String, val kind: String, val reason: String, val nextStep: String, val detail: String, val whenText: String)

data class SyncBarState(
    val pending: Long = 0,
    val quarantined: Long = 0,
    /** "待同步 3 条" or "已全部同步". */
    val pendingText: String = "",
    /** "上次同步：5 分钟前", "尚未同步" or "上次同步失败：…". */
    val lastSyncText: String = "",
    val lastSyncFailed: Boolean = false,
    /** What to do about the last failure, in the core's words. */
    val lastSyncNextStep: String? = null,
    val running: Boolean = false,
    val phase: SyncPhase? = null,
    /** "上传更改 3/10" while a phase runs. */
    val progressText: String? = null,
    /** 0..1, or `null` for an indeterminate bar. */
    val progress: Float? = null,
    val quarantinedText: String? = null,
    val quarantinedItems: List<QuarantineRow> = emptyList(),
    val error: UiError? = null,
    /** The core's sync state and its one-line headline ("已全部同步", "离线（5 分钟前起）：…"). */
    val syncState: SyncState? = null,
    val headline: String = "",
    /** The offline chip every screen shows ("离线"), `null` when online. */
    val offlineChip: String? = null,
)

/**
 * The sync bar: pending count, last sync, progress and the quarantined operations. [observer] is handed to
 * `FieldApp.sync`; the core calls it from a background thread, and the state flow is thread-safe.
 */
class SyncBarPresenter(ctx: ShellContext) : Presenter<SyncBarState>(SyncBarState(), ctx) {
    private val inFlight = AtomicBoolean(false)

    val observer: SyncObserver = object : SyncObserver {
        override fun onProgress(phase: SyncPhase, done: ULong, total: ULong) {
            update {
                it.copy(
                    running = true,
                    phase = phase,
                    progressText = s.progress(phase, done, total),
                    progress = if (total == 0uL) null else (done.toDouble() / total.toDouble()).toFloat().coerceIn(0f, 1f),
                )
            }
        }
    }

    /**
     * The core's sync state as it changes (the core decides when to sync; the bar only shows it). Called from
     * core threads; the state flow is thread-safe.
     */
    val stateObserver: SyncStateObserver = object : SyncStateObserver {
        override fun onSyncState(status: SyncStatus) = update { it.show(status) }
    }

    /** Follows the core's sync state from now on (the current status arrives at once). Once per app. */
    suspend fun attach() {
        core { observeSyncState(stateObserver) }.getOr { e -> update { it.copy(error = e) } }
    }

    /** Re-reads the status ("上次同步：5 分钟前" moves with the clock: call it each minute while shown). */
    suspend fun tick() {
        val status = core { syncStatus() }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { it.show(status) }
    }

    private fun SyncBarState.show(status: SyncStatus): SyncBarState {
        val syncing = status.state as? SyncState.Syncing
        return copy(
            syncState = status.state,
            headline = status.headline,
            offlineChip = status.offlineChip,
            lastSyncText = status.lastSyncedText,
            lastSyncFailed = status.state is SyncState.Offline || status.state is SyncState.Blocked,
            pending = status.pending.toLong(),
            quarantined = status.quarantined.toLong(),
            pendingText = if (status.pending == 0uL) s.allSynced else s.pending(status.pending.toLong()),
            running = syncing != null,
            phase = syncing?.phase,
            progressText = if (syncing != null) status.headline else null,
            progress = status.progress,
        )
    }

    /** Reloads the counts (after every write a screen makes, and when the app comes to the foreground). */
    suspend fun refresh() {
        val status = core { outboxStatus() }.getOr { e -> update { it.copy(error = e) } } ?: return
        val items = core { quarantinedOperations() }.getOr { e -> update { it.copy(error = e) } } ?: return
        val now = ctx.clock()
        update {
            it.copy(
                pending = status.pending.toLong(),
                quarantined = status.quarantined.toLong(),
                pendingText = if (status.pending == 0uL) s.allSynced else s.pending(status.pending.toLong()),
                lastSyncText = when {
                    status.lastErrorMessage != null -> s.lastSyncFailed(status.lastErrorMessage!!.message)
                    status.lastSyncAtMs != null -> s.lastSync(fmt.ago(status.lastSyncAtMs!!, now))
                    else -> s.neverSynced
                },
                lastSyncFailed = status.lastErrorMessage != null,
                lastSyncNextStep = status.lastErrorMessage?.nextStep,
                quarantinedText = if (status.quarantined == 0uL) null else s.quarantined(status.quarantined.toLong()),
                quarantinedItems = items.map { q -> q.toRow(now) },
            )
        }
    }

    /** Syncs now. Errors (offline, sign in again, wiped) land in `error`; the outbox keeps everything. */
    suspend fun sync() {
        if (!inFlight.compareAndSet(false, true)) return // one sync at a time (the core would queue a second)
        try {
            update { it.copy(running = true, phase = null, progress = null, progressText = s.syncing, error = null) }
            val error = try {
                app.sync(observer) // suspend, on the core's own runtime
                null
            } catch (e: Exception) {
                e.toUiError(s) // rethrows cancellation
            }
            update { it.copy(running = false, phase = null, progress = null, progressText = null, error = error) }
        } finally {
            inFlight.set(false)
        }
        refresh()
    }

    fun dismissError() = update { it.copy(error = null) }

    private fun QuarantinedOperation.toRow(now: Long) =
        QuarantineRow(opId, kindLabel, reasonLabel, nextStep, message, fmt.ago(createdAtMs, now))
}
