package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.FieldAppInterface
import cn.linkage.core.FormAnswer
import cn.linkage.core.FormDraftSummary
import cn.linkage.core.FormItem
import cn.linkage.core.FormModel
import cn.linkage.core.FormSummary
import cn.linkage.core.GpsFix
import cn.linkage.core.SubmittedForm
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

// Questionnaires and checklists (访谈问卷, 排查表): the list of forms this phone may fill and the generic form
// screen's presenter. The core holds the form model (which questions are relevant, required, in error, what
// the calculations give) and stores every answer as it is given; this layer only hands answers over and shows
// the model the core returns. No rule of a form is evaluated here.

private fun Strings.ft(zh: String, en: String) = if (lang == Lang.ZH_CN) zh else en

val Strings.formsTitle get() = ft("问卷与排查表", "Questionnaires")
val Strings.fillForm get() = ft("填写问卷", "Fill a form")
val Strings.submitForm get() = ft("提交", "Submit")
val Strings.previousPage get() = ft("上一页", "Previous")
val Strings.nextPage get() = ft("下一页", "Next")
val Strings.captureLocation get() = ft("获取当前位置", "Capture location")
val Strings.recaptureLocation get() = ft("重新定位", "Capture again")
val Strings.takeFormPhoto get() = ft("拍照", "Take photo")
val Strings.retakeFormPhoto get() = ft("重拍", "Retake")
val Strings.removeInstance get() = ft("删除", "Remove")
val Strings.clearAnswer get() = ft("清除", "Clear")
val Strings.requiredMark get() = ft("（必答）", " (required)")
val Strings.formSubmitted get() = ft("已提交，将随下次同步上报", "Submitted: it goes with the next sync")
fun Strings.formQuestions(n: UInt) = ft("共 $n 题", "$n questions")
fun Strings.formDraftsOpen(n: UInt) = ft("草稿 $n 份", "$n draft(s)")
fun Strings.formAnswered(n: UInt) = ft("已答 $n 题", "$n answered")
fun Strings.pageOf(page: UInt, count: Int) = ft("第 ${page + 1u} 页 / 共 $count 页", "Page ${page + 1u} of $count")

/** A form to start, as the list shows it. */
data class FormRow(val formId: String, val title: String, val detail: String)

/** An unfinished form, for "继续填写". */
data class FormDraftRow(val draftId: String, val title: String, val detail: String)

data class FormListState(
    val forms: List<FormRow> = emptyList(),
    val drafts: List<FormDraftRow> = emptyList(),
    val loading: Boolean = false,
    val error: UiError? = null,
)

/**
 * The forms this user may fill (the core filters by node, role and retirement) and their open drafts. Opened
 * from a visit ([householdId], [visitId]) or from the home of a field role (neither).
 */
class FormListPresenter(ctx: ShellContext, val householdId: String? = null, val visitId: String? = null) :
    Presenter<FormListState>(FormListState(), ctx) {

    init {
        refreshOn(ChangeTopic.DRAFTS) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true) }
        val forms = core { forms() }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val drafts = core { formDrafts() }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        update {
            FormListState(
                forms = forms.map(::row),
                drafts = drafts.map(::draftRow),
            )
        }
    }

    private fun row(f: FormSummary) = FormRow(
        f.formId, f.title,
        listOfNotNull(s.formQuestions(f.questionCount), if (f.openDrafts > 0u) s.formDraftsOpen(f.openDrafts) else null).joinToString(" · "),
    )

    private fun draftRow(d: FormDraftSummary) = FormDraftRow(
        d.draftId, d.title,
        listOfNotNull(d.subjectLabel, s.formAnswered(d.answered), fmt.ago(d.updatedAtMs, ctx.clock())).joinToString(" · "),
    )
}

data class FormState(
    val model: FormModel? = null,
    val busy: Boolean = false,
    val error: UiError? = null,
    val submitted: SubmittedForm? = null,
    val submittedText: String? = null,
) {
    val items: List<FormItem> get() = model?.items.orEmpty()
    val canGoBack get() = (model?.page ?: 0u) > 0u
    val canGoOn get() = model?.let { it.page.toInt() + 1 < it.pages.size } ?: false
    val pageText: String? get() = null
}

