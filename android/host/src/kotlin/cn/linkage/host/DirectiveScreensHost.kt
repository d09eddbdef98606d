package cn.linkage.host

import cn.linkage.app.ui.ComposerScreen
import cn.linkage.app.ui.DirectiveScreen
import cn.linkage.app.ui.InboxScreen
import cn.linkage.core.DirectiveKind
import cn.linkage.shell.DirectiveComposerPresenter
import cn.linkage.shell.DirectiveDetailPresenter
import cn.linkage.shell.DirectiveInboxPresenter
import kotlinx.coroutines.runBlocking

// The directive screens beyond each role's inbox and directive page (指令下达): the composer with a photo, the
// issuer's coverage with the silent units and 催办 after reminding them, a task's completion reports with 通过 /
// 退回 and the reason field, the reminded unit's directive and the reporting unit's sent-back report. Every state
// is the real core's (fixture county, real calls); the checks are the harness's own (text, touch, contrast, the
// directive steps the core leaves open).

private fun steps(f: Fixture, id: String) = f.app.directive(id).let { d ->
    listOfNotNull(if (d.canAcknowledge) f.ctx.strings.acknowledge else null, if (d.canRelay) f.ctx.strings.relay else null)
}

fun renderDirectives(f: Fixture) {
    val s = f.ctx.strings
    val none: (String) -> Unit = {}

    // Township staff compose a task with a photo, due in three days.
    f.app.signIn("ts")
    val composer = DirectiveComposerPresenter(f.ctx)
    runBlocking {
        composer.load()
        composer.setKind(DirectiveKind.TASK)
        composer.setTitle("清理林区可燃物")
        composer.setBody("本周内清理村后林区和坟地周边的枯枝落叶，清理前后各拍一张照片上报。")
        composer.setDueInHours(72u)
        if (!composer.addPhoto(cameraPhoto(f.dir).path)) fail("composer photo: ${composer.state.value.error}")
    }
    shoot("ts-composer") {
        Frame(f, true, false) { ComposerScreen(composer.state.value, s, none, {}, {}, none, none, {}, {}, {}, none) }
    }

    // The grid worker (branch b1) reports the fixture's task done; the township sends it back with a reason.
    f.app.signIn("gw")
    f.app.reportTaskCompletion(f.task, "已入户查看 12 户取暖设施", emptyList())
    f.app.signIn("ts")
    val task = DirectiveDetailPresenter(f.ctx, f.task)
    runBlocking { task.load() }
    if (task.state.value.reports.none { it.canReview }) fail("ts-task-reports: no report to review: ${task.state.value.error}")
    shoot("ts-task-reports", Expect(directiveSteps = steps(f, f.task), acknowledgeLabel = s.acknowledge, relayLabel = s.relay)) {
        Frame(f, true, false) { DirectiveScreen(task.state.value, s, null, {}, none, none, {}, {}, { _, _ -> }, {}) }
    }
    task.startSendBack("b1")
    task.setSendBackReason("照片看不清，请补拍")
    shoot("ts-task-send-back") {
        Frame(f, true, false) { DirectiveScreen(task.state.value, s, null, {}, none, none, {}, {}, { _, _ -> }, {}) }
    }
    runBlocking { task.confirmSendBack() }
    if (task.state.value.error != null) fail("send back: ${task.state.value.error}")

    // The township's alert: coverage per level, the silent units, 催办 sent to them.
    val alert = DirectiveDetailPresenter(f.ctx, f.alert)
    runBlocking { alert.load(); alert.remindSilent() }
    if (alert.state.value.coverage?.silent?.any { it.remindedText != null } != true) fail("ts-alert-coverage: nobody reminded")
    shoot("ts-alert-coverage") {
        Frame(f, true, false) { DirectiveScreen(alert.state.value, s, null, {}, none, none, {}, {}, { _, _ -> }, {}) }
    }

    // The grid worker: the reminder on the alert, and the task report sent back with its reason.
    f.app.signIn("gw")
    val inbox = DirectiveInboxPresenter(f.ctx)
    runBlocking { inbox.load() }
    if (inbox.state.value.rows.none { it.remindedText != null }) fail("gw-inbox-reminded: no reminder shown")
    shoot("gw-inbox-reminded") {
        Frame(f, true, false) { InboxScreen(inbox.state.value, s, {}, none, none, none, {}, none, { _, _ -> }) }
    }
    val returned = DirectiveDetailPresenter(f.ctx, f.task)
    runBlocking { returned.load() }
    if (returned.state.value.directive?.returnedText == null) fail("gw-task-returned: the reason is not shown")
    shoot("gw-task-returned", Expect(directiveSteps = steps(f, f.task), acknowledgeLabel = s.acknowledge, relayLabel = s.relay)) {
        Frame(f, true, false) { DirectiveScreen(returned.state.value, s, null, {}, none, none, {}, {}, { _, _ -> }, {}) }
    }
}
