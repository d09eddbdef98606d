package cn.linkage.shell

import cn.linkage.core.FieldApp
import cn.linkage.core.FormItemKind
import cn.linkage.core.GpsFix
import cn.linkage.core.QuestionKind
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Host tests of the questionnaire screens (问卷, 排查表): the form presenters over the real core through JNA, as in
// ShellHostTests.kt. The form is core/tests/fixtures/form_fpj_check.json (the Rust tests and the benchmark use
// the same file): skip logic, a constraint, a photo, a roster repeat and a calculation.

private val formFixture: File get() = File(bundle.parentFile, "form_fpj_check.json")

/** A phone whose database survives [kill]: a new process is a new `FieldApp` on the same file and key. */
private class FormPhone : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-forms").toFile()
    private val key = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
    private val db = File(dir, "linkage.db").path
    var app: FieldApp = FieldApp.open(db, key).also { it.loadBundle(bundle.path) }
    var ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)

    /** The process dies (nothing flushed by the shell) and the app starts again. */
    fun kill() {
        app.destroy()
        app = FieldApp.open(db, key)
        ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)
    }

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}

/** Fill the fixture form on a grid worker's phone from a visit, kill the app, resume, submit into the outbox. */
fun formFilledResumedSubmitted() = FormPhone().use { p ->
    p.app.signIn("gw")
    assertEquals(1u, p.app.loadForms(formFixture.path))
    val now = System.currentTimeMillis()
    val visit = p.app.recordVisit(cn.linkage.core.VisitDraft("h2", cn.linkage.core.VisitKind.ROUTINE, now - 600_000, now, null, "入户走访", emptyList(), null))

    val list = FormListPresenter(p.ctx, householdId = "h2", visitId = visit.id)
    runBlocking { list.load() }
    assertEquals(listOf("防返贫监测走访表"), list.state.value.forms.map { it.title })
    assertEquals("共 10 题", list.state.value.forms[0].detail)

    val form = FormPresenter(p.ctx) { startFormDraft("fpj-check", "h2", null, visit.id) }
    runBlocking { assertTrue(form.open()) }
    var m = assertNotNull(form.state.value.model)
    assertEquals("张秀英", m.subjectLabel)
    assertEquals(listOf("respondent", "age", "has_income"), m.items.map { it.path }, "the amount is hidden until 有稳定收入 = 是")
    runBlocking {
        form.type("respondent", "张秀英")
        form.type("age", "12")
    }
    assertEquals("年龄应在 16 到 120 岁之间", form.state.value.items.first { it.path == "age" }.error)
    runBlocking {
        form.type("age", "58")
        form.pick("has_income", "yes")
    }
    m = form.state.value.model!!
    assertNull(m.items.first { it.path == "age" }.error)
    assertTrue(m.items.any { it.path == "income" && it.required }, "the core shows the amount once 是 is picked")
    assertEquals(listOf(true, false), m.items.first { it.path == "has_income" }.choices.map { it.selected })
    runBlocking { form.type("income", "850") }

    // The housing page: choices toggled, a photo through the evidence pipeline, the position.
    runBlocking {
        form.nextPage()
        form.toggle("problems", "leak")
        form.toggle("problems", "crack")
        form.toggle("problems", "crack")
    }
    m = form.state.value.model!!
    assertEquals(1u, m.page)
    assertEquals(listOf(true, false), m.items.first { it.path == "problems" }.choices.map { it.selected })
    assertTrue(m.items.any { it.path == "detail" }, "漏雨 opens 问题说明")
    val fix = GpsFix(35.5801, 109.2601, 8.0, System.currentTimeMillis(), false)
    runBlocking {
        form.photo("house_photo", cameraPhoto(p.dir).path, fix)
        form.location("spot", fix)
    }
    m = form.state.value.model!!
    assertNull(form.state.value.error)
    assertNotNull(m.items.first { it.path == "house_photo" }.photo, "the photo went through the pipeline")
    assertEquals(fix, m.items.first { it.path == "spot" }.fix)

    // The roster: two members, the first removed.
    runBlocking {
        form.nextPage()
        form.addInstance("members")
        form.addInstance("members")
        form.type("members[1]/m_name", "张秀英")
        form.type("members[2]/m_name", "王小花")
        form.type("members[2]/m_age", "9")
    }
    m = form.state.value.model!!
    assertEquals(listOf(FormItemKind.RepeatInstance(1u, true), FormItemKind.RepeatInstance(2u, true), FormItemKind.RepeatAdd),
        m.items.filter { it.item !is FormItemKind.Question }.map { it.item })
    assertEquals(QuestionKind.INTEGER, (m.items.first { it.path == "members[2]/m_age" }.item as FormItemKind.Question).kind)
    val draftId = m.draftId

    // The process is killed: the draft is there after a restart, on the roster page, with every answer.
    p.kill()
    p.app.signIn("gw")
    val drafts = FormListPresenter(p.ctx)
    runBlocking { drafts.load() }
    assertEquals(listOf(draftId), drafts.state.value.drafts.map { it.draftId })
    assertTrue(drafts.state.value.drafts[0].detail.startsWith("张秀英 · 已答 10 题"), drafts.state.value.drafts[0].detail)
    val resumed = FormPresenter(p.ctx) { formDraft(draftId) }
    runBlocking { assertTrue(resumed.open()) }
    m = resumed.state.value.model!!
    assertEquals(2u, m.page)
    assertEquals("王小花", m.items.first { it.path == "members[2]/m_name" }.text)
    runBlocking { resumed.removeInstance("members[1]") }
    assertEquals("王小花", resumed.state.value.items.first { it.path == "members[1]/m_name" }.text)
    runBlocking { resumed.goToPage(3u) }
    assertEquals("1", resumed.state.value.items.first { it.path == "member_count" }.text, "the core computes 家庭人数")

    // Submit: one response in the outbox, the draft gone.
    val pending = p.app.outboxStatus().pending
    val done = runBlocking { resumed.submit() }
    assertNotNull(done, "${resumed.state.value.error}")
    assertEquals(visit.id, done.visitId)
    assertEquals(pending + 1u, p.app.outboxStatus().pending)
    assertTrue(p.app.formDrafts().isEmpty())
    assertEquals("已提交，将随下次同步上报", resumed.state.value.submittedText)
}

/** A refused submit shows every missing answer in the core's words; a hidden question takes no answer. */
fun formRefusalsAreTheCoresWords() = FormPhone().use { p ->
    p.app.signIn("gw")
    p.app.loadForms(formFixture.path)
    val form = FormPresenter(p.ctx) { startFormDraft("fpj-check", null, null, null) }
    runBlocking { form.open(); form.type("age", "abc") }
    assertEquals("请填写整数（如 12）", form.state.value.items.first { it.path == "age" }.error)
    assertEquals("abc", form.state.value.items.first { it.path == "age" }.text, "what was typed stays")
    // 月收入 is hidden: answering it is refused with the core's words and nothing changes.
    runBlocking { form.type("income", "100") }
    val refused = assertNotNull(form.state.value.error)
    assertEquals("「答案」填写有误", refused.message)
    val pending = p.app.outboxStatus().pending
    assertNull(runBlocking { form.submit() })
    assertEquals(pending, p.app.outboxStatus().pending, "nothing queued")
    val m = form.state.value.model!!
    assertFalse(m.complete)
    assertEquals("此题必须回答", m.items.first { it.path == "respondent" }.error, "missing answers shown after a refused submit")
    assertEquals("还有 2 题必答未填", m.statusText)
}
