package cn.linkage.shell

import cn.linkage.core.ActionForm
import cn.linkage.core.FieldApp
import cn.linkage.core.Home
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueDraft
import cn.linkage.core.IssueFilter
import cn.linkage.core.IssueState
import cn.linkage.core.Urgency
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Branch day (支部组织, ADR 0008) on the host JVM over the real core: the fixture county with a branch secretary
// `bs` at b1 and the county's intake setting sending liaison heads' reports to the branch. A neighbour dispute
// (邻里纠纷) reported by the liaison head is accepted, assigned, settled and verified from the secretary's home
// and the issue page — every button the core's ActionSpec — and the township's triage screen never lists it.

/** The fixture bundle (the path the scripts pass, or -Dlinkage.bundle). */
private fun fixtureBundle(): File = File(System.getProperty("linkage.bundle") ?: "core/tests/fixtures/bundle.json")

/** [fixtureBundle] with the secretary and the intake setting, written beside the phone's database. */
private fun branchCounty(dir: File): File {
    val text = fixtureBundle().readText()
        .replaceFirst(Regex("\"users\"\\s*:\\s*\\["), "\"users\": [{\"id\": \"bs\", \"name\": \"村支书\", \"role\": \"branch_secretary\", \"node_id\": \"b1\"}, ")
        .replaceFirst("{", "{\"config\": {\"intake\": {\"liaison_reports\": \"branch\"}}, ")
    return File(dir, "bundle-branch.json").apply { writeText(text) }
}

fun branchDay() {
    val dir = Files.createTempDirectory("linkage-branch-day").toFile()
    val app = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) })
    try {
        app.loadBundle(branchCounty(dir).path)
        val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)
        val township = { runBlocking { TriagePresenter(ctx).also { it.setFilter(IssueFilter.ALL) } }.state.value }

        app.signIn("lh")
        val dispute = app.reportIssue(IssueDraft(IssueCategory.DISPUTE, Urgency.NORMAL, "邻里纠纷：院墙占地", "王家新砌院墙占了李家半米。", "h1"))
        assertEquals("b1", dispute.ownerNodeId)

        app.signIn("ts")
        assertTrue(township().rows.none { it.id == dispute.id }, "the township's queue never shows it")

        // The secretary's home: the branch queue lists it under 待受理.
        app.signIn("bs")
        val session = app.session()!!
        assertEquals(Home.BRANCH, session.capabilities.home)
        assertEquals("支部书记", session.roleLabel)
        val home = BranchHomePresenter(ctx)
        runBlocking { home.setFilter(IssueFilter.NEW) }
        assertNull(home.state.value.queue.error)
        assertEquals(listOf(dispute.id), home.state.value.queue.rows.map { it.id })
        assertEquals("本村待办诉求", ctx.strings.branchQueueSection)

        // The issue page: the core's buttons; 交办 offers only the village's people.
        val page = IssuePresenter(ctx, dispute.id)
        runBlocking { page.load() }
        assertEquals(listOf(IssueActionKind.ACCEPT, IssueActionKind.REJECT, IssueActionKind.MERGE), page.state.value.actions.map { it.kind })
        assertTrue(runBlocking { page.perform(IssueActionKind.ACCEPT) })
        assertTrue(page.state.value.actions.any { it.kind == IssueActionKind.ESCALATE && it.label == "上报上级" }, "上报乡镇 is offered")
        val people = page.state.value.assigneeOptions.map { it.value }
        assertTrue("gw" in people && "ts" !in people, "$people")
        assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = "gw")) })

        // The grid worker settles it from the same page.
        app.signIn("gw")
        val gwPage = IssuePresenter(ctx, dispute.id)
        runBlocking { gwPage.load() }
        assertTrue(runBlocking { gwPage.perform(IssueActionKind.START) })
        assertTrue(runBlocking { gwPage.perform(IssueActionKind.RESOLVE, ActionForm(text = "村调解委员会调解，院墙退回原址")) })

        app.signIn("ts")
        assertTrue(township().rows.none { it.id == dispute.id }, "still not in the township's queue after 办结")

        // 回访 with the resident's satisfaction, a choice the core lists.
        app.signIn("bs")
        runBlocking { home.setFilter(IssueFilter.TO_VERIFY) }
        assertEquals(listOf(dispute.id), home.state.value.queue.rows.map { it.id })
        runBlocking { page.load() }
        val verify = page.state.value.actions.single { it.kind == IssueActionKind.VERIFY }
        val satisfied = verify.choices.first { it.label == "满意" }
        assertTrue(runBlocking { page.perform(IssueActionKind.VERIFY, ActionForm(choice = satisfied.id, text = "两家都满意")) })
        val closed = app.issue(dispute.id).summary
        assertEquals(IssueState.CLOSED, closed.state)
        assertEquals(0u, closed.escalationCount)
        assertFalse(page.state.value.actions.any { it.kind == IssueActionKind.VERIFY })

        app.signIn("ts")
        assertTrue(township().rows.none { it.id == dispute.id }, "closed in the village without reaching the township")
    } finally {
        app.destroy()
        dir.deleteRecursively()
    }
}
