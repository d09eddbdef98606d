package cn.linkage.shell

import cn.linkage.core.FieldApp
import cn.linkage.core.GpsFix
import cn.linkage.core.HouseholdChange
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueDraft
import cn.linkage.core.IssueListKind
import cn.linkage.core.RiskLevel
import cn.linkage.core.Urgency
import cn.linkage.core.VisitDraft
import cn.linkage.core.VisitKind
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Host tests of the household ledger (民生台账), place reports with duplicate suggestions and settings: presenters
// over the real core, as in ShellHostTests.kt. The grid worker's day on a server is GridWorkerDayTest.kt.

private val ledgerBundle: File get() = File(System.getProperty("linkage.bundle") ?: "core/tests/fixtures/bundle.json")

/** A fresh phone with the fixture county (users cs ts gw lh ..., households h1..h5). */
private class LedgerPhone : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-ledger").toFile()
    val app = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) })
        .also { it.loadBundle(ledgerBundle.path) }
    val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}

private fun freshFix(lat: Double, lon: Double, accuracy: Double = 8.0) =
    GpsFix(lat = lat, lon = lon, accuracyM = accuracy, fixTimeMs = System.currentTimeMillis(), mocked = false)


fun householdSearchAndPages() = LedgerPhone().use { p ->
    p.app.signIn("ts")
    val search = HouseholdSearchPresenter(p.ctx, pageSize = 2u)
    runBlocking { search.load() }
    var st = search.state.value
    assertNull(st.error)
    assertEquals(4L, st.total, "the township's households")
    assertEquals(2, st.items.size)
    assertEquals(2u, st.nextOffset)
    assertEquals("共 4 户，已显示 2 户", st.totalText)
    assertEquals(listOf(RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW), st.riskOptions.map { it.value })
    assertTrue(st.tagOptions.any { it.label == "低保（1）" }, "${st.tagOptions}")
    runBlocking { search.loadMore() }
    st = search.state.value
    assertEquals(4, st.items.size)
    assertNull(st.nextOffset)

    search.setName("张")
    runBlocking { search.search() }
    assertEquals(listOf("h1", "h2"), search.state.value.items.map { it.id })
    runBlocking { search.pickTag("低保") }
    assertEquals(listOf("h2"), search.state.value.items.map { it.id })
    runBlocking { search.pickTag("低保"); search.pickRisk(RiskLevel.HIGH) }
    assertEquals(listOf("h1"), search.state.value.items.map { it.id }, "picking a chip again clears it")
    search.setName("")
    search.setAddress("二组")
    runBlocking { search.pickRisk(RiskLevel.HIGH) }
    assertEquals(listOf("h3", "h5"), search.state.value.items.map { it.id })

    // The household page pages the whole history: three visits and three issues in pages of two.
    p.app.signIn("gw")
    val now = System.currentTimeMillis()
    repeat(3) { i ->
        p.app.recordVisit(VisitDraft("h1", VisitKind.ROUTINE, now - 600_000 - i, now - i, null, "第${i + 1}次走访", emptyList(), null))
        p.app.reportIssue(IssueDraft(IssueCategory.LIVELIHOOD_AID, Urgency.NORMAL, "诉求${i + 1}", "描述", "h1"))
        Thread.sleep(2) // distinct report times, so "newest first" has one answer
    }
    p.app.reportIssue(IssueDraft(IssueCategory.LIVELIHOOD_AID, Urgency.NORMAL, "别家的诉求", "描述", "h2"))
    val page = HouseholdPresenter(p.ctx, "h1", pageSize = 2u)
    runBlocking { page.load() }
    assertEquals(2, page.state.value.visits.size)
    assertEquals("走访记录（2 / 3）", page.state.value.visitsTitle)
    assertEquals(listOf("诉求3", "诉求2"), page.state.value.issues.map { it.title }, "newest first, only this household's")
    runBlocking { page.moreVisits(); page.moreIssues() }
    assertEquals(3, page.state.value.visits.size)
    assertNull(page.state.value.visitsNext)
    assertEquals("诉求（3 / 3）", page.state.value.issuesTitle)
}

