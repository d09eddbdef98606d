package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.FieldApp
import cn.linkage.core.FigureList
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueDraft
import cn.linkage.core.IssueState
import cn.linkage.core.Light
import cn.linkage.core.OverviewFilter
import cn.linkage.core.Urgency
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Host tests of the triage pickers, the overview and the dashboard presenters over the real core (fixture
// county: cs at the county, ts at 石堡镇, gw at 石堡村, lh at 一组). Listed in ShellHostTests.kt's `tests`.

/** A fresh encrypted phone with the fixture county (as ShellHostTests' phones). */
private class TriagePhone : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-overview").toFile()
    val app = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }).also { it.loadBundle(bundle.path) }
    val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)

    fun report(user: String, title: String, household: String = "h1", category: IssueCategory = IssueCategory.LIVELIHOOD_AID): String {
        app.signIn(user)
        return app.reportIssue(IssueDraft(category, Urgency.NORMAL, title, "群众反映", household)).id
    }

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}

/** 交办 from the core's picker with each person's load; 合并 from the core's suggestions or a search, no typed id. */
fun triagePickers() = TriagePhone().use { p ->
    val coal = p.report("lh", "冬季取暖缺煤")
    val again = p.report("lh", "张家又说没煤了")
    p.report("lh", "村道塌陷", "h2", IssueCategory.INFRASTRUCTURE)
    p.app.signIn("ts")
    val dup = IssuePresenter(p.ctx, again)
    runBlocking { dup.load() }
    val merge = dup.state.value.actions.single { it.kind == IssueActionKind.MERGE }
    assertTrue(merge.needsOtherIssue)
    assertEquals(listOf(coal), dup.state.value.mergeOptions.map { it.issueId }, "the core's suggestion")
    assertEquals("冬季取暖缺煤 · 上报 · 疑似重复 · 相距 0 米", dup.state.value.mergeOptions.single().label)
    // A search by title instead (another category is found too); blank goes back to the suggestions.
    runBlocking { dup.searchMerge("塌陷") }
    assertEquals(listOf("村道塌陷"), dup.state.value.mergeOptions.map { it.title })
    assertTrue(dup.state.value.mergeOptions.single().detail.startsWith("上报"))
    runBlocking { dup.searchMerge("") }
    val picked = dup.state.value.mergeOptions.single()
    assertTrue(runBlocking { dup.perform(IssueActionKind.MERGE, ActionForm(otherIssueId = picked.issueId)) })
    assertEquals(IssueState.MERGED, p.app.issue(again).summary.state)

    val page = IssuePresenter(p.ctx, coal)
    runBlocking { page.load(); page.perform(IssueActionKind.ACCEPT) }
    val options = page.state.value.assigneeOptions
    assertEquals(listOf("gw", "ts"), options.map { it.value })
    assertEquals("网格员（网格员 · 石堡村党支部） · 在办 0 件", options.first().label)
    assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = options.first().value)) })
    val road = p.app.issueQueue(cn.linkage.core.IssueFilter.NEW, 0u, 10u).items.single()
    val next = IssuePresenter(p.ctx, road.id)
    runBlocking { next.load(); next.perform(IssueActionKind.ACCEPT) }
    assertTrue(next.state.value.assigneeOptions.first().label.endsWith("在办 1 件"), "the load counts the first assignment")
}

