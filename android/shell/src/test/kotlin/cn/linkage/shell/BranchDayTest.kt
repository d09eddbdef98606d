package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.Home
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueFilter
import cn.linkage.core.IssueState
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Branch day (支部组织, ADR 0008): four phones — the liaison head of 一组 (lh), the branch secretary of 石堡村 (bs),
// its grid worker (gw) and 石堡镇 (ts) — each its own FieldApp and data directory, syncing through a real
// `linkage-server serve` on loopback (CountyServer) whose county setting sends liaison heads' reports to the branch
// (`linkage-server county set intake.liaison_reports branch`, run on its data directory before it serves). A
// neighbour dispute (邻里纠纷) reported from the liaison head's report form lands at the branch; the secretary
// accepts it and assigns it from the issue page (every button the core's ActionSpec), the grid worker settles it,
// the secretary's 回访 closes it — and the township's triage screen never lists it, on any sync. The Rust twin is
// `branch_day_a_neighbour_dispute_is_settled_in_the_village` (tests/tests/integration/branch_day.rs).

fun branchDay() = CountyServer(setup = listOf(listOf("county", "set", "intake.liaison_reports", "branch"))).use { server ->
    val lh = server.phone("lh")
    val bs = server.phone("bs")
    val gw = server.phone("gw")
    val ts = server.phone("ts")
    val township = TriagePresenter(ts.ctx)
    fun townshipQueue(): List<String> {
        ts.sync()
        runBlocking { township.setFilter(IssueFilter.ALL) }
        assertNull(township.state.value.error)
        return township.state.value.rows.map { it.id }
    }

    // The liaison head reports the dispute from the household's report form; the county's setting (pulled with
    // the sign-in) sends it to the branch.
    val form = ReportIssuePresenter(lh.ctx, "h1")
    runBlocking {
        assertTrue(form.open())
        form.pickCategory(IssueCategory.DISPUTE)
        form.setTitle("邻里纠纷：院墙占地")
        form.setDescription("王家新砌院墙占了李家半米，两家吵了几次。")
    }
    val dispute = assertNotNull(runBlocking { form.submit() }, "${form.state.value.error}").id
    assertEquals("b1", lh.app.issue(dispute).summary.ownerNodeId, "the county sends liaison heads' reports to the branch")
    lh.sync()
    assertTrue(dispute !in townshipQueue(), "the township's queue never shows it")
    // The township has it on its phone (its area), but only to supervise.
    val townshipPage = IssuePresenter(ts.ctx, dispute)
    runBlocking { townshipPage.load() }
    assertTrue(townshipPage.state.value.actions.all { it.kind == IssueActionKind.SUPERVISE }, "${townshipPage.state.value.actions.map { it.kind }}")

    // The secretary's home: the branch queue lists it under 待受理.
    bs.sync()
    val session = assertNotNull(bs.app.session())
    assertEquals(Home.BRANCH, session.capabilities.home)
    assertEquals("支部书记", session.roleLabel)
    val home = BranchHomePresenter(bs.ctx)
    runBlocking { home.setFilter(IssueFilter.NEW) }
    assertNull(home.state.value.queue.error)
    assertEquals(listOf(dispute), home.state.value.queue.rows.map { it.id })
    assertEquals("本村待办诉求", bs.ctx.strings.branchQueueSection)

    // The issue page: the core's buttons; 交办 offers only the village's people.
    val page = IssuePresenter(bs.ctx, dispute)
    runBlocking { page.load() }
    assertEquals(listOf(IssueActionKind.ACCEPT, IssueActionKind.REJECT, IssueActionKind.MERGE), page.state.value.actions.map { it.kind })
    assertTrue(runBlocking { page.perform(IssueActionKind.ACCEPT) }, "${page.state.value.error}")
    assertTrue(page.state.value.actions.any { it.kind == IssueActionKind.ESCALATE && it.label == "上报上级" }, "上报乡镇 is offered")
    val people = page.state.value.assigneeOptions.map { it.value }
    assertTrue("gw" in people && "ts" !in people, "$people")
    assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = "gw")) }, "${page.state.value.error}")
    bs.sync()

    // The grid worker settles it from his own phone: 交办给我的诉求 on his home, then the issue page.
    gw.sync()
    val today = TodayPresenter(gw.ctx)
    runBlocking { today.load() }
    assertTrue(today.state.value.assigned.any { it.id == dispute }, "${today.state.value.assigned}")
    val gwPage = IssuePresenter(gw.ctx, dispute)
    runBlocking { gwPage.load() }
    assertTrue(runBlocking { gwPage.perform(IssueActionKind.START) }, "${gwPage.state.value.error}")
    assertTrue(runBlocking { gwPage.perform(IssueActionKind.RESOLVE, ActionForm(text = "村调解委员会当面调解，院墙退回原址")) }, "${gwPage.state.value.error}")
    gw.sync()
    assertTrue(dispute !in townshipQueue(), "still not in the township's queue after 办结")

    // 回访 with the resident's satisfaction, a choice the core lists.
    bs.sync()
    runBlocking { home.setFilter(IssueFilter.TO_VERIFY) }
    assertEquals(listOf(dispute), home.state.value.queue.rows.map { it.id })
    runBlocking { page.load() }
    val verify = page.state.value.actions.single { it.kind == IssueActionKind.VERIFY }
    val satisfied = verify.choices.first { it.label == "满意" }
    assertTrue(runBlocking { page.perform(IssueActionKind.VERIFY, ActionForm(choice = satisfied.id, text = "两家都满意")) }, "${page.state.value.error}")
    val closed = bs.app.issue(dispute).summary
    assertEquals(IssueState.CLOSED, closed.state)
    assertEquals(0u, closed.escalationCount)
    assertFalse(page.state.value.actions.any { it.kind == IssueActionKind.VERIFY })
    bs.sync()

    // Closed in the village without reaching the township's queue; the township and the reporter see it closed.
    assertTrue(dispute !in townshipQueue(), "closed in the village without reaching the township")
    runBlocking { townshipPage.load() }
    assertEquals("结案", townshipPage.state.value.header!!.stateLabel)
    lh.sync()
    assertEquals(IssueState.CLOSED, lh.app.issue(dispute).summary.state)
}
