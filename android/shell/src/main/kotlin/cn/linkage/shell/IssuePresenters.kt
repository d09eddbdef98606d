package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.ActionSpec
import cn.linkage.core.ChangeTopic
import cn.linkage.core.EvidenceTarget
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCommand
import cn.linkage.core.IssueDetail
import cn.linkage.core.IssueFilter
import cn.linkage.core.IssueFilterSpec
import cn.linkage.core.IssueSummary
import cn.linkage.core.TimelineEntry

data class IssueListState(
    /** The filter chips, in the core's words (未结案, 待受理, 待回访, 超期, 全部). */
    val filters: List<IssueFilterSpec> = emptyList(),
    val filter: IssueFilter = IssueFilter.OPEN,
    /** The staff banner: a year without the county's holiday calendar (the core's words), or `null`. */
    val calendarWarning: String? = null,
    val rows: List<IssueRow> = emptyList(),
    val total: Long = 0,
    val nextOffset: UInt? = null,
    val loading: Boolean = false,
    val error: UiError? = null,
)

/**
 * The township (or county) triage queue: issues owned by the user's node, deadline first, with lights.
 * County staff see their escalated issues through the same queue.
 */
class TriagePresenter(ctx: ShellContext, private val pageSize: UInt = 50u) :
    Presenter<IssueListState>(IssueListState(), ctx) {
    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.SESSION) { load() }
    }


    suspend fun setFilter(filter: IssueFilter) {
        update { it.copy(filter = filter) }
        load()
    }

    suspend fun load() {
        val filter = state.value.filter
        update { it.copy(loading = true, error = null) }
        if (state.value.filters.isEmpty()) core { issueFilters() }.getOr { }?.let { f -> update { it.copy(filters = f) } }
        val warning = core { calendarWarning() }.getOr { }
        update { it.copy(calendarWarning = warning?.message) }
        when (val r = core { issueQueue(filter, 0u, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    rows = r.value.items.map { i -> i.toRow(s, fmt) },
                    total = r.value.total.toLong(),
                    nextOffset = r.value.nextOffset,
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }

    suspend fun loadMore() {
        val current = state.value
        val offset = current.nextOffset ?: return
        if (current.loading) return
        update { it.copy(loading = true) }
        when (val r = core { issueQueue(current.filter, offset, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    rows = it.rows + r.value.items.map { i -> i.toRow(s, fmt) },
                    total = r.value.total.toLong(),
                    nextOffset = r.value.nextOffset,
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }
}

/**
 * The issue page's buttons are the core's `ActionSpec`s: label, whether text is needed (and its label), photos,
 * days, choices, the person picker (`needsPerson`: pick from [IssuePageState.assigneeOptions], the core's
 * candidates, into `ActionForm.personId`). The dialog fills a core `ActionForm`; the core builds the command
 * and names a missing part in its error. Nothing about actions is decided here.
 */
typealias ActionButton = ActionSpec

/** An issue the 合并 picker offers: its title, its state and the core's note (疑似重复 · 相距 35 米). */
data class MergeOption(val issueId: String, val title: String, val detail: String, val suggested: Boolean) {
    /** What the picker's chip says. */
    val label: String get() = if (detail.isEmpty()) title else "$title · $detail"
}

/** The badges of an issue (督办, 挂起, 延期待批, 超期, 就地解决): the core's flags, the shell's words. */
fun IssueSummary.badges(s: Strings): List<String> = listOfNotNull(
    supervisionLabel.ifEmpty { null },
    if (suspended) s.suspendedBadge else null,
    pendingExtensionDays?.let { s.extensionPending(it) },
    if (overdue) s.overdueBadge else null,
    if (resolvedOnSpot) s.resolvedOnSpotBadge else null,
)

data class IssueHeader(
    val id: String,
    val title: String,
    val subtitle: String,
    val stateLabel: String,
    val light: cn.linkage.core.Light,
    val lightLabel: String,
    val dueText: String?,
    val description: String,
    val counters: String?,
    val householdId: String?,
    /** 黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决: see [badges]. */
    val badges: List<String>,
)

data class TimelineRow(
    val action: IssueActionKind,
    val label: String,
    val actor: String,
    val whenText: String,
    val detail: String,
    val pendingSync: Boolean,
    /** The photos this step brought (report, 办结, 补充反映): hashes among the page's report and resolution photos. */
    val photoHashes: List<String> = emptyList(),
)

data class IssuePageState(
    val loading: Boolean = false,
    val header: IssueHeader? = null,
    val timeline: List<TimelineRow> = emptyList(),
    val actions: List<ActionButton> = emptyList(),
    val noActionsText: String? = null,
    /** The 交办 picker: the people the core says this issue may be assigned to (name · where they work · 在办 N 件). */
    val assigneeOptions: List<Option<String>> = emptyList(),
    /**
     * The 合并 picker: the core's duplicate suggestions for this issue, or the open issues whose title contains
     * [mergeSearch]; the picked id goes into `ActionForm.otherIssueId` (no typed ids).
     */
    val mergeOptions: List<MergeOption> = emptyList(),
    val mergeSearch: String = "",
    /** Photos of the report and of the resolution (办结), a colleague's fetched by the core. */
    val reportPhotos: List<PhotoView> = emptyList(),
    val resolutionPhotos: List<PhotoView> = emptyList(),
    /** The full-size file of the photo the user opened. */
    val openedPhotoPath: String? = null,
    val performing: IssueActionKind? = null,
    val error: UiError? = null,
)

/** The issue page: summary, timeline, and exactly the actions this user may take now. */
class IssuePresenter(ctx: ShellContext, val issueId: String) : Presenter<IssuePageState>(IssuePageState(), ctx) {

    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val detail = core { issue(issueId) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val timeline = core { issueTimeline(issueId) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val assignees = if (detail.actions.any { it.needsPerson }) {
            core { assigneePicker(issueId) }.getOr { e -> update { it.copy(error = e) } }
                ?.map { o -> Option(o.person.userId, "${s.personChoice(o.person.name, o.person.roleLabel, o.person.nodeName)} · ${o.loadLabel}") }
        } else null
        val merge = if (detail.actions.any { it.needsOtherIssue }) loadMergeOptions(state.value.mergeSearch) else null
        update { show(it, detail, timeline).copy(loading = false, assigneeOptions = assignees ?: emptyList(), mergeOptions = merge ?: emptyList()) }
        // Thumbnails after the page is up: a colleague's photo may need a download.
        val report = photosOf(EvidenceTarget.IssueReport(issueId))
        val resolution = photosOf(EvidenceTarget.Resolution(issueId))
        update { it.copy(reportPhotos = report, resolutionPhotos = resolution) }
    }

    /** Opens a photo at full size (from the phone, or fetched by the core); the view shows [IssuePageState.openedPhotoPath]. */
    suspend fun openPhoto(hash: String): Boolean = when (val r = coreAsync { openEvidence(hash) }) {
        is Outcome.Ok -> { update { it.copy(openedPhotoPath = r.value, error = null) }; true }
        is Outcome.Failed -> { update { it.copy(error = r.error) }; false }
    }

    fun closePhoto() = update { it.copy(openedPhotoPath = null) }

    /**
     * Sends a button's action with what its dialog collected; the core builds the command (a missing pick
     * comes back as its `InvalidInput`). On success the page reloads (state, timeline, the next actions).
     */
    suspend fun perform(kind: IssueActionKind, form: ActionForm = ActionForm()): Boolean =
        send(kind) { performAction(issueId, kind, form) }

    /** Sends a ready-made command (tests, deep links). */
    suspend fun perform(kind: IssueActionKind, command: IssueCommand): Boolean =
        send(kind) { performIssueAction(issueId, command) }

    private suspend fun send(kind: IssueActionKind, call: cn.linkage.core.FieldAppInterface.() -> IssueSummary): Boolean {
        update { it.copy(performing = kind, error = null) }
        return when (val r = core(call)) {
            is Outcome.Ok -> {
                update { it.copy(performing = null) }
                load()
                true
            }
            is Outcome.Failed -> {
                update { it.copy(performing = null, error = r.error) }
                false
            }
        }
    }

    fun dismissError() = update { it.copy(error = null) }

    /** The 合并 picker's search box: blank shows the core's suggestions again. */
    suspend fun searchMerge(text: String) {
        update { it.copy(mergeSearch = text) }
        val found = loadMergeOptions(text) ?: return
        update { it.copy(mergeOptions = found) }
    }

    private suspend fun loadMergeOptions(search: String): List<MergeOption>? =
        core { mergeCandidates(issueId, search.ifBlank { null }, 0u, 30u) }.getOr { e -> update { it.copy(error = e) } }
            ?.items?.map { c -> MergeOption(c.issue.id, c.issue.title, listOf(c.issue.stateLabel, c.note).filter { it.isNotEmpty() }.joinToString(" · "), c.suggested) }

    private fun show(st: IssuePageState, d: IssueDetail, timeline: List<TimelineEntry>): IssuePageState {
        val sum = d.summary
        val counters = listOfNotNull(
            sum.reworkCount.takeIf { it > 0u }?.let { s.rework(it) },
            sum.escalationCount.takeIf { it > 0u }?.let { s.escalated(it) },
        ).joinToString(" · ").ifEmpty { null }
        val actions = d.actions
        return st.copy(
            header = IssueHeader(
                id = sum.id,
                title = sum.title,
                subtitle = "${sum.categoryLabel} · ${sum.urgencyLabel}",
                stateLabel = sum.stateLabel,
                light = sum.light,
                lightLabel = s.light(sum.light),
                dueText = fmt.due(sum.dueAtMs),
                description = d.description,
                counters = counters,
                householdId = sum.householdId,
                badges = sum.badges(s),
            ),
            timeline = timeline.map {
                TimelineRow(it.action, it.actionLabel, it.actorName, fmt.dateTime(it.atMs), it.detail, it.pendingSync, it.evidence)
            },
            actions = actions,
            noActionsText = if (actions.isEmpty()) s.noActions else null,
        )
    }
}
