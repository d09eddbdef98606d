package cn.linkage.shell

import cn.linkage.core.AckMeans
import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import kotlinx.coroutines.runBlocking
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// 护林防火 day (the fire-alert day of issue #11): six phones — the county (cs), 石堡镇 (ts), 石堡村's grid worker
// (gw), the liaison heads of 一组 (lh: h1, h2) and 二组 (lh2: h3, h5), and 白马滩镇 (ts2, outside the alert's
// area) — each its own FieldApp and data directory, syncing through a real `linkage-server serve` on loopback
// (CountyServer), driven through the presenters as the shells use them. The county composes the alert with a
// photo; the township signs for it and relays it; the branch and both groups follow; the liaison heads record
// every household; the county sees 100 % at every level and no silent unit. A second alert with a short window
// (its due time, seconds away: the window is the earlier of the due time and the kind's 2 h, so no clock is
// moved and nobody sleeps for hours): 二组 stays silent and, once the window has passed, is flagged to its
// branch (and not to the township, whose child signed); the branch's 催办 reaches 二组's phone with its next
// sync, and once 二组 signs nobody is flagged. The Rust twin is `fire_alert_day` (tests/tests/integration/directives.rs).

/** How long the second alert's window stays open (long enough for three phones to sync on a loaded machine). */
private const val SHORT_WINDOW_MS = 12_000L