/**
 * The generic form screen's presenter: [open] starts or resumes a draft (`startFormDraft`, or `formDraft` from
 * "继续填写"), each answer goes to the core at once (`setAnswer`, one small write) and the model it returns
 * replaces the screen's state, so a killed app resumes exactly where it was. Answers are handed over one at a
 * time in the order given.
 */
class FormPresenter(ctx: ShellContext, private val start: FieldAppInterface.() -> FormModel) :
    Presenter<FormState>(FormState(), ctx) {
    private val lock = Mutex()

    val draftId: String? get() = state.value.model?.draftId

    /** Opens (or resumes after a restart) the draft and shows its current page. */
    suspend fun open(): Boolean = call { start() }

    private suspend fun call(block: FieldAppInterface.() -> FormModel): Boolean = lock.withLock {
        update { it.copy(busy = true) }
        when (val r = core(block)) {
            is Outcome.Ok -> { update { it.copy(model = r.value, busy = false, error = null) }; true }
            is Outcome.Failed -> { update { it.copy(busy = false, error = r.error) }; false }
        }
    }

    private suspend fun withDraft(block: FieldAppInterface.(String) -> FormModel): Boolean {
        val id = draftId ?: return false
        return call { block(id) }
    }

    /** A typed answer (text, number, date): stored as typed; the core reads it and says what is wrong. */
    suspend fun type(path: String, text: String) = withDraft { setAnswer(it, path, FormAnswer.Text(text)) }

    /** Select-one: picks [choiceId]. */
    suspend fun pick(path: String, choiceId: String) = withDraft { setAnswer(it, path, FormAnswer.Choice(choiceId)) }

    /** Select-multiple: the choice tapped is toggled in the picked set the model shows. */
    suspend fun toggle(path: String, choiceId: String): Boolean {
        val item = state.value.items.firstOrNull { it.path == path } ?: return false
        val picked = item.choices.filter { it.selected }.map { it.id }
        val next = if (choiceId in picked) picked - choiceId else picked + choiceId
        return withDraft { setAnswer(it, path, FormAnswer.Choices(next)) }
    }

    suspend fun location(path: String, fix: GpsFix) = withDraft { setAnswer(it, path, FormAnswer.Location(fix)) }

    /** A camera file for an image question: the core takes it through the evidence pipeline. */
    suspend fun photo(path: String, file: String, fix: GpsFix?) = withDraft { setAnswer(it, path, FormAnswer.Photo(file, fix)) }

    suspend fun clear(path: String) = withDraft { setAnswer(it, path, FormAnswer.Clear) }

    suspend fun addInstance(repeatPath: String) = withDraft { addRepeatInstance(it, repeatPath) }

    suspend fun removeInstance(instancePath: String) = withDraft { removeRepeatInstance(it, instancePath) }

    suspend fun goToPage(page: UInt) = withDraft { formDraftPage(it, page) }

    suspend fun nextPage() = state.value.model?.let { goToPage(it.page + 1u) } ?: false

    suspend fun previousPage() = state.value.model?.let { if (it.page > 0u) goToPage(it.page - 1u) else false } ?: false

    /**
     * Submits: the core validates the whole form and writes the response with its outbox operation in one
     * transaction. Refused (something missing or wrong): the model comes back with the problems shown and the
     * page of the first one; nothing is stored.
     */
    suspend fun submit(): SubmittedForm? = lock.withLock {
        val id = draftId ?: return null
        update { it.copy(busy = true) }
        when (val r = core { submitForm(id) }) {
            is Outcome.Ok -> {
                update { it.copy(busy = false, error = null, submitted = r.value, submittedText = s.formSubmitted) }
                r.value
            }
            is Outcome.Failed -> {
                val model = core { formDraft(id) }
                update { st -> st.copy(busy = false, error = r.error, model = (model as? Outcome.Ok)?.value ?: st.model) }
                null
            }
        }
    }

    suspend fun discard() = lock.withLock {
        val id = draftId ?: return@withLock
        core { discardFormDraft(id) }
        update { FormState() }
    }
}