/** The county's overview: every open issue by township and filter; 待我审批 leads to 延期审批 on the issue page. */
fun countyOverview() = TriagePhone().use { p ->
    val road = p.report("lh", "村道塌陷", "h2", IssueCategory.INFRASTRUCTURE)
    p.report("gw2", "圪台村饮水管道破裂", "h4", IssueCategory.INFRASTRUCTURE)
    p.app.signIn("ts")
    p.app.performAction(road, IssueActionKind.ACCEPT, ActionForm())
    p.app.performAction(road, IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "需交通局鉴定", workingDays = 5u))

    p.app.signIn("cs")
    val o = OverviewPresenter(p.ctx)
    runBlocking { o.load() }
    var st = o.state.value
    assertNull(st.error)
    assertEquals(listOf("全部未结案", "红灯", "黄灯", "绿灯", "红牌督办", "返工", "待我审批"), st.filters.map { it.label })
    assertEquals(listOf("全部", "石堡镇", "白马滩镇"), st.nodes.map { it.label })
    assertEquals(2L, st.total, "not only escalations: both townships' open issues")
    runBlocking { o.setNode(st.nodes.single { it.label == "白马滩镇" }.value) }
    assertEquals(listOf("圪台村饮水管道破裂"), o.state.value.rows.map { it.title })
    runBlocking { o.setNode(null); o.setFilter(OverviewFilter.WAITING_FOR_ME) }
    st = o.state.value
    assertEquals(listOf("村道塌陷"), st.rows.map { it.title })
    assertEquals(listOf("延期待批 5天"), st.rows.single().badges)
    val page = IssuePresenter(p.ctx, st.rows.single().id)
    runBlocking { page.load() }
    val decide = page.state.value.actions.single { it.kind == IssueActionKind.DECIDE_EXTENSION }
    assertTrue(runBlocking { page.perform(IssueActionKind.DECIDE_EXTENSION, ActionForm(choice = decide.choices.first().id, text = "同意")) })
    runBlocking { o.load() }
    assertEquals(0L, o.state.value.total, "decided: nothing waits")
}

/** The dashboard: lit figures for the node and each child; a tap on a figure opens the list the core names. */
fun staffDashboard() = TriagePhone().use { p ->
    p.report("gw", "冬季取暖缺煤")
    p.report("gw", "危房墙体开裂", "h5", IssueCategory.SAFETY_HAZARD)
    p.app.signIn("ts")
    val d = DashboardPresenter(p.ctx)
    runBlocking { d.load() }
    val st = d.state.value
    assertNull(st.error)
    assertEquals("近 90 天", st.periodText)
    val own = assertNotNull(st.own)
    assertEquals("石堡镇 · 乡镇", own.title)
    assertEquals(
        listOf("未结案", "超期", "红牌督办", "按期受理率", "按期办结率", "满意率", "返工率", "走访覆盖率", "未走访户", "逾期未签收", "待我审批"),
        own.figures.map { it.label },
    )
    val open = own.figures.single { it.label == "未结案" }
    assertEquals("2", open.value)
    val coverage = own.figures.single { it.label == "走访覆盖率" }
    assertEquals(listOf("0%", Light.RED, "未达标"), listOf(coverage.value, coverage.light, coverage.lightLabel))
    assertEquals(listOf("石堡村党支部 · 村党支部"), st.children.map { it.title })
    assertEquals(Light.RED, st.children.single().worst)
    // One tap from a figure to its list: the open issues, the households due under the branch.
    val openList = open.list as FigureList.Issues
    val list = OverviewPresenter(p.ctx, openList.query)
    runBlocking { list.load() }
    assertEquals(setOf("冬季取暖缺煤", "危房墙体开裂"), list.state.value.rows.map { it.title }.toSet())
    val due = st.children.single().figures.single { it.label == "未走访户" }
    val households = DueHouseholdsPresenter(p.ctx, (due.list as FigureList.OverdueHouseholds).nodeId)
    runBlocking { households.load() }
    assertEquals(due.value, households.state.value.total.toString())
    assertTrue(households.state.value.rows.isNotEmpty() && households.state.value.rows.all { it.overdueText.isNotEmpty() })
    assertEquals(FigureList.SilentNodes, own.figures.single { it.label == "逾期未签收" }.list)
    val silent = SilentNodesPresenter(p.ctx)
    runBlocking { silent.load() }
    assertEquals(0L, silent.state.value.total)
}
