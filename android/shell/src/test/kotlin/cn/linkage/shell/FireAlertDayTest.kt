package cn.linkage.shell

import cn.linkage.core.AckMeans
import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// 护林防火 day (the fire-alert day of issue #11) on the host JVM over the real core, driven through the
// presenters as the shells use them (fixture county, one phone switching users as BranchDayTest does: cs at the
// county, ts at 石堡镇 t1, gw at 石堡村 b1, lh at 一组 g1 (h1, h2), lh2 at 二组 g2 (h3, h5)). The county composes
// the alert with a photo; the township signs for it and relays it; the branch and both groups follow; the
// liaison heads record every household; the county sees 100 % at every level and no silent unit. A second
// alert with a short window: 二组 stays silent and, once the window has passed, is flagged to its branch (and
// not to the township, whose child signed). The Rust twin with a server is `fire_alert_day`
// (tests/tests/integration/directives.rs).

fun fireAlertDay() = Phone().use { p ->
    // The county office composes the alert for 石堡镇 with a photo of the fire-risk map.
    p.app.signIn("cs")
    val composer = DirectiveComposerPresenter(p.ctx)
    runBlocking { composer.load() }
    assertTrue(composer.state.value.targetOptions.any { it.value == "t1" }, "${composer.state.value.targetOptions}")
    composer.setTarget("t1")
    composer.setKind(DirectiveKind.ALERT)
    composer.setTitle("森林火险橙色预警")
    composer.setBody("未来三天森林火险等级高，严禁一切野外用火；联户长逐户告知。")
    composer.setDueInHours(24u)
    assertTrue(runBlocking { composer.addPhoto(cameraPhoto(p.dir, "fire-map.jpg").path) }, "${composer.state.value.error}")
    val alert = assertNotNull(runBlocking { composer.send() }, "${composer.state.value.error}")
    assertEquals("预警", alert.kindLabel)

    // The township signs for it and relays it, then the branch: 签收 and 转发 from the inbox cards.
    for (user in listOf("ts", "gw")) {
        p.app.signIn(user)
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load() }
        val card = inbox.state.value.rows.single { it.id == alert.id }
        assertTrue(card.showAcknowledge, "$user: 签收 first")
        assertTrue(card.body.contains("逐户告知"), "the full text on the card")
        runBlocking { inbox.acknowledge(alert.id) }
        assertTrue(inbox.state.value.rows.single { it.id == alert.id }.showRelay, "$user: then 转发")
        runBlocking { inbox.relay(alert.id) }
        val after = inbox.state.value.rows.single { it.id == alert.id }
        assertTrue(after.acknowledged && after.relayed && !after.showAcknowledge && !after.showRelay, "$user: $after")
    }

    // Each liaison head signs and records every household of the group (入户 / 电话), the untold first.
    for ((user, means) in listOf("lh" to AckMeans.VISIT, "lh2" to AckMeans.PHONE)) {
        p.app.signIn(user)
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load(); inbox.acknowledge(alert.id) }
        val detail = DirectiveDetailPresenter(p.ctx, alert.id)
        runBlocking { detail.load() }
        val untold = detail.state.value.households.filter { it.recorded == null }
        assertEquals(2, untold.size, "$user: two households in the group, none told yet")
        for (h in untold) runBlocking { detail.recordAck(h.household.id, means) }
        assertNull(detail.state.value.error)
        assertTrue(detail.state.value.households.all { it.recorded != null }, "$user: nobody untold")
    }

    // The county sees every level at 100 % and no silent unit; nobody to remind.
    p.app.signIn("cs")
    val county = DirectiveDetailPresenter(p.ctx, alert.id)
    runBlocking { county.load() }
    val cov = assertNotNull(county.state.value.coverage)
    assertEquals(listOf("乡镇 1/1（100%）", "村党支部 1/1（100%）", "村民小组 2/2（100%）", "户 4/4（100%）"), cov.levels)
    assertEquals(emptyList(), cov.silent)
    assertEquals("全部已签收，没有未签收的单位", cov.allAcknowledgedText)
    assertTrue(!cov.canRemind)

    // 14:00 A second alert with a short window (its due time): 二组 stays silent.
    val due = System.currentTimeMillis() + 6_000
    val wind = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "大风天气防火提醒", "今晚起大风，严禁焚烧秸秆", due))
    for (user in listOf("ts", "gw", "lh")) {
        p.app.signIn(user)
        val inbox = DirectiveInboxPresenter(p.ctx)
        runBlocking { inbox.load(); inbox.acknowledge(wind.id) }
        if (inbox.state.value.rows.single { it.id == wind.id }.showRelay) runBlocking { inbox.relay(wind.id) }
        assertNull(inbox.state.value.error)
    }
    p.app.signIn("gw")
    val branchSilent = SilentNodesPresenter(p.ctx)
    runBlocking { branchSilent.load() }
    assertEquals(0L, branchSilent.state.value.total, "within the window nobody is flagged")
    // The window passes (the alert's due time): the branch sees 二组 flagged, on its list and its inbox.
    while (System.currentTimeMillis() <= due) Thread.sleep(100)
    runBlocking { branchSilent.load() }
    assertEquals(listOf(wind.id), branchSilent.state.value.rows.map { it.directiveId })
    assertTrue(branchSilent.state.value.rows.single().detail.startsWith("村民小组 二组"), branchSilent.state.value.rows.single().detail)
    val gwInbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { gwInbox.load() }
    assertEquals(listOf("g2"), gwInbox.state.value.silentChildren.filter { it.directiveId == wind.id }.map { it.nodeId })
    p.app.signIn("ts")
    val townshipSilent = SilentNodesPresenter(p.ctx)
    runBlocking { townshipSilent.load() }
    assertEquals(0L, townshipSilent.state.value.total, "the township's child (the branch) signed: not the township's to chase")
    // The county's coverage shows the silent group.
    p.app.signIn("cs")
    val second = DirectiveDetailPresenter(p.ctx, wind.id)
    runBlocking { second.load() }
    val silent = assertNotNull(second.state.value.coverage)
    assertEquals("村民小组 1/2（50%）", silent.levels[2])
    assertEquals(listOf("g2"), silent.silent.map { it.nodeId })
}
