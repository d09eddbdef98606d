package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.Draft
import cn.linkage.core.DraftKind
import cn.linkage.core.DraftFields
import cn.linkage.core.FieldAppInterface
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueCategory
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

    /** 就地解决: the report draft becomes a resolved issue in one core transaction (the draft is gone after). */
    suspend fun submitResolvedOnSpot(): cn.linkage.core.IssueSummary {
        flush()
        return lock.withLock {
            val id = openLocked().id
            ctx.core { submitDraftResolvedOnSpot(id) }.also { draft = null; latest = null }
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

    /**
     * The form is leaving (back): every edit is stored, then the core drops the draft if nothing was typed,
     * picked or photographed (it decides what counts), so "继续填写" lists only real work.
     */
    suspend fun leave() {
        lastSave?.join()
        lock.withLock {
            val d = draft ?: return
            try {
                writeLatest()
                ctx.core { closeDraft(d.id) }
            } catch (e: kotlin.coroutines.cancellation.CancellationException) {
                throw e
            } catch (e: Exception) {
                // Signed out or already submitted: nothing left to tidy.
            }
            draft = null
            latest = null
        }
    }

    /** [leave] in the context's scope (a screen's close is not suspending). */
    fun leaveLater(): Job = ctx.scope.launch { leave() }
}

/** A blocking core call on the I/O dispatcher that throws (the presenters turn it into a [UiError]). */
suspend fun <T> ShellContext.core(call: FieldAppInterface.() -> T): T =
    kotlinx.coroutines.withContext(io) { app.call() }

// ---- A generic draft form: task completion, resolution (办结), verification (回访) ---------------------------

data class DraftFormState(
    /** 办结, 回访, 任务完成情况 (the core's words), and what it is about (the issue's or directive's title). */
    val kindLabel: String = "",
    val subject: String? = null,
    val fields: DraftFields = DraftFields(),
    /** The text field's label: the action spec's (办理情况, 说明), else the task report's 完成情况. */
    val textLabel: String = "",
    /** The choice the core's action spec asks for (群众满意度: 满意 / 基本满意 / 不满意), ids as the core gives them. */
    val choiceLabel: String = "",
    val choices: List<Option<String>> = emptyList(),
    val photos: List<PhotoThumb> = emptyList(),
    val takesPhotos: Boolean = false,
    val busy: Boolean = false,
    val submitted: SubmittedRecord? = null,
    val error: UiError? = null,
) {
    val canSubmit get() = !busy && submitted == null
    val choice get() = fields.choice
}

/**
 * A form backed by a core draft: task completion, 办结 and 回访. [start] is the core call that opens it:
 * `{ startActionDraft(issueId, spec.kind) }` for an issue action whose `ActionSpec.draft` is set,
 * `{ startTaskCompletionDraft(directiveId) }`, or `{ draft(draftId) }` to resume from "继续填写". The text label
 * and choices come from the draft's action spec. Everything typed is saved as typed; the core judges on submit.
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
        val spec = d.action
        it.copy(
            kindLabel = d.kindLabel,
            subject = d.subjectLabel,
            fields = d.fields,
            textLabel = spec?.textLabel?.ifEmpty { null } ?: s.completionNoteField,
            choiceLabel = spec?.choiceLabel.orEmpty(),
            choices = spec?.choices?.map { c -> Option(c.id, c.label) }.orEmpty(),
            photos = d.photos.map { p -> p.toThumb() },
            takesPhotos = d.takesPhotos,
        )
    }

    private fun edit(change: (DraftFields) -> DraftFields) {
        update { it.copy(fields = change(it.fields), error = null) }
        session.save(state.value.fields)
    }

    fun setNotes(v: String) = edit { it.copy(notes = v) }

    /** One of [DraftFormState.choices] (its id, as the core gave it). */
    fun setChoice(id: String) = edit { it.copy(choice = id) }
    fun onFix(fix: GpsFix) = edit { it.copy(fix = fix) }

    /** Waits until every edit so far is stored in the core. */
    suspend fun flush(): Boolean = run { session.flush() }

    suspend fun addPhoto(path: String): Boolean = run { show(session.addPhoto(path, state.value.fields.fix)) }
    suspend fun removePhoto(hash: String): Boolean = run { show(session.removePhoto(hash)) }

    suspend fun submit(): SubmittedRecord? {
        var out: SubmittedRecord? = null
        run { out = session.submit() }
        out?.let { r -> update { it.copy(submitted = r) } }
        return out
    }

    suspend fun discard(): Boolean = run { session.discard() }

    /** Leaving the form: the draft stays for "继续填写" unless nothing was entered (the core decides). */
    suspend fun leave() {
        if (state.value.submitted == null) session.leave()
    }

    override fun close() {
        super.close()
        if (state.value.submitted == null) session.leaveLater()
    }
}

