package cn.linkage.shell

import cn.linkage.core.AckMeans
import cn.linkage.core.DirectiveCoverage
import cn.linkage.core.DirectiveSummary
import cn.linkage.core.HouseholdQuery
import cn.linkage.core.Role

data class InboxState(
    val loading: Boolean = false,
    val rows: List<DirectiveRow> = emptyList(),
    val busyId: String? = null,
    val error: UiError? = null,
)

/** Directives reaching my node: acknowledge (签收) and relay (转发) down the chain. */
class DirectiveInboxPresenter(ctx: ShellContext) : Presenter<InboxState>(InboxState(), ctx) {
    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        when (val r = core { directiveInbox(0u, 100u) }) {
            is Outcome.Ok -> update { it.copy(loading = false, rows = r.value.map { d -> d.toRow(s, fmt) }) }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }

    suspend fun acknowledge(id: String) = step(id) { acknowledgeDirective(id) }
    suspend fun relay(id: String) = step(id) { relayDirective(id) }

    private suspend fun step(id: String, call: cn.linkage.core.FieldAppInterface.() -> DirectiveSummary) {
        update { it.copy(busyId = id, error = null) }
        when (val r = core(call)) {
            is Outcome.Ok -> update { st -> st.copy(busyId = null, rows = st.rows.map { if (it.id == id) r.value.toRow(s, fmt) else it }) }
            is Outcome.Failed -> update { it.copy(busyId = null, error = r.error) }
        }
    }
}

/** A household on the acknowledgement list; [recorded] is how it was told, when recorded on this screen. */
data class AckRow(val household: HouseholdRow, val recorded: String?)

/** [tasksCompletedText]: how many nodes in view reported a task done (tasks only). */
data class CoverageView(val levels: List<String>, val silent: List<String>, val tasksCompletedText: String? = null)

data class DirectiveDetailState(
    val loading: Boolean = false,
    val directive: DirectiveRow? = null,
    val households: List<AckRow> = emptyList(),
    val meansOptions: List<Option<AckMeans>> = emptyList(),
    val coverage: CoverageView? = null,
    val busyHouseholdId: String? = null,
    /** 上报完成情况 (task directives, after acknowledging): what was done and its photos. */
    val completionNote: String = "",
    val completionPhotos: List<PhotoThumb> = emptyList(),
    val addingPhoto: Boolean = false,
    val reportingCompletion: Boolean = false,
    val error: UiError? = null,
) {
    val canReportCompletion get() = directive?.showReportCompletion == true && !addingPhoto && !reportingCompletion
}

/**
 * One directive: for a liaison head, the group's households and recording each one's acknowledgement
 * (入户/电话/当面); for the issuing staff, the coverage per level and the silent nodes; for a task, once
 * acknowledged, the report of my node's completion (note and photos).
 */
class DirectiveDetailPresenter(ctx: ShellContext, val directiveId: String) :
    Presenter<DirectiveDetailState>(DirectiveDetailState(), ctx) {

    init {
        update { it.copy(meansOptions = AckMeans.entries.map { m -> Option(m, s.ackMeans(m)) }) }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val role = core { session() }.getOr { e -> update { it.copy(error = e) } }?.role
        val directive = core { directive(directiveId) }.getOr { e -> update { it.copy(error = e) } }
        val households = if (role == Role.LIAISON_HEAD) {
            core { listHouseholds(HouseholdQuery(limit = 200u)) }.getOr { e -> update { it.copy(error = e) } }?.items
        } else null
        val coverage = if (role == Role.TOWNSHIP_STAFF || role == Role.COUNTY_STAFF) {
            core { directiveCoverage(directiveId) }.getOr { e -> update { it.copy(error = e) } }
        } else null
        update { st ->
            val recorded = st.households.associate { it.household.id to it.recorded }
            st.copy(
                loading = false,
                directive = directive?.toRow(s, fmt) ?: st.directive,
                households = households?.map { h -> AckRow(h.toRow(), recorded[h.id]) } ?: st.households,
                coverage = coverage?.toView(directive?.kind == cn.linkage.core.DirectiveKind.TASK) ?: st.coverage,
            )
        }
    }

    suspend fun recordAck(householdId: String, means: AckMeans) {
        update { it.copy(busyHouseholdId = householdId, error = null) }
        when (val r = core { recordHouseholdAck(directiveId, householdId, means) }) {
            is Outcome.Ok -> update { st ->
                st.copy(
                    busyHouseholdId = null,
                    directive = r.value.toRow(s, fmt),
                    households = st.households.map { if (it.household.id == householdId) it.copy(recorded = s.ackMeans(means)) else it },
                )
            }
            is Outcome.Failed -> update { it.copy(busyHouseholdId = null, error = r.error) }
        }
    }

    fun setCompletionNote(v: String) = update { it.copy(completionNote = v, error = null) }

    /** A camera file for the completion report, turned into evidence by the core (as on the visit form). */
    suspend fun addCompletionPhoto(path: String): Boolean {
        update { it.copy(addingPhoto = true, error = null) }
        return when (val r = core { addEvidence(path, null, null) }) {
            is Outcome.Ok -> { update { it.copy(addingPhoto = false, completionPhotos = it.completionPhotos + r.value.toThumb()) }; true }
            is Outcome.Failed -> { update { it.copy(addingPhoto = false, error = r.error) }; false }
        }
    }

    /** 上报完成情况: my node's completion of the task; the core refuses it before acknowledging (`OutOfOrder`). */
    suspend fun reportCompletion(): Boolean {
        val st = state.value
        if (st.reportingCompletion) return false
        update { it.copy(reportingCompletion = true, error = null) }
        return when (val r = core { reportTaskCompletion(directiveId, st.completionNote, st.completionPhotos.map { it.hash }) }) {
            is Outcome.Ok -> {
                update { it.copy(reportingCompletion = false, directive = r.value.toRow(s, fmt), completionNote = "", completionPhotos = emptyList()) }
                true
            }
            is Outcome.Failed -> { update { it.copy(reportingCompletion = false, error = r.error) }; false }
        }
    }

    private fun DirectiveCoverage.toView(task: Boolean) = CoverageView(
        levels = levels.map { "${it.levelLabel} ${it.acknowledged}/${it.total}" },
        silent = silentNodes.map { it.name },
        tasksCompletedText = if (task || tasksCompleted > 0u) s.tasksCompleted(tasksCompleted) else null,
    )
}
