package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.Draft
import cn.linkage.core.DraftFields
import cn.linkage.core.FieldAppInterface
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueCategory
import cn.linkage.core.Satisfaction
import cn.linkage.core.SubmittedRecord
import cn.linkage.core.Urgency
import cn.linkage.core.VisitKind
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/**
 * A form's draft in the core (草稿): started (or resumed) on first use, saved after every edit, its photos
 * held by the core, submitted or discarded by the core. The form keeps no state a killed process could lose:
 * after a restart the same form resumes from [Draft]. Saves run in the context's scope, one at a time, each
 * writing the latest fields, so keystrokes never arrive out of order.
 */
class DraftSession(private val ctx: ShellContext, private val start: FieldAppInterface.() -> Draft) {
    private val lock = Mutex()
    @Volatile private var draft: Draft? = null
    @Volatile private var latest: DraftFields? = null
    @Volatile private var lastSave: Job? = null

    val id: String? get() = draft?.id

    /** Starts or resumes the draft (one core call the first time). */
    suspend fun open(): Draft = lock.withLock { openLocked() }

    private suspend fun openLocked(): Draft = draft ?: ctx.core { start() }.also { draft = it }

    /**
     * Saves [fields] in the background (the latest wins). A refused save (a text over its limit, the form's
     * subject gone) leaves the stored draft as it was; the next explicit call ([flush], [submit]) reports it.
     */
    fun save(fields: DraftFields) {
        latest = fields
        lastSave = ctx.scope.launch {
            try {
                lock.withLock { writeLatest() }
            } catch (e: kotlin.coroutines.cancellation.CancellationException) {
                throw e
            } catch (e: Exception) {
                // Reported by the next explicit call, which writes the same fields again.
            }
        }
    }

    private suspend fun writeLatest() {
        val fields = latest ?: return
        val d = openLocked()
        if (d.fields != fields) draft = ctx.core { updateDraft(d.id, fields) }
    }

    /** Waits until every edit so far is stored. */
    suspend fun flush(): Draft {
        lastSave?.join()
        return lock.withLock { writeLatest(); openLocked() }
    }

    suspend fun addPhoto(path: String, fix: GpsFix?): Draft = lock.withLock {
        writeLatest()
        val id = openLocked().id
        ctx.core { addDraftPhoto(id, path, fix) }.also { draft = it }
    }

    suspend fun removePhoto(hash: String): Draft = lock.withLock {
        val id = openLocked().id
        ctx.core { removeDraftPhoto(id, hash) }.also { draft = it }
    }

    suspend fun submit(): SubmittedRecord {
        flush()
        return lock.withLock {
            val id = openLocked().id
            ctx.core { submitDraft(id) }.also { draft = null; latest = null }
        }
    }

    suspend fun discard() {
        lastSave?.join()
        lock.withLock {
            val d = draft ?: return
            ctx.core { discardDraft(d.id) }
            draft = null
            latest = null
        }
    }
}

/** A blocking core call on the I/O dispatcher that throws (the presenters turn it into a [UiError]). */
suspend fun <T> ShellContext.core(call: FieldAppInterface.() -> T): T =
    kotlinx.coroutines.withContext(io) { app.call() }

// ---- A generic draft form: task completion, resolution (办结), verification (回访) ---------------------------

data class DraftFormState(
    val kindLabel: String = "",
    val fields: DraftFields = DraftFields(),
    val photos: List<PhotoThumb> = emptyList(),
    val takesPhotos: Boolean = false,
    val busy: Boolean = false,
    val submitted: SubmittedRecord? = null,
    val error: UiError? = null,
) {
    val canSubmit get() = !busy && submitted == null
}

/**
 * A form backed by a core draft. [start] is the core call that opens it, e.g.
 * `{ startResolutionDraft(issueId) }`. Everything typed is saved as typed; the core judges on submit.
 */
class DraftFormPresenter(ctx: ShellContext, start: FieldAppInterface.() -> Draft) :
    Presenter<DraftFormState>(DraftFormState(), ctx) {
    private val session = DraftSession(ctx, start)

    /** Opens (or resumes after a restart) the draft and shows what was saved. */
    suspend fun open(): Boolean = run { show(session.open()) }

    private suspend fun run(block: suspend () -> Unit): Boolean {
        update { it.copy(busy = true, error = null) }
        return try {
            block()
            update { it.copy(busy = false) }
            true
        } catch (e: kotlin.coroutines.cancellation.CancellationException) {
            throw e
        } catch (e: Exception) {
            update { it.copy(busy = false, error = e.toUiError(s)) }
            false
        }
    }

    private fun show(d: Draft) = update {
        it.copy(kindLabel = d.kindLabel, fields = d.fields, photos = d.photos.map { p -> p.toThumb() }, takesPhotos = d.takesPhotos)
    }

    private fun edit(change: (DraftFields) -> DraftFields) {
        update { it.copy(fields = change(it.fields), error = null) }
        session.save(state.value.fields)
    }

    fun setNotes(v: String) = edit { it.copy(notes = v) }
    fun setSatisfaction(v: Satisfaction) = edit { it.copy(satisfaction = v) }
    fun onFix(fix: GpsFix) = edit { it.copy(fix = fix) }

    suspend fun addPhoto(path: String): Boolean = run { show(session.addPhoto(path, state.value.fields.fix)) }
    suspend fun removePhoto(hash: String): Boolean = run { show(session.removePhoto(hash)) }

    suspend fun submit(): SubmittedRecord? {
        var out: SubmittedRecord? = null
        run { out = session.submit() }
        out?.let { r -> update { it.copy(submitted = r) } }
        return out
    }

    suspend fun discard(): Boolean = run { session.discard() }
}

// ---- Drafts to resume ----------------------------------------------------------------------------------

data class DraftRow(val id: String, val kindLabel: String, val title: String, val photosText: String?, val editedText: String)

data class DraftListState(val rows: List<DraftRow> = emptyList(), val error: UiError? = null)

/** "继续填写": the user's unfinished forms, newest first; refreshes itself when drafts change. */
class DraftListPresenter(ctx: ShellContext) : Presenter<DraftListState>(DraftListState(), ctx) {
    init {
        refreshOn(ChangeTopic.DRAFTS, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        val drafts = core { drafts() }.getOr { e -> update { it.copy(error = e) } } ?: return
        val now = ctx.clock()
        update {
            it.copy(
                error = null,
                rows = drafts.map { d ->
                    DraftRow(
                        id = d.id,
                        kindLabel = d.kindLabel,
                        title = d.fields.title.ifBlank { d.fields.notes }.take(40),
                        photosText = if (d.photos.isEmpty()) null else s.photoCount(d.photos.size),
                        editedText = fmt.ago(d.updatedAtMs, now),
                    )
                },
            )
        }
    }
}

/** Draft fields from the form values (helpers for the visit and report forms). */
internal fun visitFields(kind: VisitKind, notes: String, fix: GpsFix?) = DraftFields(visitKind = kind, notes = notes, fix = fix)

internal fun reportFields(category: IssueCategory, urgency: Urgency, title: String, description: String, fix: GpsFix?) =
    DraftFields(category = category, urgency = urgency, title = title, notes = description, fix = fix)