fun fireAlertDay() = CountyServer().use { server ->
    val cs = server.phone("cs")
    val ts = server.phone("ts")
    val gw = server.phone("gw")
    val lh = server.phone("lh")
    val lh2 = server.phone("lh2")
    val ts2 = server.phone("ts2")

    // 08:00 The county office composes the alert for 石堡镇 with a photo of the fire-risk map.
    val composer = DirectiveComposerPresenter(cs.ctx)
    runBlocking { composer.load() }
    assertTrue(composer.state.value.targetOptions.any { it.value == "t1" }, "${composer.state.value.targetOptions}")
    composer.setTarget("t1")
    composer.setKind(DirectiveKind.ALERT)
    composer.setTitle("森林火险橙色预警")
    composer.setBody("未来三天森林火险等级高，严禁一切野外用火；联户长逐户告知，网格员巡查坟地林边。")
    composer.setDueInHours(24u)
    assertTrue(runBlocking { composer.addPhoto(cameraPhoto(cs.dir, "fire-map.jpg").path) }, "${composer.state.value.error}")
    val alert = assertNotNull(runBlocking { composer.send() }, "${composer.state.value.error}")
    assertEquals("预警", alert.kindLabel)
    assertEquals(1, alert.photoHashes.size)
    cs.sync()

    // The township signs for it and relays it, then the branch: 签收 and 转发 from the inbox cards, each on its
    // own phone after its sync; the full text and the county's photo reach every phone.
    for (p in listOf(ts, gw)) {
        p.sync()
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load() }
        val card = inbox.state.value.rows.single { it.id == alert.id }
        assertTrue(card.showAcknowledge && !card.showRelay, "${p.user}: 签收 first")
        assertTrue(card.body.contains("逐户告知"), "the full text on the card")
        assertEquals(alert.photoHashes, card.photoHashes)
        runBlocking { inbox.acknowledge(alert.id) }
        assertTrue(inbox.state.value.rows.single { it.id == alert.id }.showRelay, "${p.user}: then 转发")
        runBlocking { inbox.relay(alert.id) }
        assertNull(inbox.state.value.error)
        val after = inbox.state.value.rows.single { it.id == alert.id }
        assertTrue(after.acknowledged && after.relayed && !after.showAcknowledge && !after.showRelay, "${p.user}: $after")
        p.sync()
    }
    // Outside the alert's area nothing arrives.
    ts2.sync()
    val elsewhere = DirectiveInboxPresenter(ts2.ctx)
    runBlocking { elsewhere.load() }
    assertTrue(elsewhere.state.value.rows.none { it.id == alert.id }, "白马滩镇 is not in the alert's area")

    // Each liaison head signs and records every household of the group (入户 / 电话), the untold listed; the
    // county's photo opens on their phones (fetched from the server).
    for ((p, means) in listOf(lh to AckMeans.VISIT, lh2 to AckMeans.PHONE)) {
        p.sync()
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load(); inbox.acknowledge(alert.id) }
        assertNull(inbox.state.value.error)
        assertTrue(inbox.state.value.rows.single { it.id == alert.id }.acknowledged)
        val detail = DirectiveDetailPresenter(p.ctx, alert.id)
        runBlocking { detail.load() }
        val photo = detail.state.value.photos.single()
        assertTrue(File(assertNotNull(photo.thumbnailPath, "${p.user}: ${photo.unavailableText}")).exists())
        val untold = detail.state.value.households.filter { it.recorded == null }
        assertEquals(2, untold.size, "${p.user}: two households in the group, none told yet")
        for (h in untold) runBlocking { detail.recordAck(h.household.id, means) }
        assertNull(detail.state.value.error)
        assertTrue(detail.state.value.households.all { it.recorded != null }, "${p.user}: nobody untold")
        p.sync()
    }

    // The county sees every level at 100 % and no silent unit; nobody to remind.
    cs.sync()
    val county = DirectiveDetailPresenter(cs.ctx, alert.id)
    runBlocking { county.load() }
    val cov = assertNotNull(county.state.value.coverage, "${county.state.value.error}")
    assertEquals(listOf("乡镇 1/1（100%）", "村党支部 1/1（100%）", "村民小组 2/2（100%）", "户 4/4（100%）"), cov.levels)
    assertEquals(emptyList(), cov.silent)
    assertEquals("全部已签收，没有未签收的单位", cov.allAcknowledgedText)
    assertFalse(cov.canRemind)

    // 14:00 A second alert, due in a few seconds (the composer offers hours, so the county's core is called
    // directly for this one): the window closes at its due time.
    val due = System.currentTimeMillis() + SHORT_WINDOW_MS
    val wind = cs.app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "大风天气防火提醒", "今晚起大风，严禁焚烧秸秆", due))
    cs.sync()
    // Within the window nobody is flagged, though nobody has signed yet.
    gw.sync()
    val branchSilent = SilentNodesPresenter(gw.ctx)
    runBlocking { branchSilent.load() }
    assertTrue(System.currentTimeMillis() < due, "checked within the window")
    assertEquals(0L, branchSilent.state.value.total, "within the window nobody is flagged")
    // 二组 (lh2) has it on the phone, and stays silent.
    lh2.sync()
    // The township, the branch and 一组 sign (and relay); 二组 (lh2) stays silent.
    for (p in listOf(ts, gw, lh)) {
        p.sync()
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load(); inbox.acknowledge(wind.id) }
        if (inbox.state.value.rows.single { it.id == wind.id }.showRelay) runBlocking { inbox.relay(wind.id) }
        assertNull(inbox.state.value.error)
        p.sync()
    }
    // The window passes: the branch sees 二组 flagged, on its list and in its inbox (with 催办).
    while (System.currentTimeMillis() <= due + 1_000) Thread.sleep(100)
    gw.sync()
    runBlocking { branchSilent.load() }
    assertEquals(listOf(wind.id), branchSilent.state.value.rows.map { it.directiveId })
    assertTrue(branchSilent.state.value.rows.single().detail.startsWith("村民小组 二组"), branchSilent.state.value.rows.single().detail)
    val gwInbox = DirectiveInboxPresenter(gw.ctx)
    runBlocking { gwInbox.load() }
    assertEquals(listOf("g2"), gwInbox.state.value.silentChildren.filter { it.directiveId == wind.id }.map { it.nodeId })
    // Not the township's to chase: its child (the branch) signed.
    ts.sync()
    val townshipSilent = SilentNodesPresenter(ts.ctx)
    runBlocking { townshipSilent.load() }
    assertEquals(0L, townshipSilent.state.value.total, "the township's child (the branch) signed")
    // The county's coverage shows the silent group.
    cs.sync()
    val second = DirectiveDetailPresenter(cs.ctx, wind.id)
    runBlocking { second.load() }
    val silent = assertNotNull(second.state.value.coverage)
    assertEquals("村民小组 1/2（50%）", silent.levels[2])
    assertEquals(listOf("g2"), silent.silent.map { it.nodeId })

    // The branch reminds 二组 (催办 from its inbox); the reminder reaches 二组's phone with its next sync.
    runBlocking { gwInbox.remind(wind.id, "g2") }
    assertNull(gwInbox.state.value.error)
    assertNotNull(gwInbox.state.value.notice)
    gw.sync()
    val lh2Inbox = DirectiveInboxPresenter(lh2.ctx)
    runBlocking { lh2Inbox.load() }
    assertNull(lh2Inbox.state.value.rows.single { it.id == wind.id }.remindedText, "not before its sync")
    lh2.sync()
    runBlocking { lh2Inbox.load() }
    val reminded = lh2Inbox.state.value.rows.single { it.id == wind.id }
    assertTrue(reminded.remindedText != null && reminded.showAcknowledge, "$reminded")
    // The county sees that it was chased; then 二组 signs, late, and nobody is flagged any more.
    cs.sync()
    runBlocking { second.load() }
    assertNotNull(second.state.value.coverage!!.silent.single { it.nodeId == "g2" }.remindedText, "the county sees it was chased")
    runBlocking { lh2Inbox.acknowledge(wind.id) }
    assertNull(lh2Inbox.state.value.error)
    lh2.sync()
    gw.sync()
    runBlocking { branchSilent.load(); gwInbox.load() }
    assertEquals(0L, branchSilent.state.value.total, "signed late: no longer flagged")
    assertTrue(gwInbox.state.value.silentChildren.none { it.directiveId == wind.id })
    cs.sync()
    runBlocking { second.load() }
    assertEquals("村民小组 2/2（100%）", second.state.value.coverage!!.levels[2])
    assertEquals(emptyList(), second.state.value.coverage!!.silent)
}
