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

data class CoverageView(val levels: List<String>, val silent: List<String>)

data class DirectiveDetailState(
    val loading: Boolean = false,
    val directive: DirectiveRow? = null,
    val households: List<AckRow> = emptyList(),
    val meansOptions: List<Option<AckMeans>> = emptyList(),
    val coverage: CoverageView? = null,
    val busyHouseholdId: String? = null,
    val error: UiError? = null,
)

/**
 * One directive: for a liaison head, the group's households and recording each one's acknowledgement
 * (入户/电话/当面); for the issuing staff, the coverage per level and the silent nodes.
 */
class DirectiveDetailPresenter(ctx: ShellContext, val directiveId: String) :
    Presenter<DirectiveDetailState>(DirectiveDetailState(), ctx) {

    init {
        update { it.copy(meansOptions = AckMeans.entries.map { m -> Option(m, s.ackMeans(m)) }) }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val role = core { session() }.getOr { e -> update { it.copy(error = e) } }?.role
        // The core has no single-directive read yet: take it from the inbox.
        val directive = core { directiveInbox(0u, 200u) }.getOr { e -> update { it.copy(error = e) } }
            ?.firstOrNull { it.id == directiveId }
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
                coverage = coverage?.toView() ?: st.coverage,
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

    private fun DirectiveCoverage.toView() = CoverageView(
        levels = levels.map { "${it.levelLabel} ${it.acknowledged}/${it.total}" },
        silent = silentNodes.map { it.name },
    )
}
