package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueDraft
import cn.linkage.core.IssueFilter
import cn.linkage.core.IssueQuery
import cn.linkage.core.IssueState
import cn.linkage.core.OverviewFilter
import cn.linkage.core.SubmittedRecord
import cn.linkage.core.Urgency
import cn.linkage.core.VisitKind
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// 乡镇的一天 (the township day of issue #11) on the host JVM over the real core, driven through the presenters as
// the shells use them (fixture county, one phone switching users as BranchDayTest does: lh at 一组 (h1, h2), lh2 at
// 二组 (h3, h5), gw at 石堡村, ts at 石堡镇, cs at the county). Five new reports are triaged with the pickers (交办
// to a person the core offers), one merged from the core's suggestion; a second reporter of the same matter joins
// it from the report form (是这件，不重复上报) with a note and a photo that reach the issue's timeline; one is
// resolved with a photo and verified after a GPS 回访 at the household; one extension is requested and approved
// by the county from its 待我审批, which also gathers the task report waiting for the county. The Rust twin with a
// server is `township_day` (tests/tests/integration/township_day.rs).

/** A fix standing at h1 (35.58, 109.26), taken now. */
private fun atH1() = GpsFix(lat = 35.5801, lon = 109.2601, accuracyM = 8.0, fixTimeMs = System.currentTimeMillis(), mocked = false)

