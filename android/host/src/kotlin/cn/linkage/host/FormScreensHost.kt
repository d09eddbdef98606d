package cn.linkage.host

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Surface
import androidx.compose.ui.Modifier
import cn.linkage.app.ui.FormCallbacks
import cn.linkage.app.ui.FormListScreen
import cn.linkage.app.ui.FormScreen
import cn.linkage.core.GpsFix
import cn.linkage.shell.FormListPresenter
import cn.linkage.shell.FormPresenter
import kotlinx.coroutines.runBlocking
import java.io.File

// The questionnaire screens (问卷, 排查表): the form list of a grid worker and the generic form screen on each
// page of core/tests/fixtures/form_fpj_check.json — typed fields with a constraint error in the core's words,
// choices as big buttons, a photo and a position, the roster repeat with entries, a computed value, and the
// missing answers after a refused submit. Real presenters over the real core; the harness's checks apply.

fun renderForms(f: Fixture) {
    val s = f.ctx.strings
    f.app.signIn("gw")
    f.app.loadForms(File("core/tests/fixtures/form_fpj_check.json").path)
    val list = FormListPresenter(f.ctx, householdId = "h1")
    runBlocking { list.load() }
    if (list.state.value.forms.isEmpty()) fail("gw-forms: no form listed")

    val form = FormPresenter(f.ctx) { startFormDraft("fpj-check", "h1", null, null) }
    runBlocking {
        if (!form.open()) fail("form: ${form.state.value.error}")
        form.type("respondent", "张建国")
        form.type("age", "12")
        form.pick("has_income", "yes")
    }
    if (form.state.value.items.none { it.error != null }) fail("gw-form-basics: the constraint break shows no error")
    val cb = FormCallbacks()
    shoot("gw-form-basics") { Surface(Modifier.fillMaxSize()) { FormScreen(form.state.value, s, cb) } }

    val fix = GpsFix(35.5801, 109.2601, 8.0, System.currentTimeMillis(), false)
    runBlocking {
        form.nextPage()
        form.toggle("problems", "leak")
        form.photo("house_photo", cameraPhoto(f.dir).path, fix)
        form.location("spot", fix)
    }
    if (form.state.value.error != null) fail("gw-form-housing: ${form.state.value.error}")
    shoot("gw-form-housing") { Surface(Modifier.fillMaxSize()) { FormScreen(form.state.value, s, cb) } }

    runBlocking {
        form.nextPage()
        for ((k, name) in listOf("张建国", "李桂兰", "张小明").withIndex()) {
            form.addInstance("members")
            form.type("members[${k + 1}]/m_name", name)
        }
        form.type("members[3]/m_age", "9")
    }
    shoot("gw-form-roster") { Surface(Modifier.fillMaxSize()) { FormScreen(form.state.value, s, cb) } }

    // A refused submit: the core names what is missing, on its page.
    runBlocking { form.submit() }
    if (form.state.value.error == null) fail("gw-form-missing: the incomplete form was accepted")
    shoot("gw-form-missing") { Surface(Modifier.fillMaxSize()) { FormScreen(form.state.value, s, cb) } }

    runBlocking { list.load() }
    shoot("gw-forms") { Surface(Modifier.fillMaxSize()) { FormListScreen(list.state.value, s, {}, {}, {}) } }
}
