package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.DirectiveKind
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueFilter
import cn.linkage.core.IssueQuery
import cn.linkage.core.IssueState
import cn.linkage.core.OverviewFilter
import cn.linkage.core.SubmittedRecord
import cn.linkage.core.VisitKind
import kotlinx.coroutines.runBlocking
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// 乡镇的一天 (the township day of issue #11): five phones — the liaison heads of 一组 (lh: h1, h2) and 二组 (lh2:
// h3, h5), 石堡村's grid worker (gw), 石堡镇 (ts) and the county (cs) — each its own FieldApp and data directory,
// syncing through a real `linkage-server serve` on loopback (CountyServer), driven through the presenters as the
// shells use them. Five new reports come from the report form; the grid worker, offered the coal shortage on his
// own report form, joins it with a note and a photo (是这件，不重复上报). The township triages the five from its
// queue with the pickers: 交办 to a person the core offers with the load they carry, one 合并 into the core's
// suggestion. The grid worker resolves one with a photo (办结 form); the township verifies it on a GPS 回访 at the
// household, which becomes a return visit the county sees. The township asks for an extension and reports a
// county task done; the county finds both under 待我审批 (dashboard and overview), approves the extension and
// accepts the report, and the township sees both decisions after its sync. No id is typed: every id comes from a
// queue, a picker or a list the core returned. The Rust twin is `township_day` (tests/tests/integration/township_day.rs).

/** A fix standing at h1 (35.58, 109.26), taken now. */
private fun atH1() = GpsFix(lat = 35.5801, lon = 109.2601, accuracyM = 8.0, fixTimeMs = System.currentTimeMillis(), mocked = false)

/** Files a report from the household's report form (上报), as the liaison head does on the phone. */
private fun report(p: DayPhone, household: String, category: IssueCategory, title: String): IssueRow {
    val form = ReportIssuePresenter(p.ctx, household)
    runBlocking {
        assertTrue(form.open(), "${form.state.value.error}")
        form.pickCategory(category)
        form.setTitle(title)
        form.setDescription("群众反映：$title")
    }
    return assertNotNull(runBlocking { form.submit() }, "${form.state.value.error}")
}