fun townshipDay() = Phone().use { p ->
    fun report(household: String, category: IssueCategory, title: String): String =
        p.app.reportIssue(IssueDraft(category, Urgency.NORMAL, title, "群众反映", household)).id

    // Five new reports from the villages; the coal shortage twice.
    p.app.signIn("lh")
    val coal = report("h1", IssueCategory.LIVELIHOOD_AID, "冬季取暖缺煤")
    val road = report("h2", IssueCategory.INFRASTRUCTURE, "村道塌陷")
    val coalAgain = report("h1", IssueCategory.LIVELIHOOD_AID, "张家又说没煤了")
    p.app.signIn("lh2")
    val wall = report("h3", IssueCategory.SAFETY_HAZARD, "危房墙体开裂")
    val pipe = report("h5", IssueCategory.SANITATION, "垃圾堆放点满溢")

    // The grid worker sees the coal shortage too: the report form offers the existing issue, and joining it
    // keeps what was typed and photographed (补充反映) instead of filing a sixth.
    p.app.signIn("gw")
    val form = ReportIssuePresenter(p.ctx, "h1")
    runBlocking {
        assertTrue(form.open())
        form.pickCategory(IssueCategory.LIVELIHOOD_AID)
        form.setTitle("张建国家没煤")
        form.setDescription("老人独居，屋里很冷")
        assertTrue(form.addPhoto(cameraPhoto(p.dir, "stove.jpg").path), "${form.state.value.error}")
    }
    assertTrue(coal in form.state.value.duplicates.map { it.issue.id }, "${form.state.value.duplicates}")
    assertEquals(coal, runBlocking { form.joinExisting(coal) }?.id)
    assertTrue(p.app.drafts().isEmpty())

    // 分拨: the township's queue lists the five, deadline first.
    p.app.signIn("ts")
    val triage = TriagePresenter(p.ctx)
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(setOf(coal, road, coalAgain, wall, pipe), triage.state.value.rows.map { it.id }.toSet())
    // The joined note and photo are on the coal issue's page, in its timeline.
    val coalPage = IssuePresenter(p.ctx, coal)
    runBlocking { coalPage.load() }
    val joined = coalPage.state.value.timeline.single { it.action == IssueActionKind.JOIN }
    assertEquals(listOf("补充反映", "网格员", "张建国家没煤：老人独居，屋里很冷"), listOf(joined.label, joined.actor, joined.detail))
    assertEquals(1, joined.photoHashes.size)
    assertEquals(joined.photoHashes, coalPage.state.value.reportPhotos.map { it.hash }, "the photo joins the report's")
    assertTrue(coalPage.state.value.actions.none { it.kind == IssueActionKind.JOIN }, "never a button on the page")

    // 合并 from the core's suggestion (no typed id).
    val dup = IssuePresenter(p.ctx, coalAgain)
    runBlocking { dup.load() }
    val suggestion = dup.state.value.mergeOptions.single { it.suggested }
    assertEquals(coal, suggestion.issueId)
    assertTrue(runBlocking { dup.perform(IssueActionKind.MERGE, ActionForm(otherIssueId = suggestion.issueId)) })
    assertEquals(IssueState.MERGED, p.app.issue(coalAgain).summary.state)

    // 受理 and 交办 the other four, each to a person picked from the core's list.
    for (id in listOf(coal, road, wall, pipe)) {
        val page = IssuePresenter(p.ctx, id)
        runBlocking { page.load() }
        assertTrue(runBlocking { page.perform(IssueActionKind.ACCEPT) }, "${page.state.value.error}")
        val person = page.state.value.assigneeOptions.first { it.value == "gw" }
        assertTrue(person.label.contains("在办"), person.label)
        assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = person.value)) }, "${page.state.value.error}")
    }
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(emptyList(), triage.state.value.rows, "nothing left to triage")

    // The grid worker resolves the coal shortage with a photo (the 办结 draft form).
    p.app.signIn("gw")
    val gwPage = IssuePresenter(p.ctx, coal)
    runBlocking { gwPage.load() }
    assertTrue(runBlocking { gwPage.perform(IssueActionKind.START) })
    val resolve = actionDraftForm(p.ctx, coal, IssueActionKind.RESOLVE)
    assertTrue(runBlocking { resolve.open() })
    resolve.setNotes("已送煤 500 公斤，炉子已检修")
    assertTrue(runBlocking { resolve.addPhoto(cameraPhoto(p.dir, "coal.jpg").path) })
    val resolved = runBlocking { resolve.submit() } as SubmittedRecord.Issue
    assertEquals(IssueState.RESOLVED, resolved.issue.state)

    // 回访 at the household with a GPS fix: the satisfaction answer closes it and a return visit is recorded.
    p.app.signIn("ts")
    runBlocking { coalPage.load() }
    assertEquals(1, coalPage.state.value.resolutionPhotos.size, "the resolution's photo")
    val verify = actionDraftForm(p.ctx, coal, IssueActionKind.VERIFY)
    assertTrue(runBlocking { verify.open() })
    verify.onFix(atH1())
    verify.setChoice(verify.state.value.choices.first { it.label == "满意" }.value)
    verify.setNotes("群众满意，煤够过冬")
    val closed = runBlocking { verify.submit() } as SubmittedRecord.Issue
    assertEquals(IssueState.CLOSED, closed.issue.state)
    val visit = p.app.householdVisitPage("h1", 0u, 10u).items.single { it.issueId == coal }
    assertEquals(VisitKind.RETURN_VISIT, visit.kind)
    assertEquals("在现场", visit.verdictLabel)

    // 申请延期 on the road (the county decides).
    val roadPage = IssuePresenter(p.ctx, road)
    runBlocking { roadPage.load() }
    assertTrue(runBlocking { roadPage.perform(IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "需交通局鉴定", workingDays = 5u)) }, "${roadPage.state.value.error}")

    // A task the county set is reported done by the township: it waits for the county too.
    p.app.signIn("cs")
    val task = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.TASK, "排查危房", "三日内排查全部危房，上报照片。", System.currentTimeMillis() + 72 * 3_600_000L))
    p.app.signIn("ts")
    val inbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { inbox.load(); inbox.acknowledge(task.id) }
    val done = taskCompletionForm(p.ctx, task.id)
    assertTrue(runBlocking { done.open() })
    done.setNotes("已排查 12 户，2 户需加固")
    assertNotNull(runBlocking { done.submit() }, "${done.state.value.error}")

    // The county: 待我审批 on the dashboard counts both; the overview lists the extension and the task report.
    p.app.signIn("cs")
    val dashboard = DashboardPresenter(p.ctx)
    runBlocking { dashboard.load() }
    val waitingFigure = assertNotNull(dashboard.state.value.own).figures.single { it.label == "待我审批" }
    assertEquals("2", waitingFigure.value)
    val waiting = OverviewPresenter(p.ctx, IssueQuery(null, OverviewFilter.WAITING_FOR_ME))
    runBlocking { waiting.load() }
    assertNull(waiting.state.value.error)
    assertEquals(listOf(road), waiting.state.value.rows.map { it.id })
    val report = waiting.state.value.taskReports.single()
    assertEquals(listOf(task.id, "排查危房"), listOf(report.directiveId, report.title))
    assertTrue(report.detail.startsWith("乡镇 石堡镇 · "), report.detail)

    // 延期审批 from the issue page: 同意.
    val countyPage = IssuePresenter(p.ctx, road)
    runBlocking { countyPage.load() }
    val decide = countyPage.state.value.actions.single { it.kind == IssueActionKind.DECIDE_EXTENSION }
    val approve = decide.choices.first { it.label == "同意延期" }
    assertTrue(runBlocking { countyPage.perform(IssueActionKind.DECIDE_EXTENSION, ActionForm(choice = approve.id, text = "同意延期 5 个工作日")) })
    assertNull(p.app.issue(road).summary.pendingExtensionDays)
    assertTrue(countyPage.state.value.timeline.last().detail.startsWith("同意"), countyPage.state.value.timeline.last().detail)

    // The task report opens its directive's page, where the county accepts it.
    val review = DirectiveDetailPresenter(p.ctx, report.directiveId)
    runBlocking { review.load() }
    val waitingReport = review.state.value.reports.single { it.nodeId == report.nodeId }
    assertTrue(waitingReport.canReview)
    runBlocking { review.accept(waitingReport.nodeId) }
    assertNull(review.state.value.error)
    assertEquals("已通过", review.state.value.reports.single().statusText)
    runBlocking { waiting.load(); dashboard.load() }
    assertEquals(emptyList(), waiting.state.value.rows)
    assertEquals(emptyList(), waiting.state.value.taskReports)
    assertEquals("0", dashboard.state.value.own!!.figures.single { it.label == "待我审批" }.value)
}