/** The form of an issue action whose `ActionSpec.draft` is set (办结, 回访): the core starts or resumes it. */
fun actionDraftForm(ctx: ShellContext, issueId: String, action: cn.linkage.core.IssueActionKind) =
    DraftFormPresenter(ctx) { startActionDraft(issueId, action) }

/** A draft form continued from "继续填写" ([DraftTarget.Form]). */
fun resumedDraftForm(ctx: ShellContext, draftId: String) = DraftFormPresenter(ctx) { draft(draftId) }

// ---- Drafts to resume ----------------------------------------------------------------------------------

/**
 * Where a draft is continued: the visit form (for a household, maybe for an issue's 回访 visit), the report
 * form (a household or a place), or the generic draft form by the draft's id (办结, 回访, 任务完成情况).
 * Which screen draws which kind is presentation; what the draft is about comes from the core's record.
 */
sealed interface DraftTarget {
    data class Visit(val householdId: String, val issueId: String?) : DraftTarget
    data class Report(val householdId: String?, val nodeId: String?) : DraftTarget
    data class Form(val draftId: String) : DraftTarget
}

fun Draft.target(): DraftTarget = when (kind) {
    DraftKind.VISIT -> householdId?.let { DraftTarget.Visit(it, issueId) } ?: DraftTarget.Form(id)
    DraftKind.ISSUE_REPORT -> DraftTarget.Report(householdId, nodeId)
    DraftKind.TASK_COMPLETION, DraftKind.RESOLUTION, DraftKind.VERIFICATION -> DraftTarget.Form(id)
}

data class DraftRow(
    val id: String,
    val kind: DraftKind,
    val kindLabel: String,
    /** What it is about: the household's head, the issue's or directive's title, the place. */
    val subject: String?,
    val title: String,
    val photosText: String?,
    val editedText: String,
    /** Opens the form that continues it. */
    val target: DraftTarget,
)

data class DraftListState(val rows: List<DraftRow> = emptyList(), val error: UiError? = null) {
    /** The home screens' entry: "继续填写（2）", or nothing when there is no draft. */
    fun entryText(s: Strings): String? = if (rows.isEmpty()) null else s.continueDrafts(rows.size)
}

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
                        kind = d.kind,
                        kindLabel = d.kindLabel,
                        subject = d.subjectLabel,
                        title = d.fields.title.ifBlank { d.fields.notes }.take(40),
                        photosText = if (d.photos.isEmpty()) null else s.photoCount(d.photos.size),
                        editedText = fmt.ago(d.updatedAtMs, now),
                        target = d.target(),
                    )
                },
            )
        }
    }

    /** Throws a draft away from the list (its photos too). */
    suspend fun discard(id: String): Boolean = when (val r = core { discardDraft(id) }) {
        is Outcome.Ok -> { load(); true }
        is Outcome.Failed -> { update { it.copy(error = r.error) }; false }
    }
}

/** Draft fields from the form values (helpers for the visit and report forms). */
internal fun visitFields(kind: VisitKind, notes: String, fix: GpsFix?) = DraftFields(visitKind = kind, notes = notes, fix = fix)

internal fun reportFields(category: IssueCategory, urgency: Urgency, title: String, description: String, fix: GpsFix?, onSpotNote: String) =
    DraftFields(category = category, urgency = urgency, title = title, notes = description, fix = fix, onSpotNote = onSpotNote)