fun townshipDay() = CountyServer().use { server ->
    val lh = server.phone("lh")
    val lh2 = server.phone("lh2")
    val gw = server.phone("gw")
    val ts = server.phone("ts")
    val cs = server.phone("cs")

    // Morning: five new reports from the villages; the coal shortage twice (the second reporter is offered the
    // first on the form, and files a report of its own all the same).
    val coal = report(lh, "h1", IssueCategory.LIVELIHOOD_AID, "冬季取暖缺煤").id
    val road = report(lh, "h2", IssueCategory.INFRASTRUCTURE, "村道塌陷").id
    val again = ReportIssuePresenter(lh.ctx, "h1")
    runBlocking { again.open(); again.pickCategory(IssueCategory.LIVELIHOOD_AID); again.setTitle("张家又说没煤了") }
    assertEquals(listOf(coal), again.state.value.duplicates.map { it.issue.id }, "the form offers the first")
    val coalAgain = assertNotNull(runBlocking { again.submit() }, "${again.state.value.error}").id
    lh.sync()
    val wall = report(lh2, "h3", IssueCategory.SAFETY_HAZARD, "危房墙体开裂").id
    val pile = report(lh2, "h5", IssueCategory.SANITATION, "垃圾堆放点满溢").id
    lh2.sync()

    // The grid worker sees the coal shortage too: his report form offers the existing issue, and joining it
    // keeps what was typed and photographed (补充反映) instead of filing a sixth.
    gw.sync()
    val form = ReportIssuePresenter(gw.ctx, "h1")
    runBlocking {
        assertTrue(form.open())
        form.pickCategory(IssueCategory.LIVELIHOOD_AID)
        form.setTitle("张建国家没煤")
        form.setDescription("老人独居，屋里很冷")
        assertTrue(form.addPhoto(cameraPhoto(gw.dir, "stove.jpg").path), "${form.state.value.error}")
    }
    assertTrue(coal in form.state.value.duplicates.map { it.issue.id }, "${form.state.value.duplicates}")
    assertEquals(coal, runBlocking { form.joinExisting(coal) }?.id)
    assertTrue(gw.app.drafts().isEmpty(), "no second issue, no draft left")
    gw.sync()

    // 分拨: the township's queue lists the five.
    ts.sync()
    val triage = TriagePresenter(ts.ctx)
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(setOf(coal, road, coalAgain, wall, pile), triage.state.value.rows.map { it.id }.toSet())
    // The joined note and photo are on the coal issue's page, in its timeline (the photo fetched from the server).
    val coalPage = IssuePresenter(ts.ctx, coal)
    runBlocking { coalPage.load() }
    val joined = coalPage.state.value.timeline.single { it.action == IssueActionKind.JOIN }
    assertEquals(listOf("补充反映", "网格员", "张建国家没煤：老人独居，屋里很冷"), listOf(joined.label, joined.actor, joined.detail))
    assertEquals(joined.photoHashes, coalPage.state.value.reportPhotos.map { it.hash }, "the photo joins the report's")
    assertTrue(File(assertNotNull(coalPage.state.value.reportPhotos.single().thumbnailPath)).exists())

    // 合并 from the core's suggestion (no typed id).
    val dup = IssuePresenter(ts.ctx, coalAgain)
    runBlocking { dup.load() }
    val suggestion = dup.state.value.mergeOptions.single { it.suggested }
    assertEquals(coal, suggestion.issueId)
    assertTrue(runBlocking { dup.perform(IssueActionKind.MERGE, ActionForm(otherIssueId = suggestion.issueId)) }, "${dup.state.value.error}")
    assertEquals("已合并", dup.state.value.header!!.stateLabel)

    // 受理 and 交办 the other four, each to the grid worker picked from the core's list, which shows the work he
    // already carries.
    val loads = mutableListOf<String>()
    for (id in listOf(coal, road, wall, pile)) {
        val page = IssuePresenter(ts.ctx, id)
        runBlocking { page.load() }
        assertTrue(runBlocking { page.perform(IssueActionKind.ACCEPT) }, "${page.state.value.error}")
        assertTrue(page.state.value.actions.single { it.kind == IssueActionKind.ASSIGN }.needsPerson)
        val person = page.state.value.assigneeOptions.first { it.value == "gw" }
        loads += person.label.substringAfterLast(" · ")
        assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = person.value)) }, "${page.state.value.error}")
    }
    assertEquals(listOf("在办 0 件", "在办 1 件", "在办 2 件", "在办 3 件"), loads)
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(emptyList(), triage.state.value.rows, "nothing left to triage")
    // The road needs more time: 申请延期 (the county decides).
    val roadPage = IssuePresenter(ts.ctx, road)
    runBlocking { roadPage.load() }
    assertTrue(runBlocking { roadPage.perform(IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "需交通局鉴定", workingDays = 5u)) }, "${roadPage.state.value.error}")
    ts.sync()

    // The grid worker resolves the coal shortage with a photo (the 办结 draft form), on his own phone.
    gw.sync()
    val gwPage = IssuePresenter(gw.ctx, coal)
    runBlocking { gwPage.load() }
    assertTrue(runBlocking { gwPage.perform(IssueActionKind.START) }, "${gwPage.state.value.error}")
    val resolve = actionDraftForm(gw.ctx, coal, IssueActionKind.RESOLVE)
    assertTrue(runBlocking { resolve.open() })
    resolve.setNotes("已送煤 500 公斤，炉子已检修")
    assertTrue(runBlocking { resolve.addPhoto(cameraPhoto(gw.dir, "coal.jpg").path) })
    val resolved = runBlocking { resolve.submit() } as SubmittedRecord.Issue
    assertEquals(IssueState.RESOLVED, resolved.issue.state)
    gw.sync()

    // 回访 at the household with a GPS fix: the satisfaction answer closes it and a return visit is recorded.
    ts.sync()
    runBlocking { coalPage.load() }
    assertEquals("办结待回访", coalPage.state.value.header!!.stateLabel)
    val resolutionPhoto = coalPage.state.value.resolutionPhotos.single()
    assertTrue(File(assertNotNull(resolutionPhoto.thumbnailPath, "${resolutionPhoto.unavailableText}")).exists(), "the resolution's photo, from the server")
    val verify = actionDraftForm(ts.ctx, coal, IssueActionKind.VERIFY)
    assertTrue(runBlocking { verify.open() })
    verify.onFix(atH1())
    verify.setChoice(verify.state.value.choices.first { it.label == "满意" }.value)
    verify.setNotes("群众满意，煤够过冬")
    val closed = runBlocking { verify.submit() } as SubmittedRecord.Issue
    assertEquals(IssueState.CLOSED, closed.issue.state)
    val visit = ts.app.householdVisitPage("h1", 0u, 10u).items.single { it.issueId == coal }
    assertEquals(listOf(VisitKind.RETURN_VISIT, "在现场"), listOf(visit.kind, visit.verdictLabel))

    // A task the county set: the township signs for it and reports it done; it waits for the county too.
    val composer = DirectiveComposerPresenter(cs.ctx)
    runBlocking { composer.load() }
    composer.setTarget("t1")
    composer.setKind(DirectiveKind.TASK)
    composer.setTitle("排查危房")
    composer.setBody("三日内排查全部危房，上报照片。")
    composer.setDueInHours(72u)
    val task = assertNotNull(runBlocking { composer.send() }, "${composer.state.value.error}")
    cs.sync()
    ts.sync()
    val inbox = DirectiveInboxPresenter(ts.ctx)
    runBlocking { inbox.load(); inbox.acknowledge(task.id) }
    assertTrue(inbox.state.value.rows.single { it.id == task.id }.showReportCompletion)
    val done = taskCompletionForm(ts.ctx, task.id)
    assertTrue(runBlocking { done.open() })
    done.setNotes("已排查 12 户，2 户需加固")
    assertTrue(runBlocking { done.addPhoto(cameraPhoto(ts.dir, "house.jpg").path) })
    assertNotNull(runBlocking { done.submit() }, "${done.state.value.error}")
    ts.sync()

    // The county: the return visit on the household's page; 待我审批 on the dashboard counts the extension and the
    // task report; the overview has every open issue of the county and, under 待我审批, both.
    cs.sync()
    val household = HouseholdPresenter(cs.ctx, "h1")
    runBlocking { household.load() }
    // Its verdict is the server's grading of the township phone's fix: the same as on that phone (the fix's time,
    // stamped by the device's clock, is graded on the core's server-corrected clock with the visit's own times).
    val returnVisit = household.state.value.visits.single { it.id == visit.id }
    assertEquals(listOf("回访", "在现场"), listOf(returnVisit.kindLabel, returnVisit.verdictLabel))
    assertTrue(returnVisit.onSite)
    val dashboard = DashboardPresenter(cs.ctx)
    runBlocking { dashboard.load() }
    val own = assertNotNull(dashboard.state.value.own, "${dashboard.state.value.error}")
    val waitingFigure = own.figures.single { it.label == "待我审批" }
    assertEquals("2", waitingFigure.value)
    assertEquals("3", dashboard.state.value.children.single { it.nodeId == "t1" }.figures.single { it.label == "未结案" }.value)
    val open = OverviewPresenter(cs.ctx, IssueQuery(null, OverviewFilter.OPEN))
    runBlocking { open.load() }
    assertEquals(setOf(road, wall, pile), open.state.value.rows.map { it.id }.toSet(), "every open issue, not only escalations")
    // One tap from the figure: the list behind it.
    val behind = assertNotNull(waitingFigure.list as? cn.linkage.core.FigureList.Issues)
    val waiting = OverviewPresenter(cs.ctx, behind.query)
    runBlocking { waiting.load() }
    assertNull(waiting.state.value.error)
    assertEquals(listOf(road), waiting.state.value.rows.map { it.id })
    val report = waiting.state.value.taskReports.single()
    assertEquals(listOf(task.id, "排查危房"), listOf(report.directiveId, report.title))
    assertTrue(report.detail.startsWith("乡镇 石堡镇 · "), report.detail)

    // 延期审批 from the issue page: 同意.
    val countyPage = IssuePresenter(cs.ctx, road)
    runBlocking { countyPage.load() }
    val decide = countyPage.state.value.actions.single { it.kind == IssueActionKind.DECIDE_EXTENSION }
    val approve = decide.choices.first { it.label == "同意延期" }
    assertTrue(runBlocking { countyPage.perform(IssueActionKind.DECIDE_EXTENSION, ActionForm(choice = approve.id, text = "同意延期 5 个工作日")) }, "${countyPage.state.value.error}")
    assertTrue(countyPage.state.value.timeline.last().detail.startsWith("同意"), countyPage.state.value.timeline.last().detail)
    // The task report opens its directive's page, where the county accepts it.
    val review = DirectiveDetailPresenter(cs.ctx, report.directiveId)
    runBlocking { review.load() }
    val waitingReport = review.state.value.reports.single { it.nodeId == report.nodeId }
    assertTrue(waitingReport.canReview)
    assertEquals(1, waitingReport.photoHashes.size)
    runBlocking { review.accept(waitingReport.nodeId) }
    assertNull(review.state.value.error)
    assertEquals("已通过", review.state.value.reports.single().statusText)
    runBlocking { waiting.load(); dashboard.load() }
    assertEquals(emptyList(), waiting.state.value.rows)
    assertEquals(emptyList(), waiting.state.value.taskReports)
    assertEquals("0", dashboard.state.value.own!!.figures.single { it.label == "待我审批" }.value)
    cs.sync()

    // Back at the township: the extension is granted and the report accepted, both from the county's phone.
    ts.sync()
    runBlocking { roadPage.load(); inbox.load() }
    assertTrue(roadPage.state.value.header!!.badges.none { it.startsWith("延期待批") }, "${roadPage.state.value.header!!.badges}")
    val decision = roadPage.state.value.timeline.last()
    // The county's people are not in the township's area: the step carries its actor's name (never the id `cs`).
    assertEquals(IssueActionKind.DECIDE_EXTENSION, decision.action)
    assertEquals("县干部", decision.actor)
    assertNull(ts.app.issue(road).summary.pendingExtensionDays)
    assertTrue(inbox.state.value.rows.single { it.id == task.id }.reportStatusText!!.contains("已通过"), "${inbox.state.value.rows.single { it.id == task.id }}")
}
