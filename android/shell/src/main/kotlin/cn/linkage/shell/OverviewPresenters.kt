package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.Figure
import cn.linkage.core.FigureList
import cn.linkage.core.IssueQuery
import cn.linkage.core.Light
import cn.linkage.core.OverviewFilter
import cn.linkage.core.OverviewFilterSpec
import cn.linkage.core.DashboardRow

// The leaders' screens beyond the queue: the county's overview of every open issue (县级总览), the staff
// dashboard (工作台) with lit figures, and the lists behind its figures (households due, silent nodes). Every
// filter, figure, light and list query comes from the core (FieldApp.issueOverview / dashboard / ...); these
// presenters only page and format.

data class OverviewState(
    /** The filter chips in the core's words (全部未结案, 红灯, 黄灯, 绿灯, 红牌督办, 返工, 待我审批). */
    val filters: List<OverviewFilterSpec> = emptyList(),
    val filter: OverviewFilter = OverviewFilter.OPEN,
    /** The node chips: 全部, then the children of the user's node (townships for the county). */
    val nodes: List<Option<String?>> = emptyList(),
    val nodeId: String? = null,
    val rows: List<IssueRow> = emptyList(),
    val total: Long = 0,
    val nextOffset: UInt? = null,
    /** Under 待我审批: the task completion reports waiting for my review (通过 / 退回 on the directive's page). */
    val taskReports: List<WaitingReportView> = emptyList(),
    val loading: Boolean = false,
    val error: UiError? = null,
)

/** A completion report waiting for my review: the task's title, who reported and when; opens the directive. */
data class WaitingReportView(val directiveId: String, val nodeId: String, val title: String, val detail: String)

/**
 * The overview (县委领导): every open issue of the user's area, not only those escalated to them, by node and
 * filter, deadline first; opening one leads to the issue page where 督办 and 延期审批 are buttons. A
 * dashboard figure opens it with its own query.
 */
