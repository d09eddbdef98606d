package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.IssueFilter

// The branch secretary's (支部书记) home, ADR 0008: the issues that landed at the village branch (the core's
// `issueQueue`: issues owned by the user's node, deadline first, with the core's filter chips) and the issues the
// township gave the secretary to work (`assignedToMe`). Opening one shows the same issue page as the township's,
// its buttons the core's action specs (受理, 交办, 办结, 回访, 上报乡镇, ...): nothing about them is decided here.

data class BranchHomeState(
    /** 本村待办: the branch's own queue. */
    val queue: IssueListState = IssueListState(),
    /** 交办给我的: issues the township (or the branch itself) assigned to the secretary. */
    val assigned: List<IssueRow> = emptyList(),
)

class BranchHomePresenter(ctx: ShellContext, private val pageSize: UInt = 50u) :
    Presenter<BranchHomeState>(BranchHomeState(), ctx) {
    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.SESSION) { load() }
    }

    suspend fun setFilter(filter: IssueFilter) {
        update { it.copy(queue = it.queue.copy(filter = filter)) }
        load()
    }

    suspend fun load() {
        val filter = state.value.queue.filter
        update { it.copy(queue = it.queue.copy(loading = true, error = null)) }
        if (state.value.queue.filters.isEmpty()) {
            core { issueFilters() }.getOr { }?.let { f -> update { it.copy(queue = it.queue.copy(filters = f)) } }
        }
        val warning = core { calendarWarning() }.getOr { }
        val assigned = core { assignedToMe(0u, pageSize) }.getOr { e -> update { it.copy(queue = it.queue.copy(error = e)) } }
        when (val r = core { issueQueue(filter, 0u, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    queue = it.queue.copy(
                        loading = false,
                        calendarWarning = warning?.message,
                        rows = r.value.items.map { i -> i.toRow(s, fmt) },
                        total = r.value.total.toLong(),
                        nextOffset = r.value.nextOffset,
                    ),
                    assigned = assigned?.items?.map { i -> i.toRow(s, fmt) } ?: it.assigned,
                )
            }
            is Outcome.Failed -> update { it.copy(queue = it.queue.copy(loading = false, error = r.error)) }
        }
    }

    suspend fun loadMore() {
        val current = state.value.queue
        val offset = current.nextOffset ?: return
        if (current.loading) return
        update { it.copy(queue = it.queue.copy(loading = true)) }
        when (val r = core { issueQueue(current.filter, offset, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    queue = it.queue.copy(
                        loading = false,
                        rows = it.queue.rows + r.value.items.map { i -> i.toRow(s, fmt) },
                        total = r.value.total.toLong(),
                        nextOffset = r.value.nextOffset,
                    ),
                )
            }
            is Outcome.Failed -> update { it.copy(queue = it.queue.copy(loading = false, error = r.error)) }
        }
    }
}
