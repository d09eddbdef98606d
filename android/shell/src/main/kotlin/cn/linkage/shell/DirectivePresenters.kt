package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.AckMeans
import cn.linkage.core.DirectiveCoverage
import cn.linkage.core.DirectiveSummary
import cn.linkage.core.HouseholdAcknowledgement

data class InboxState(
    val loading: Boolean = false,
    val rows: List<DirectiveRow> = emptyList(),
    val total: Long = 0,
    val nextOffset: UInt? = null,
    val busyId: String? = null,
    val error: UiError? = null,
    /** 下达指令 is offered (county, township, branch: the core's capability). */
    val canCompose: Boolean = false,
    /** The units directly below me silent past their window (逾期未签收, the core's flags), with 催办. */
    val silentChildren: List<SilentChildRow> = emptyList(),
    /** What the last 催办 did (已催办 …). */
    val notice: String? = null,
)

/** A unit below me that has not signed for a directive past its window: [directiveId] + [nodeId] for 催办. */
data class SilentChildRow(val directiveId: String, val nodeId: String, val nodeText: String, val detail: String)

/** Directives reaching my node, a page at a time: acknowledge (签收) and relay (转发) down the chain. */
class DirectiveInboxPresenter(ctx: ShellContext, private val pageSize: UInt = 50u) : Presenter<InboxState>(InboxState(), ctx) {
    init {
        refreshOn(ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val can = core { session() }.getOr { e -> update { it.copy(error = e) } }?.capabilities
        val silent = core { silentNodesForMe(0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        when (val r = core { directiveInbox(0u, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(
                    loading = false,
                    rows = r.value.items.map { d -> d.toRow(s, fmt) },
                    total = r.value.total.toLong(),
                    nextOffset = r.value.nextOffset,
                    canCompose = can?.issueDirectives == true,
                    silentChildren = silent?.items?.map { c ->
                        SilentChildRow(c.directiveId, c.nodeId, "${c.levelLabel} ${c.nodeName}", s.silentFor(c.directiveTitle, c.overdueMs / 3_600_000L))
                    } ?: it.silentChildren,
                )
            }
            is Outcome.Failed -> update { it.copy(loading = false, error = r.error) }
        }
    }

    /** 催办 one unit below me that is silent past its window; its phones show it after their next sync. */
    suspend fun remind(directiveId: String, nodeId: String) {
        update { it.copy(busyId = nodeId, error = null, notice = null) }
        when (val r = core { remindNode(directiveId, nodeId) }) {
            is Outcome.Ok -> update { it.copy(busyId = null, notice = s.remindedCount(1u)) }
            is Outcome.Failed -> update { it.copy(busyId = null, error = r.error) }
        }
    }

    suspend fun loadMore() {
        val offset = state.value.nextOffset ?: return
        if (state.value.loading) return
        update { it.copy(loading = true) }
        when (val r = core { directiveInbox(offset, pageSize) }) {
            is Outcome.Ok -> update {
                it.copy(loading = false, rows = it.rows + r.value.items.map { d -> d.toRow(s, fmt) }, total = r.value.total.toLong(), nextOffset = r.value.nextOffset)
            }
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

/** A household on the acknowledgement list; [recorded] is how, when and by whom it was told (`null`: untold). */
data class AckRow(val household: HouseholdRow, val recorded: String?)

/**
 * [silent]: the silent nodes loaded so far (a page at a time, [silentNextOffset] for more), of [silentTotalText];
 * [tasksCompletedText]: how many nodes in view reported a task done (tasks only).
 */
data class CoverageView(
    val levels: List<String>,
    val silent: List<SilentUnitRow>,
    val silentTotalText: String? = null,
    val silentNextOffset: UInt? = null,
    val tasksCompletedText: String? = null,
    /** 全部已签收 when no unit in view is silent. */
    val allAcknowledgedText: String? = null,
    /** 一键催办 is offered (silent units below me). */
    val canRemind: Boolean = false,
)

/** A silent unit of a directive's area: `乡镇 石堡镇`, and when it was last reminded (催办). */
data class SilentUnitRow(val nodeId: String, val text: String, val remindedText: String?)

/** A node's completion report as the issuer reviews it: 通过 / 退回 only when [canReview]. */
data class TaskReportView(
    val nodeId: String,
    val title: String,
    val note: String,
    val statusText: String,
    val reasonText: String?,
    val photoHashes: List<String>,
    val canReview: Boolean,
)

data class DirectiveDetailState(
    val loading: Boolean = false,
    val directive: DirectiveRow? = null,
    /** The households of the directive's area in my scope, the untold first, a page at a time. */
    val households: List<AckRow> = emptyList(),
    val householdsText: String? = null,
    val householdsNextOffset: UInt? = null,
    val meansOptions: List<Option<AckMeans>> = emptyList(),
    val coverage: CoverageView? = null,
    val busyHouseholdId: String? = null,
    val error: UiError? = null,
    /** The task's completion reports (the issuer reviews them), waiting ones first. */
    val reports: List<TaskReportView> = emptyList(),
    val reportsNextOffset: UInt? = null,
    /** The report being sent back (退回): its node and the reason typed so far. */
    val sendingBackNodeId: String? = null,
    val sendBackReason: String = "",
    /** The issuer's photos, thumbnails fetched by the core. */
    val photos: List<PhotoView> = emptyList(),
    /** What the last 催办 did. */
    val notice: String? = null,
    val busy: Boolean = false,
) {
    /**
     * 上报完成情况 (task directives, once my node acknowledged, as the core says): opens the draft form
     * [taskCompletionForm], which the core keeps as the user types.
     */
    val canReportCompletion get() = directive?.showReportCompletion == true
}

/** The completion report of a task directive (任务完成情况) as a core draft form: note and photos. */
fun taskCompletionForm(ctx: ShellContext, directiveId: String) = DraftFormPresenter(ctx) { startTaskCompletionDraft(directiveId) }

/**
 * One directive: for a liaison head, the group's households and recording each one's acknowledgement
 * (入户/电话/当面); for the issuing staff, the coverage per level and the silent nodes; for a task, once
 * acknowledged, the way to my node's completion report ([taskCompletionForm], a draft form).
 */
class DirectiveDetailPresenter(ctx: ShellContext, val directiveId: String, private val pageSize: UInt = 50u) :
    Presenter<DirectiveDetailState>(DirectiveDetailState(), ctx) {

    init {
        update { it.copy(meansOptions = AckMeans.entries.map { m -> Option(m, s.ackMeans(m)) }) }
        refreshOn(ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val session = core { session() }.getOr { e -> update { it.copy(error = e) } }
        val can = session?.capabilities
        val directive = core { directive(directiveId) }.getOr { e -> update { it.copy(error = e) } }
        // Coverage for the issuer, and for the levels above that do not tell households themselves (a branch
        // chases its silent groups from the inbox's 逾期未签收的下级 and tells its households here).
        val mine = directive != null && directive.issuerNodeId == session?.nodeId
        val coverage = if (can?.issueDirectives == true && (mine || can?.recordHouseholdAcks != true)) {
            core { directiveCoverage(directiveId) }.getOr { e -> update { it.copy(error = e) } }
        } else null
        val silent = if (coverage != null) {
            core { directiveSilentNodes(directiveId, 0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        } else null
        val reports = if (directive?.kind == cn.linkage.core.DirectiveKind.TASK && coverage != null) {
            core { directiveTaskReports(directiveId, 0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        } else null
        val photos = directive?.evidence?.map { hash ->
            when (val r = coreAsync { evidenceThumbnail(hash) }) {
                is Outcome.Ok -> PhotoView(hash, r.value, false)
                is Outcome.Failed -> PhotoView(hash, null, false, r.error.message)
            }
        }
        update { st ->
            st.copy(
                loading = false,
                directive = directive?.toRow(s, fmt) ?: st.directive,
                coverage = coverage?.toView(directive?.kind == cn.linkage.core.DirectiveKind.TASK, silent) ?: st.coverage,
                reports = reports?.items?.map { it.toView() } ?: st.reports,
                reportsNextOffset = reports?.nextOffset ?: st.reportsNextOffset,
                photos = photos ?: st.photos,
            )
        }
        if (can?.recordHouseholdAcks == true) loadHouseholds(0u)
    }

    /** 一键催办: every unit of the area below me that has not signed for it; they see it after their next sync. */
    suspend fun remindSilent() {
        update { it.copy(busy = true, error = null, notice = null) }
        when (val r = core { remindSilentNodes(directiveId) }) {
            is Outcome.Ok -> { update { it.copy(busy = false, notice = s.remindedCount(r.value)) }; reloadSilent() }
            is Outcome.Failed -> update { it.copy(busy = false, error = r.error) }
        }
    }

    /** 催办 one silent unit. */
    suspend fun remindNode(nodeId: String) {
        update { it.copy(busy = true, error = null, notice = null) }
        when (val r = core { remindNode(directiveId, nodeId) }) {
            is Outcome.Ok -> { update { it.copy(busy = false, notice = s.remindedCount(1u)) }; reloadSilent() }
            is Outcome.Failed -> update { it.copy(busy = false, error = r.error) }
        }
    }

    private suspend fun reloadSilent() {
        val cov = state.value.coverage ?: return
        val loaded = cov.silent.size.toUInt().coerceAtLeast(pageSize)
        val page = core { directiveSilentNodes(directiveId, 0u, loaded) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { st -> st.copy(coverage = cov.copy(silent = page.items.map { it.toSilentRow() }, silentNextOffset = page.nextOffset)) }
    }

    /** 通过: accept a node's waiting completion report. */
    suspend fun accept(nodeId: String) = review(nodeId, true, "")

    /** 退回: opens the reason field for a node's report. */
    fun startSendBack(nodeId: String) = update { it.copy(sendingBackNodeId = nodeId, sendBackReason = "", error = null) }
    fun setSendBackReason(v: String) = update { it.copy(sendBackReason = v, error = null) }
    fun cancelSendBack() = update { it.copy(sendingBackNodeId = null, sendBackReason = "") }

    /** 确认退回: the core checks the reason (required) and that the report still waits. */
    suspend fun confirmSendBack() {
        val nodeId = state.value.sendingBackNodeId ?: return
        review(nodeId, false, state.value.sendBackReason)
    }

    private suspend fun review(nodeId: String, accept: Boolean, reason: String) {
        update { it.copy(busy = true, error = null) }
        when (val r = core { reviewTaskReport(directiveId, nodeId, accept, reason) }) {
            is Outcome.Ok -> {
                val page = core { directiveTaskReports(directiveId, 0u, state.value.reports.size.toUInt().coerceAtLeast(pageSize)) }
                    .getOr { e -> update { it.copy(error = e) } }
                val directive = core { directive(directiveId) }.getOr { e -> update { it.copy(error = e) } }
                update { st ->
                    st.copy(
                        busy = false,
                        sendingBackNodeId = null,
                        sendBackReason = "",
                        reports = page?.items?.map { it.toView() } ?: st.reports,
                        reportsNextOffset = page?.nextOffset,
                        directive = directive?.toRow(s, fmt) ?: st.directive,
                    )
                }
            }
            is Outcome.Failed -> update { it.copy(busy = false, error = r.error) }
        }
    }

    /** The next page of completion reports. */
    suspend fun loadMoreReports() {
        val offset = state.value.reportsNextOffset ?: return
        val page = core { directiveTaskReports(directiveId, offset, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { st -> st.copy(reports = st.reports + page.items.map { it.toView() }, reportsNextOffset = page.nextOffset) }
    }

    private fun cn.linkage.core.TaskReportSummary.toView() = TaskReportView(
        nodeId = nodeId,
        title = s.reportBy("$levelLabel $nodeName", reportedByName, fmt.dateTime(atMs)),
        note = note,
        statusText = statusLabel,
        reasonText = reviewReason,
        photoHashes = evidence,
        canReview = canReview,
    )

    private fun cn.linkage.core.SilentNode.toSilentRow() = SilentUnitRow(nodeId, "$levelLabel $name", remindedAtMs?.let { s.remindedAt(fmt.dateTime(it)) })

    /** The next page of households (untold first). */
    suspend fun loadMoreHouseholds() {
        state.value.householdsNextOffset?.let { loadHouseholds(it) }
    }

    /** The next page of silent nodes. */
    suspend fun loadMoreSilent() {
        val cov = state.value.coverage ?: return
        val offset = cov.silentNextOffset ?: return
        val page = core { directiveSilentNodes(directiveId, offset, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { st -> st.copy(coverage = cov.copy(silent = cov.silent + page.items.map { n -> n.toSilentRow() }, silentNextOffset = page.nextOffset)) }
    }

    private suspend fun loadHouseholds(offset: UInt) {
        val page = core { directiveHouseholds(directiveId, offset, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { st ->
            val rows = page.items.map { it.toAckRow() }
            st.copy(
                households = if (offset == 0u) rows else st.households + rows,
                householdsText = s.householdsAcked(page.acknowledged.toUInt(), page.total.toUInt()),
                householdsNextOffset = page.nextOffset,
            )
        }
    }

    suspend fun recordAck(householdId: String, means: AckMeans) {
        update { it.copy(busyHouseholdId = householdId, error = null) }
        when (val r = core { recordHouseholdAck(directiveId, householdId, means) }) {
            is Outcome.Ok -> {
                update { st -> st.copy(busyHouseholdId = null, directive = r.value.toRow(s, fmt)) }
                // The list as the core has it now: when, how and by whom, and the new count.
                val loaded = state.value.households.size.toUInt().coerceAtLeast(pageSize)
                val page = core { directiveHouseholds(directiveId, 0u, loaded) }.getOr { e -> update { it.copy(error = e) } } ?: return
                update { st ->
                    st.copy(
                        households = page.items.map { it.toAckRow() },
                        householdsText = s.householdsAcked(page.acknowledged.toUInt(), page.total.toUInt()),
                        householdsNextOffset = page.nextOffset,
                    )
                }
            }
            is Outcome.Failed -> update { it.copy(busyHouseholdId = null, error = r.error) }
        }
    }

    private fun HouseholdAcknowledgement.toAckRow() = AckRow(
        household.toRow(),
        acknowledgement?.let { a -> s.ackRecorded(a.meansLabel, fmt.dateTime(a.atMs), a.recordedByName) },
    )

    private fun DirectiveCoverage.toView(task: Boolean, silent: cn.linkage.core.SilentNodePage?) = CoverageView(
        levels = levels.map { s.levelCoverage(it.levelLabel, it.acknowledged, it.total, it.percentText) },
        silent = silent?.items?.map { it.toSilentRow() } ?: emptyList(),
        silentTotalText = if (silentTotal > 0u) s.silentTotal(silentTotal.toULong()) else null,
        silentNextOffset = silent?.nextOffset,
        tasksCompletedText = if (task || tasksCompleted > 0u) s.tasksCompleted(tasksCompleted) else null,
        allAcknowledgedText = if (silentTotal == 0u) s.allAcknowledged else null,
        canRemind = silentTotal > 0u,
    )
}

data class ComposerState(
    val loading: Boolean = false,
    /** Where the directive may go: my whole area first, then the org tree below it (from the core), indented. */
    val targetOptions: List<Option<String>> = emptyList(),
    val targetsNextOffset: UInt? = null,
    val targetId: String? = null,
    val kind: cn.linkage.core.DirectiveKind = cn.linkage.core.DirectiveKind.NOTICE,
    val kindOptions: List<Option<cn.linkage.core.DirectiveKind>> = emptyList(),
    val title: String = "",
    val body: String = "",
    /** A due time in hours from now (tasks need one; the core checks). */
    val dueInHours: UInt? = null,
    /** The due times offered (tasks need one; the core checks): hours from now. */
    val dueOptions: List<Option<UInt?>> = emptyList(),
    /** Photos added so far (through the core's evidence pipeline). */
    val photos: List<PhotoView> = emptyList(),
    val sending: Boolean = false,
    val issued: DirectiveRow? = null,
    val error: UiError? = null,
) {
    /** Whether the title and texts are acceptable is the core's to say on send (its error names the field). */
    val canSend get() = !sending && issued == null && targetId != null
}

/**
 * The directive composer (county and township staff, a branch for its groups): the target picked from the org
 * tree the core returns (`orgTree`, a page at a time — never a typed node id), the kind, title, full text, photos
 * and due time.
 */
class DirectiveComposerPresenter(ctx: ShellContext, private val depth: UInt = 2u, private val pageSize: UInt = 100u) :
    Presenter<ComposerState>(ComposerState(), ctx) {

    init {
        update {
            it.copy(
                kindOptions = cn.linkage.core.DirectiveKind.entries.map { k -> Option(k, s.directiveKind(k)) },
                dueOptions = listOf(Option<UInt?>(null, s.noDue)) + listOf(2u, 6u, 24u, 72u, 168u).map { h -> Option<UInt?>(h, s.dueInHours(h)) },
            )
        }
    }

    /** A photo from the camera or gallery: the core watermarks, stores and names it by its hash. */
    suspend fun addPhoto(path: String): Boolean {
        update { it.copy(error = null) }
        return when (val r = core { addEvidence(path, null, null) }) {
            is Outcome.Ok -> { update { it.copy(photos = it.photos + PhotoView(r.value.hash, r.value.thumbnailPath, true)) }; true }
            is Outcome.Failed -> { update { it.copy(error = r.error) }; false }
        }
    }

    fun removePhoto(hash: String) = update { it.copy(photos = it.photos.filterNot { p -> p.hash == hash }) }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val session = core { session() }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: run {
            update { it.copy(loading = false) }
            return
        }
        val page = core { orgTree(null, depth, 0u, pageSize) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        update {
            it.copy(
                loading = false,
                targetOptions = listOf(Option(session.nodeId, s.wholeArea(session.nodeName))) + page.items.map { n -> n.toOption() },
                targetsNextOffset = page.nextOffset,
                targetId = it.targetId ?: session.nodeId,
            )
        }
    }

    suspend fun loadMoreTargets() {
        val offset = state.value.targetsNextOffset ?: return
        val page = core { orgTree(null, depth, offset, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { it.copy(targetOptions = it.targetOptions + page.items.map { n -> n.toOption() }, targetsNextOffset = page.nextOffset) }
    }

    fun setTarget(id: String) = update { it.copy(targetId = id, error = null) }
    fun setKind(k: cn.linkage.core.DirectiveKind) = update { it.copy(kind = k) }
    fun setTitle(v: String) = update { it.copy(title = v, error = null) }
    fun setBody(v: String) = update { it.copy(body = v, error = null) }
    fun setDueInHours(h: UInt?) = update { it.copy(dueInHours = h, error = null) }

    /** 下达: the core checks who may issue where, the texts and the due time. */
    suspend fun send(): DirectiveRow? {
        val f = state.value
        val target = f.targetId ?: return null
        if (!f.canSend) return null
        update { it.copy(sending = true, error = null) }
        val due = f.dueInHours?.let { ctx.clock() + it.toLong() * 3_600_000L }
        val draft = cn.linkage.core.DirectiveDraft(target, f.kind, f.title, f.body, due, f.photos.map { it.hash })
        return when (val r = core { issueDirective(draft) }) {
            is Outcome.Ok -> r.value.toRow(s, fmt).also { row -> update { it.copy(sending = false, issued = row) } }
            is Outcome.Failed -> { update { it.copy(sending = false, error = r.error) }; null }
        }
    }

    private fun cn.linkage.core.OrgNode.toOption() = Option(nodeId, "\u3000".repeat(depth.toInt() - 1) + "$levelLabel $name")
}
