package cn.linkage.shell

import cn.linkage.core.EvidenceTarget
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCommand
import cn.linkage.core.IssueDetail
import cn.linkage.core.IssueState
import cn.linkage.core.IssueSummary
import cn.linkage.core.Satisfaction
import cn.linkage.core.SupervisionLevel
import cn.linkage.core.TimelineEntry

/** The triage queue's state filter chips. */
enum class QueueFilter(val states: List<IssueState>) {
    OPEN(listOf(IssueState.REPORTED, IssueState.ACCEPTED, IssueState.ASSIGNED, IssueState.IN_PROGRESS, IssueState.RESOLVED)),
    NEW(listOf(IssueState.REPORTED)),
    RESOLVED(listOf(IssueState.RESOLVED)),
    ALL(emptyList());

    fun label(s: Strings) = when (this) {
        OPEN -> s.filterOpen
        NEW -> s.filterNew
        RESOLVED -> s.filterResolved
        ALL -> s.filterAll
    }
}

data class IssueListState(
    val filter: QueueFilter = QueueFilter.OPEN,
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

    suspend fun setFilter(filter: QueueFilter) {
        update { it.copy(filter = filter) }
        load()
    }

    suspend fun load() {
        val filter = state.value.filter
        update { it.copy(loading = true, error = null) }
        when (val r = core { triageQueue(filter.states, 0u, pageSize) }) {
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
        when (val r = core { triageQueue(current.filter.states, offset, pageSize) }) {
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

/** Which input an action's dialog asks for before it is sent. */
enum class ActionInput {
    NONE,
    REASON,
    NOTE_AND_PHOTOS,
    ASSIGNEE,
    MERGE_TARGET,
    SATISFACTION,
    /** 申请延期: a number of working days and the reason. */
    DAYS_AND_REASON,
    /** 延期审批: approve or deny, and a note. */
    DECISION_AND_NOTE,
    /** 督办: the level (普通/黄牌/红牌) and a note. */
    LEVEL_AND_NOTE,
}

/** One button of the issue page: only the actions the core lists in `allowedActions`. */
data class ActionButton(val kind: IssueActionKind, val label: String, val input: ActionInput)

fun IssueActionKind.input(): ActionInput = when (this) {
    IssueActionKind.ACCEPT, IssueActionKind.START, IssueActionKind.RESUME -> ActionInput.NONE
    IssueActionKind.REJECT, IssueActionKind.ESCALATE, IssueActionKind.SUSPEND -> ActionInput.REASON
    IssueActionKind.RESOLVE -> ActionInput.NOTE_AND_PHOTOS
    IssueActionKind.ASSIGN -> ActionInput.ASSIGNEE
    IssueActionKind.MERGE -> ActionInput.MERGE_TARGET
    IssueActionKind.VERIFY -> ActionInput.SATISFACTION
    IssueActionKind.REQUEST_EXTENSION -> ActionInput.DAYS_AND_REASON
    IssueActionKind.DECIDE_EXTENSION -> ActionInput.DECISION_AND_NOTE
    IssueActionKind.SUPERVISE -> ActionInput.LEVEL_AND_NOTE
    // Never buttons on an existing issue: reporting (and 就地解决) is the report form, 超期预警 the server's.
    IssueActionKind.REPORT, IssueActionKind.RESOLVE_ON_SPOT, IssueActionKind.MARK_OVERDUE -> ActionInput.NONE
}

/** Actions that never appear as buttons on an existing issue, whatever `allowedActions` says. */
private val notButtons = setOf(IssueActionKind.REPORT, IssueActionKind.RESOLVE_ON_SPOT, IssueActionKind.MARK_OVERDUE)

/** What the user typed into an action's dialog. */
data class ActionForm(
    val text: String = "",
    val satisfaction: Satisfaction? = null,
    val evidence: List<String> = emptyList(),
    /** 申请延期: the working days asked for (the core checks the range). */
    val workingDays: UInt? = null,
    /** 延期审批: true to approve, false to deny. */
    val approved: Boolean? = null,
    /** 督办: the level chosen. */
    val level: SupervisionLevel? = null,
    /** 交办: the user picked from [IssuePageState.assigneeOptions] (the core's candidates, never typed). */
    val assigneeId: String? = null,
)

/** Builds the core command for a button and its dialog; the core validates the content. `null`: a choice is missing. */
fun IssueActionKind.command(form: ActionForm): IssueCommand? = when (this) {
    IssueActionKind.ACCEPT -> IssueCommand.Accept
    IssueActionKind.START -> IssueCommand.Start
    IssueActionKind.REJECT -> IssueCommand.Reject(form.text)
    IssueActionKind.ESCALATE -> IssueCommand.Escalate(form.text)
    IssueActionKind.MERGE -> IssueCommand.Merge(form.text.trim())
    IssueActionKind.ASSIGN -> form.assigneeId?.let { IssueCommand.Assign(it) }
    IssueActionKind.RESOLVE -> IssueCommand.Resolve(form.text, form.evidence)
    IssueActionKind.VERIFY -> form.satisfaction?.let { IssueCommand.Verify(it, form.text) }
    IssueActionKind.SUSPEND -> IssueCommand.Suspend(form.text)
    IssueActionKind.RESUME -> IssueCommand.Resume
    IssueActionKind.REQUEST_EXTENSION -> form.workingDays?.let { IssueCommand.RequestExtension(it, form.text) }
    IssueActionKind.DECIDE_EXTENSION -> form.approved?.let { IssueCommand.DecideExtension(it, form.text) }
    IssueActionKind.SUPERVISE -> form.level?.let { IssueCommand.Supervise(it, form.text) }
    // Reporting (and 就地解决) is the report form; 超期预警 is the server's sweep: never a button here.
    IssueActionKind.REPORT, IssueActionKind.RESOLVE_ON_SPOT, IssueActionKind.MARK_OVERDUE -> null
}

/** The label of the choice an action's dialog is missing when [command] returned `null`. */
fun ActionInput.missingField(s: Strings): String = when (this) {
    ActionInput.SATISFACTION -> s.satisfactionField
    ActionInput.DAYS_AND_REASON -> s.workingDaysField
    ActionInput.DECISION_AND_NOTE -> s.decisionField
    ActionInput.LEVEL_AND_NOTE -> s.supervisionLevelField
    ActionInput.ASSIGNEE -> s.assigneeField
    ActionInput.NONE, ActionInput.REASON, ActionInput.NOTE_AND_PHOTOS, ActionInput.MERGE_TARGET -> s.noteField
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
)

data class IssuePageState(
    val loading: Boolean = false,
    val header: IssueHeader? = null,
    val timeline: List<TimelineRow> = emptyList(),
    val actions: List<ActionButton> = emptyList(),
    val noActionsText: String? = null,
    /** The pickers of the 督办 and 延期审批 dialogs. */
    val levelOptions: List<Option<SupervisionLevel>> = emptyList(),
    val decisionOptions: List<Option<Boolean>> = emptyList(),
    /** The 交办 picker: the people the core says this issue may be assigned to (name · where they work). */
    val assigneeOptions: List<Option<String>> = emptyList(),
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
        update {
            it.copy(
                levelOptions = SupervisionLevel.entries.map { l -> Option(l, s.supervision(l)) },
                decisionOptions = listOf(Option(true, s.approve), Option(false, s.deny)),
            )
        }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val detail = core { issue(issueId) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val timeline = core { issueTimeline(issueId) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val assignees = if (IssueActionKind.ASSIGN in detail.allowedActions) {
            core { assigneeCandidates(issueId) }.getOr { e -> update { it.copy(error = e) } }
                ?.map { p -> Option(p.userId, s.personChoice(p.name, p.roleLabel, p.nodeName)) }
        } else null
        update { show(it, detail, timeline).copy(loading = false, assigneeOptions = assignees ?: emptyList()) }
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

    /** Sends an action; on success the page reloads (state, timeline and the next allowed actions). */
    suspend fun perform(kind: IssueActionKind, form: ActionForm = ActionForm()): Boolean {
        val command = kind.command(form) ?: run {
            update { it.copy(error = UiError(s.errInvalidInput(kind.input().missingField(s)))) }
            return false
        }
        return perform(kind, command)
    }

    suspend fun perform(kind: IssueActionKind, command: IssueCommand): Boolean {
        update { it.copy(performing = kind, error = null) }
        return when (val r = core { performIssueAction(issueId, command) }) {
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

    private fun show(st: IssuePageState, d: IssueDetail, timeline: List<TimelineEntry>): IssuePageState {
        val sum = d.summary
        val counters = listOfNotNull(
            sum.reworkCount.takeIf { it > 0u }?.let { s.rework(it) },
            sum.escalationCount.takeIf { it > 0u }?.let { s.escalated(it) },
        ).joinToString(" · ").ifEmpty { null }
        val actions = d.allowedActions.filter { it !in notButtons }.map { ActionButton(it, s.action(it), it.input()) }
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
                TimelineRow(it.action, it.actionLabel, it.actorName ?: it.actorId, fmt.dateTime(it.atMs), it.detail, it.pendingSync)
            },
            actions = actions,
            noActionsText = if (actions.isEmpty()) s.noActions else null,
        )
    }
}
