package cn.linkage.host

import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Surface
import androidx.compose.ui.Modifier
import cn.linkage.app.ui.HouseholdEditScreen
import cn.linkage.app.ui.HouseholdSearchScreen
import cn.linkage.app.ui.ReportScreen
import cn.linkage.app.ui.SettingsScreen
import cn.linkage.core.IssueCategory
import cn.linkage.shell.HouseholdEditPresenter
import cn.linkage.shell.HouseholdSearchPresenter
import cn.linkage.shell.ReportIssuePresenter
import cn.linkage.shell.SettingsPresenter
import kotlinx.coroutines.runBlocking

// The household ledger (民生台账), place report with duplicate suggestions, and settings screens, rendered with
// their real presenters over the fixture's core and checked like every other screen.

/** Household search for each role; the grid worker's correction form and place report; settings. */
fun renderLedger(f: Fixture, user: String) {
    f.app.signIn(user)
    val s = f.ctx.strings
    val search = HouseholdSearchPresenter(f.ctx)
    runBlocking { search.load() }
    check(search.state.value.items.isNotEmpty()) { "$user: household search shows no household" }
    shoot("$user-households") {
        Surface(Modifier.fillMaxSize()) { HouseholdSearchScreen(search.state.value, s, {}, {}, {}, {}, {}, {}, {}) }
    }
    if (user == "gw") {
        val edit = HouseholdEditPresenter(f.ctx, "h1")
        runBlocking { edit.load(); edit.onFix(fixNearH1()); edit.setPhone("139 0000 1111") }
        shoot("gw-household-edit") {
            Surface(Modifier.fillMaxSize()) { HouseholdEditScreen(edit.state.value, s, {}, {}, {}, {}, {}, {}, {}, {}) }
        }
    }
    if (user == "lh") {
        // A report about a place (no household) in 一组, at 张秀英's door: the fixture's 冬季取暖困难 is suggested.
        val place = ReportIssuePresenter(f.ctx, null, "g1")
        runBlocking {
            place.open()
            place.onFix(cn.linkage.core.GpsFix(35.581, 109.262, 8.0, System.currentTimeMillis(), false))
            place.pickCategory(IssueCategory.LIVELIHOOD_AID)
            place.setDescription("一组水井旁的路灯坏了")
        }
        check(place.state.value.aboutPlace && place.state.value.duplicates.isNotEmpty()) { "place report: no duplicate suggestion" }
        shoot("lh-report-place") {
            Surface(Modifier.fillMaxSize()) { ReportScreen(place.state.value, s, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) }
        }
        place.close()
    }
    val settings = SettingsPresenter(f.ctx, "screens")
    runBlocking { settings.load() }
    shoot("$user-settings") {
        Surface(Modifier.fillMaxSize()) { SettingsScreen(settings.state.value, s, {}, {}, {}, {}, {}, {}, {}, {}) }
    }
    if (user == "gw") {
        settings.openGuide()
        check(settings.state.value.guide?.brands?.size == 4) { "the guide covers four brand families" }
        shoot("settings-background-sync") {
            Surface(Modifier.fillMaxSize()) { SettingsScreen(settings.state.value, s, {}, {}, {}, {}, {}, {}, {}, {}) }
        }
    }
}