fun householdCorrections() = LedgerPhone().use { p ->
    p.app.signIn("gw")
    val edit = HouseholdEditPresenter(p.ctx, "h1")
    runBlocking { edit.load() }
    assertEquals("现在：138****5678", edit.state.value.currentPhoneText)
    assertTrue("低保" in edit.state.value.tagOptions, "tags used in my area are offered")
    edit.setPhone("13987654321")
    edit.moreMembers()
    edit.toggleTag("低保")
    assertTrue(runBlocking { edit.save() })
    val h = p.app.household("h1")
    assertEquals("139****4321", h.phoneMasked)
    assertEquals(5u, h.members)
    assertEquals(setOf("低保", "独居老人"), h.tags.toSet())
    assertEquals(1uL, p.app.outboxStatus().pending, "one edit, queued with its fields")
    assertEquals(s(p).correctionSaved, edit.state.value.savedText)

    assertFalse(runBlocking { edit.save() })
    assertEquals(s(p).nothingChanged, edit.state.value.savedText)
    edit.setPhone("12")
    assertFalse(runBlocking { edit.save() })
    assertNotNull(edit.state.value.error, "the core names the bad phone")
    assertEquals(1uL, p.app.outboxStatus().pending, "nothing stored")

    // 房屋位置就在这里: a coarse fix is refused by the core, a precise fresh one moves the point.
    edit.setPhone("")
    edit.onFix(freshFix(35.5802, 109.2602, accuracy = 300.0))
    assertFalse(runBlocking { edit.markHere() })
    assertNotNull(edit.state.value.error)
    edit.onFix(freshFix(35.5802, 109.2602))
    assertTrue(runBlocking { edit.markHere() })
    assertEquals(35.5802, p.app.household("h1").lat)
    assertTrue(edit.state.value.pointText.contains("35.58020"), edit.state.value.pointText)
}

private fun s(p: LedgerPhone) = p.ctx.strings

fun placeReportDuplicates() = LedgerPhone().use { p ->
    p.app.signIn("lh")
    val first = p.app.reportIssue(
        IssueDraft(IssueCategory.INFRASTRUCTURE, Urgency.NORMAL, "石桥桥面塌陷", "村口石桥", null, nodeId = "g1", location = freshFix(35.5805, 109.2605)),
    )
    p.app.signIn("gw")
    // No point and no description: the core refuses it; nothing is reported.
    val nowhere = ReportIssuePresenter(p.ctx, null, "g2")
    runBlocking { nowhere.open(); nowhere.setTitle("桥坏了") }
    assertNull(runBlocking { nowhere.submit() })
    assertNotNull(nowhere.state.value.error)
    p.app.drafts().forEach { d -> p.app.discardDraft(d.id) }

    val form = ReportIssuePresenter(p.ctx, null, "g1")
    runBlocking {
        form.open()
        form.onFix(freshFix(35.5806, 109.2606))
        form.pickCategory(IssueCategory.INFRASTRUCTURE)
    }
    assertTrue(form.state.value.aboutPlace)
    assertEquals(listOf(first.id), form.state.value.duplicates.map { it.issue.id })
    assertTrue(form.state.value.duplicates[0].distanceText.startsWith("相距"))
    val joined = runBlocking { form.joinExisting(first.id) }
    assertEquals(first.id, joined?.id)
    assertFalse(form.state.value.canSubmit)
    assertTrue(p.app.drafts().isEmpty(), "the draft is gone")
    assertEquals(1uL, p.app.listIssues(IssueListKind.IN_AREA, emptyList(), 0u, 10u).total, "no second issue")
}

fun settingsAndSignOut() = LedgerPhone().use { p ->
    p.app.signIn("gw")
    val settings = SettingsPresenter(p.ctx, "1.0 (1)")
    runBlocking { settings.load() }
    assertEquals(listOf(1.0f, 1.3f, 1.6f), settings.state.value.textScales.map { it.scale })
    assertEquals(listOf("标准", "大字 ×1.3", "特大字 ×1.6"), settings.state.value.textScales.map { it.label })
    runBlocking { settings.pickTextScale(1.6f) }
    assertEquals(1.6f, settings.state.value.textScale)
    assertEquals(1.6f, p.app.textScale(), "kept by the core")
    assertTrue(settings.state.value.versionText.startsWith("版本 ") && settings.state.value.versionText.endsWith("1.0 (1)"))
    assertEquals(s(p).notEnrolled, settings.state.value.serverText)

    runBlocking { settings.askSignOut() }
    assertEquals(0uL, settings.state.value.signOutCheck?.unsent)
    assertEquals("退出登录", settings.state.value.signOutCheck?.confirmLabel)
    settings.cancelSignOut()
    assertNull(settings.state.value.signOutCheck)
    p.app.editHousehold("h1", listOf(HouseholdChange.Members(5u)))
    runBlocking { settings.askSignOut() }
    val check = settings.state.value.signOutCheck!!
    assertEquals(1uL, check.unsent)
    assertTrue(check.message.contains("还有 1 条记录没有发送"), check.message)
    assertEquals("仍然退出", check.confirmLabel)
    assertTrue(runBlocking { settings.confirmSignOut() })
    assertNull(p.app.session())
    assertEquals(1uL, p.app.outboxStatus().pending, "signing out keeps the unsent record")

    settings.openGuide()
    val guide = settings.state.value.guide!!
    assertEquals(listOf("华为 / 荣耀", "小米 / 红米", "OPPO / 一加 / realme", "vivo / iQOO"), guide.brands.map { it.brand })
}