class OverviewPresenter(ctx: ShellContext, query: IssueQuery? = null, private val pageSize: UInt = 50u) :
    Presenter<OverviewState>(OverviewState(filter = query?.filter ?: OverviewFilter.OPEN, nodeId = query?.nodeId), ctx) {
    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    suspend fun setFilter(filter: OverviewFilter) {
        update { it.copy(filter = filter) }
        load()
    }

    suspend fun setNode(nodeId: String?) {
        update { it.copy(nodeId = nodeId) }
        load()
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        if (state.value.filters.isEmpty()) {
            val filters = core { overviewFilters() }.getOr { } ?: emptyList()
            val children = core { orgTree(null, 1u, 0u, 100u) }.getOr { e -> update { it.copy(error = e) } }
            val nodes = listOf(Option<String?>(null, s.allAreas)) + (children?.items?.map { Option<String?>(it.nodeId, it.name) } ?: emptyList())
            update { it.copy(filters = filters, nodes = nodes) }
        }
        val st = state.value
        // 待我审批 gathers the task reports waiting for me too (the core's list; the same for every node chip).
        val reports = if (st.filter != OverviewFilter.WAITING_FOR_ME) emptyList()
        else core { waitingTaskReports(0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }?.items.orEmpty().map { r ->
            WaitingReportView(r.directiveId, r.nodeId, r.directiveTitle, s.reportBy("${r.levelLabel} ${r.nodeName}", r.reportedByName, fmt.dateTime(r.atMs)))
        }
        when (val r = core { issueOverview(IssueQuery(st.nodeId, st.filter), 0u, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    rows = r.value.items.map { i -> i.toRow(s, fmt) },
                    total = r.value.total.toLong(),
                    nextOffset = r.value.nextOffset,
                    taskReports = reports,
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error, taskReports = reports) }
        }
    }

    suspend fun loadMore() {
        val st = state.value
        val offset = st.nextOffset ?: return
        if (st.loading) return
        update { it.copy(loading = true) }
        when (val r = core { issueOverview(IssueQuery(st.nodeId, st.filter), offset, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(loading = false, rows = it.rows + r.value.items.map { i -> i.toRow(s, fmt) }, total = r.value.total.toLong(), nextOffset = r.value.nextOffset)
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }
}

/** A dashboard figure as drawn: the core's label, value and light, and the list a tap opens (`null`: none). */
data class FigureView(val label: String, val value: String, val light: Light, val lightLabel: String, val list: FigureList?)

/** A node's row: name and level, the worst light (the row's colour), its figures. */
data class DashboardRowView(val nodeId: String, val title: String, val worst: Light, val figures: List<FigureView>)

data class DashboardState(
    val loading: Boolean = false,
    val periodText: String = "",
    /** Whose visits count and the cadence, in the core's words. */
    val visitNote: String = "",
    val own: DashboardRowView? = null,
    val children: List<DashboardRowView> = emptyList(),
    val error: UiError? = null,
)

/**
 * The staff dashboard (工作台) of township and county staff over the last [days] days: the core's measures of
 * the user's node and of each child, lit against the shared targets, visit coverage and households due, the
 * open and overdue issues, the silent nodes of current directives and the decisions waiting. A tap on a
 * figure opens [FigureView.list] (see `openList` in the route layer).
 */
class DashboardPresenter(ctx: ShellContext, private val days: Long = 90) : Presenter<DashboardState>(DashboardState(), ctx) {
    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.VISITS, ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        when (val r = core { dashboardLastDays(days.toUInt()) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    periodText = s.lastDays(days),
                    visitNote = r.value.visitNote,
                    own = r.value.own.view(),
                    children = r.value.children.map { c -> c.view() },
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }

    private fun DashboardRow.view() = DashboardRowView(nodeId, "$name · $levelLabel", worst, figures.map { it.view() })

    private fun Figure.view() = FigureView(label, valueText, light, s.figureLight(light), list)
}

data class DueHouseholdsState(
    val rows: List<OverdueRow> = emptyList(),
    val total: Long = 0,
    val nextOffset: UInt? = null,
    val loading: Boolean = false,
    val error: UiError? = null,
)

/** The households under a node overdue for a visit at the user's level (behind 走访覆盖率 / 未走访户). */
class DueHouseholdsPresenter(ctx: ShellContext, val nodeId: String?, private val pageSize: UInt = 50u) :
    Presenter<DueHouseholdsState>(DueHouseholdsState(), ctx) {
    init {
        refreshOn(ChangeTopic.VISITS, ChangeTopic.HOUSEHOLDS, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() = page(0u, replace = true)

    suspend fun loadMore() {
        val offset = state.value.nextOffset ?: return
        if (!state.value.loading) page(offset, replace = false)
    }

    private suspend fun page(offset: UInt, replace: Boolean) {
        update { it.copy(loading = true, error = null) }
        when (val r = core { overdueHouseholdsUnder(nodeId, offset, pageSize) }) {
            is Outcome.Ok -> update {
                val rows = r.value.items.map { o -> o.toRow(s, fmt) }
                it.copy(loading = false, rows = if (replace) rows else it.rows + rows, total = r.value.total.toLong(), nextOffset = r.value.nextOffset)
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }
}

/** A child node silent on a directive: which directive, which node, how late. */
data class SilentRow(val directiveId: String, val title: String, val detail: String)

data class SilentNodesState(
    val rows: List<SilentRow> = emptyList(),
    val total: Long = 0,
    val nextOffset: UInt? = null,
    val loading: Boolean = false,
    val error: UiError? = null,
)

/** The child nodes silent past their window on current directives (逾期未签收), most overdue first. */
class SilentNodesPresenter(ctx: ShellContext, private val pageSize: UInt = 50u) : Presenter<SilentNodesState>(SilentNodesState(), ctx) {
    init {
        refreshOn(ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        when (val r = core { silentNodesForMe(0u, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    rows = r.value.items.map { c ->
                        SilentRow(c.directiveId, "${c.kindLabel} · ${c.directiveTitle}", "${c.levelLabel} ${c.nodeName} · ${s.lateBy(c.overdueMs)}")
                    },
                    total = r.value.total.toLong(),
                    nextOffset = r.value.nextOffset,
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }
}
