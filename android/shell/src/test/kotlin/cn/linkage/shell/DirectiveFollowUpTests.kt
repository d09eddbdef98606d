package cn.linkage.shell

import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// The directive follow-up as the presenters show it, over the real core (fixture county, one phone switching
// users): the composer with a photo, 一键催办 to the silent units and the reminded unit's card, a task report sent
// back with a reason and accepted, the text 朗读 reads, and the inbox offering 下达指令 to those who may issue.

fun directiveFollowUp() = Phone().use { p ->
    // Township staff compose a task with a photo; the photo travels with it.
    p.app.signIn("ts")
    val composer = DirectiveComposerPresenter(p.ctx)
    runBlocking { composer.load() }
    assertEquals(listOf("不设时限", "2 小时内", "6 小时内", "1 天内", "3 天内", "7 天内"), composer.state.value.dueOptions.map { it.label })
    composer.setTarget("b1")
    composer.setKind(DirectiveKind.TASK)
    composer.setTitle("清理林区可燃物")
    composer.setBody("三日内清理村后林区可燃物，清理前后拍照上报。")
    composer.setDueInHours(72u)
    assertTrue(runBlocking { composer.addPhoto(cameraPhoto(p.dir).path) }, "${composer.state.value.error}")
    val task = assertNotNull(runBlocking { composer.send() }, "${composer.state.value.error}")
    assertEquals(1, task.photoHashes.size)
    assertEquals("任务。清理林区可燃物。三日内清理村后林区可燃物，清理前后拍照上报。", task.readAloudText)
    val inbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { inbox.load() }
    assertTrue(inbox.state.value.canCompose, "staff are offered 下达指令")

    // The branch signs for it, reports; the township sends it back with a reason, then accepts the new report.
    p.app.signIn("gw")
    val gwInbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { gwInbox.load(); gwInbox.acknowledge(task.id) }
    assertTrue(gwInbox.state.value.canCompose, "a branch issues to its groups")
    p.app.reportTaskCompletion(task.id, "已清理一处", emptyList())
    p.app.signIn("lh")
    val lhInbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { lhInbox.load() }
    assertFalse(lhInbox.state.value.canCompose, "a liaison head does not issue")

    p.app.signIn("ts")
    val review = DirectiveDetailPresenter(p.ctx, task.id)
    runBlocking { review.load() }
    assertEquals("待审核 1 份", review.state.value.directive?.reportsWaitingText)
    val report = review.state.value.reports.single()
    assertTrue(report.canReview)
    assertEquals("待审核", report.statusText)
    assertEquals("已清理一处", report.note)
    review.startSendBack(report.nodeId)
    runBlocking { review.confirmSendBack() }
    // No reason: the core refuses and names the field; nothing changed.
    val refused = assertNotNull(review.state.value.error)
    assertTrue("原因" in refused.message + refused.nextStep, "${refused.message} / ${refused.nextStep}")
    assertEquals(report.nodeId, review.state.value.sendingBackNodeId)
    review.setSendBackReason("只清理了一处，请全部清理")
    runBlocking { review.confirmSendBack() }
    assertNull(review.state.value.error)
    assertNull(review.state.value.sendingBackNodeId)
    assertEquals("已退回", review.state.value.reports.single().statusText)
    assertFalse(review.state.value.reports.single().canReview)

    p.app.signIn("gw")
    val returned = DirectiveDetailPresenter(p.ctx, task.id)
    runBlocking { returned.load() }
    assertEquals("已退回：只清理了一处，请全部清理。请重新上报", returned.state.value.directive?.returnedText)
    assertTrue(returned.state.value.canReportCompletion, "report again")
    Thread.sleep(5) // the new report is later than the one sent back (ms clock)
    p.app.reportTaskCompletion(task.id, "三处全部清理完毕", emptyList())
    p.app.signIn("ts")
    runBlocking { review.load(); review.accept(report.nodeId) }
    assertNull(review.state.value.error)
    assertEquals("已通过", review.state.value.reports.single().statusText)
    assertNull(review.state.value.directive?.reportsWaitingText)

    // An alert to the township: nobody below has signed; 一键催办 reaches every silent unit.
    val alert = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "森林火险橙色预警", "严禁野外用火", null))
    val coverage = DirectiveDetailPresenter(p.ctx, alert.id)
    runBlocking { coverage.load() }
    val cov = assertNotNull(coverage.state.value.coverage)
    assertEquals(listOf("村党支部 0/1（0%）", "村民小组 0/2（0%）", "户 0/4（0%）"), cov.levels)
    assertTrue(cov.canRemind)
    assertNull(cov.allAcknowledgedText)
    assertEquals(listOf("b1", "g1", "g2"), cov.silent.map { it.nodeId })
    assertTrue(cov.silent.all { it.remindedText == null })
    runBlocking { coverage.remindSilent() }
    assertEquals("已向 3 个单位发出催办", coverage.state.value.notice)
    assertTrue(coverage.state.value.coverage!!.silent.all { it.remindedText?.startsWith("已催办 ") == true })

    // The reminded branch sees it on its card until it signs.
    p.app.signIn("gw")
    runBlocking { gwInbox.load() }
    val card = gwInbox.state.value.rows.single { it.id == alert.id }
    assertTrue(card.remindedText?.startsWith("上级已催办（") == true, card.remindedText)
    assertTrue(card.showAcknowledge)
    runBlocking { gwInbox.acknowledge(alert.id) }
    assertNull(gwInbox.state.value.rows.single { it.id == alert.id }.remindedText)
}
