package cn.linkage.shell

import cn.linkage.core.GpsFix
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueFilter
import kotlinx.coroutines.runBlocking
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// 网格员的一天 (the grid worker's day of issue #11): three phones — 石堡村's grid worker (gw), the liaison head of
// 二组 (lh2) and 石堡镇 (ts) — each its own FieldApp and data directory, syncing through a real
// `linkage-server serve` on loopback (CountyServer), driven through the presenters. A household not on the
// overdue list (张建国 h1, visited earlier) is found by name and its phone number corrected; smoke on the hillside
// above 二组 is reported from a place (no household; no similar report yet); two visits are recorded on site, and
// the branch's dashboard, reached through the home's 工作台 entry, moves: 走访覆盖率 up and 未走访户 down by two,
// the home's overdue list shorter by two.
// The liaison head, offered the same smoke on the report form, joins it with a photo instead of filing a second;
// the township sees all of it after its sync. The Rust twin is `grid_worker_day_search_correct_report_from_a_place_and_visit`
// (tests/tests/integration/grid_worker_day.rs).

private fun fixAt(lat: Double, lon: Double) =
    GpsFix(lat = lat, lon = lon, accuracyM = 8.0, fixTimeMs = System.currentTimeMillis(), mocked = false)

/** 入户走访 from the visit form, standing at ([lat], [lon]); the core grades it on site. */
private fun visit(p: DayPhone, household: String, lat: Double, lon: Double) {
    val form = VisitFormPresenter(p.ctx, household)
    runBlocking {
        assertTrue(form.open(), "${form.state.value.error}")
        form.onFix(fixAt(lat, lon))
        form.setNotes("入户走访，家中安好")
        val saved = assertNotNull(form.save(), "${form.state.value.error}")
        assertTrue(saved.onSite, saved.verdictLabel)
    }
}

/** The branch's figure [label] on the grid worker's dashboard (its own row). */
private fun DashboardPresenter.figure(label: String): String {
    runBlocking { load() }
    val own = assertNotNull(state.value.own, "${state.value.error}")
    return own.figures.single { it.label == label }.value
}

fun gridWorkerDay() = CountyServer().use { server ->
    val gw = server.phone("gw")
    val lh2 = server.phone("lh2")
    val ts = server.phone("ts")

    // Earlier (a round the day before): 张建国 (h1) was visited on site, so he is not overdue.
    visit(gw, "h1", 35.5801, 109.2601)
    gw.sync()

    // Morning: the home's overdue list does not hold h1; search by name does, with his visit on his page.
    val today = TodayPresenter(gw.ctx)
    runBlocking { today.load() }
    assertTrue(today.state.value.overdue.none { it.household.id == "h1" }, "${today.state.value.overdue}")
    val overdueBefore = today.state.value.overdueTotal
    // The home's 工作台 entry opens the branch's dashboard.
    val dashboard = today.dashboard()
    val coverageBefore = dashboard.figure("走访覆盖率")
    val dueBefore = dashboard.figure("未走访户").toInt()
    val search = HouseholdSearchPresenter(gw.ctx)
    search.setName("张建")
    runBlocking { search.search() }
    assertEquals(listOf("h1"), search.state.value.items.map { it.id }, "found by name though not overdue")
    val page = HouseholdPresenter(gw.ctx, "h1")
    runBlocking { page.load() }
    assertEquals(1L, page.state.value.visitsTotal)

    // His phone number changed: corrected through the field-wise edit (masked on screen).
    val edit = HouseholdEditPresenter(gw.ctx, "h1")
    runBlocking { edit.load() }
    edit.setPhone("13987654321")
    assertTrue(runBlocking { edit.save() }, "${edit.state.value.error}")
    runBlocking { page.load() }
    assertEquals("139****4321", page.state.value.household!!.phoneMasked)

    // Smoke on the hillside above 二组: reported from a place (the group, a GPS point), no household. No similar
    // report yet.
    val place = ReportIssuePresenter(gw.ctx, null, "g2")
    runBlocking {
        assertTrue(place.open(), "${place.state.value.error}")
        place.onFix(fixAt(35.5952, 109.2755))
        place.pickCategory(IssueCategory.FOREST_FIRE)
        place.setTitle("后山冒烟")
        place.setDescription("二组后山松树林有烟，距村道约五百米")
    }
    assertTrue(place.state.value.aboutPlace)
    assertEquals(emptyList(), place.state.value.duplicates)
    val smoke = assertNotNull(runBlocking { place.submit() }, "${place.state.value.error}").id
    assertNull(gw.app.issue(smoke).summary.householdId)

    // Two visits: 张秀英 (h2) and 李明 (h3), on site. The dashboard and the home move by two households.
    visit(gw, "h2", 35.5811, 109.2621)
    visit(gw, "h3", 35.5901, 109.2701)
    val coverageAfter = dashboard.figure("走访覆盖率")
    assertEquals(dueBefore - 2, dashboard.figure("未走访户").toInt(), "two fewer households due")
    assertTrue(coverageAfter != coverageBefore, "$coverageBefore → $coverageAfter")
    runBlocking { today.load() }
    assertEquals(overdueBefore - 2, today.state.value.overdueTotal)
    gw.sync()

    // The liaison head of 二组 sees the same smoke: the report form offers the grid worker's report, and joining
    // it keeps what was typed and photographed (补充反映) instead of filing a second.
    lh2.sync()
    val same = ReportIssuePresenter(lh2.ctx, null, "g2")
    runBlocking {
        assertTrue(same.open())
        same.onFix(fixAt(35.5950, 109.2750))
        same.setTitle("后山着火")
        same.setDescription("烟往村子方向飘，已通知组里村民不要上山")
        assertTrue(same.addPhoto(cameraPhoto(lh2.dir, "smoke.jpg").path), "${same.state.value.error}")
        same.pickCategory(IssueCategory.FOREST_FIRE)
    }
    assertEquals(listOf(smoke), same.state.value.duplicates.map { it.issue.id })
    assertEquals(smoke, runBlocking { same.joinExisting(smoke) }?.id)
    assertTrue(lh2.app.drafts().isEmpty(), "the draft is gone, no second issue")
    lh2.sync()

    // The township: the place report in its queue with the liaison head's note and photo (fetched from the
    // server), 张建国's new number and his visit.
    ts.sync()
    val triage = TriagePresenter(ts.ctx)
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(listOf(smoke), triage.state.value.rows.map { it.id })
    val issue = IssuePresenter(ts.ctx, smoke)
    runBlocking { issue.load() }
    val join = issue.state.value.timeline.single { it.action == IssueActionKind.JOIN }
    assertEquals(listOf("二组联户长", "后山着火：烟往村子方向飘，已通知组里村民不要上山"), listOf(join.actor, join.detail))
    val photo = issue.state.value.reportPhotos.single()
    assertEquals(join.photoHashes, listOf(photo.hash))
    assertTrue(File(assertNotNull(photo.thumbnailPath, "${photo.unavailableText}")).exists())
    val h1 = HouseholdPresenter(ts.ctx, "h1")
    runBlocking { h1.load() }
    assertEquals("139****4321", h1.state.value.household!!.phoneMasked)
    assertEquals(1L, h1.state.value.visitsTotal)
}
