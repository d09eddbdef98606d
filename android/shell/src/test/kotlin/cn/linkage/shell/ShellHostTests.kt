package cn.linkage.shell

import cn.linkage.core.AckMeans
import cn.linkage.core.ActionForm
import cn.linkage.core.IssueFilter
import cn.linkage.core.TextNeed
import cn.linkage.core.ApiException
import cn.linkage.core.ChangeObserver
import cn.linkage.core.ChangeTopic
import cn.linkage.core.HouseholdQuery
import cn.linkage.core.ScheduledSyncResult
import cn.linkage.core.SubmittedRecord
import cn.linkage.core.SyncState
import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import cn.linkage.core.DraftKind
import cn.linkage.core.FieldApp
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueCommand
import cn.linkage.core.IssueDraft
import cn.linkage.core.IssueState
import cn.linkage.core.Light
import cn.linkage.core.PhotoProblem
import cn.linkage.core.SupervisionLevel
import cn.linkage.core.SyncPhase
import cn.linkage.core.Urgency
import cn.linkage.core.VisitKind
import kotlinx.coroutines.runBlocking
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.system.exitProcess
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

// Host tests of the shell glue, run on the JVM against the real core through JNA (no Android needed):
// presenters turn core records and errors into UI state. The rules themselves are tested in Rust.
// Run by scripts/test-shells.sh (kotlinc + java) and by `./gradlew :shell:hostTest`.
// Usage: ShellHostTestsKt <path to core/tests/fixtures/bundle.json>

internal lateinit var bundle: File

/** A store key as the app's StoreKeyVault makes one (32 random bytes; on a phone wrapped by the Keystore). */
private fun newStoreKey(): ByteArray = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }

/** Opens `path` encrypted with a fresh key (each test phone has its own). */
private fun openStore(path: String, key: ByteArray = newStoreKey()): FieldApp = FieldApp.open(path, key)

/** A fresh phone: a new database with the fixture county loaded (users cs ts ts2 gw gw2 lh lh2, h1..h5). */
internal class Phone(lang: Lang = Lang.ZH_CN) : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-shell").toFile()
    val app = openStore(File(dir, "linkage.db").path).also { it.loadBundle(bundle.path) }
    // These tests switch users on one phone: screens reload when told to (live refresh has its own tests).
    val ctx = ShellContext(app, lang, liveRefresh = false)

    fun reportAs(user: String, title: String, category: IssueCategory = IssueCategory.LIVELIHOOD_AID, urgency: Urgency = Urgency.URGENT): String {
        app.signIn(user)
        return app.reportIssue(IssueDraft(category, urgency, title, "描述", "h1")).id
    }

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}

/** A camera file (a JPEG made with ImageIO, as in core/tests/bindings/kotlin/BindingStoryTest.kt). */
internal fun cameraPhoto(dir: File, name: String = "DCIM_0001.jpg"): File {
    val image = BufferedImage(800, 600, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until 600) for (x in 0 until 800) image.setRGB(x, y, ((x % 256) shl 16) or ((y % 256) shl 8) or ((x + y) % 256))
    return File(dir, name).also { ImageIO.write(image, "jpg", it) }
}

/** A fresh fix near h1, taken now (after any form opened before this call). */
private fun fixNearH1(accuracy: Double = 8.0) =
    GpsFix(lat = 35.5801, lon = 109.2601, accuracyM = accuracy, fixTimeMs = System.currentTimeMillis(), mocked = false)

val tests: List<Pair<String, () -> Unit>> = listOf(
    "questionnaire: filled from a visit, the app killed and resumed, submitted into the outbox" to ::formFilledResumedSubmitted,
    "questionnaire: a refused submit and a hidden question in the core's words" to ::formRefusalsAreTheCoresWords,
    "app lock: the shell asks the core when the device credential is due (cold start), and reports the unlock" to ::appLockFollowsTheCore,
    "store: encrypted with the shell's key; not SQLite without it; another key reads as plain Chinese" to ::encryptedStore,
    "triage presenter loads the queue into UI state" to ::triageQueueLoads,
    "issue page shows only the core's allowed actions" to ::issuePageActions,
    "errors show the core's zh-CN (and English) words, detail only behind 详情" to ::errorsMapToMessages,
    "visit presenter shows the core's live verdict; stale fixes are never on site" to ::visitVerdict,
    "sync bar reacts to SyncObserver callbacks" to ::syncBarObserver,
    "grid worker today: overdue nearest first from the live fix" to ::todayNearestFirst,
    "directive inbox and household acknowledgements" to ::directiveFlow,
    "shell vocabulary agrees with the core's labels" to ::labelsAgreeWithCore,
    "issue page: the core's action specs drive suspend, extension, supervision and verify dialogs" to ::supervisionActions,
    "report form: resolved on the spot (就地解决)" to ::resolvedOnSpot,
    "task directive: completion report after acknowledging" to ::taskCompletion,
    "directive composer: targets from the core's org tree" to ::directiveComposer,
    "directive follow-up: composer photos, 催办 to silent units, task report sent back and accepted, 朗读 text" to ::directiveFollowUp,
    "demo server: a colleague's visit photo opened after sync; a throwing sync observer" to ::colleaguesPhotoAfterSync,
    "drafts: the visit form resumes notes and photos in a new process, saves one visit" to ::visitDraftResumes,
    "drafts: 办结 typed → 继续填写 lists it → resumed → submitted; 回访 choices from the core; bad drafts are typed errors" to ::resolutionDraftAndBadInput,
    "a throwing ChangeObserver is a typed error; the write stays" to ::throwingObserver,
    "live: an open triage screen lists an issue the automatic sync pulls" to ::liveTriageRefresh,
    "sign-in: an initial password asks for a new one, the core checks it, then the user is in" to ::initialPasswordChanged,
    "branch day (4 phones, a server): a neighbour dispute settled and closed at the branch, never in the township's queue" to ::branchDay,
    "households: search by name, address, tag and risk, paged; the household page pages visits and issues" to ::householdSearchAndPages,
    "households: corrections (phone, members, tags) and the house is here through the core's field-wise edit" to ::householdCorrections,
    "report from a place: duplicates offered before saving; joining one files nothing; no place is refused" to ::placeReportDuplicates,
    "settings: text size persisted by the core, sign-out warns about unsent records, background-sync guide" to ::settingsAndSignOut,
    "grid worker day (3 phones, a server): search, correct a phone, report from a place (joined by a second reporter), two visits, the dashboard moves" to ::gridWorkerDay,
    "triage pickers: 交办 with each person's load, 合并 from the core's suggestions or a search" to ::triagePickers,
    "county overview: every open issue by township and filter; 待我审批 leads to 延期审批" to ::countyOverview,
    "staff dashboard: lit figures per node and child; a tap opens the list behind a figure" to ::staffDashboard,
    "township day (5 phones, a server): five reports triaged with pickers, one merged, one joined with a photo, 办结 with a photo, GPS 回访, 延期 approved and a task report accepted from the county's 待我审批" to ::townshipDay,
    "fire-alert day (6 phones, a server): composed, signed and relayed down to every household at 100 %; a silent group flagged to its branch after the window, reminded, signs" to ::fireAlertDay,
)

/** The demo server the script started (`linkage-server demo`), or `null` when run without one. */
private var serverUrl: String? = null

fun triageQueueLoads() = Phone().use { p ->
    p.reportAs("lh", "冬季取暖困难")
    p.reportAs("lh", "山林冒烟", IssueCategory.FOREST_FIRE, Urgency.CRITICAL)
    p.app.signIn("ts")
    val triage = TriagePresenter(p.ctx)
    assertFalse(triage.state.value.loading)
    runBlocking { triage.load() }
    val st = triage.state.value
    assertFalse(st.loading)
    assertNull(st.error)
    assertEquals(2L, st.total)
    assertEquals(setOf("冬季取暖困难", "山林冒烟"), st.rows.map { it.title }.toSet())
    st.rows.forEach { row ->
        assertEquals("上报", row.stateLabel)
        assertEquals(Light.GREEN, row.light)
        assertEquals("正常", row.lightLabel)
        assertTrue(row.urgent)
        assertTrue(row.dueText!!.startsWith("限 "), row.dueText)
    }
    assertEquals("护林防火 · 特急", st.rows.single { it.title == "山林冒烟" }.subtitle)
    assertNull(st.nextOffset)

    // The staff banner is the core's: a year that has started or starts within 30 days without a calendar
    // (the fixture bundle ships none of its own, so it follows the shipped 2026 file and today's date).
    val banner = p.app.calendarWarning()
    assertEquals(banner?.message, st.calendarWarning)
    banner?.let { assertTrue("节假日" in it.message, it.message) }
    p.app.signIn("gw")
    assertNull(p.app.calendarWarning()) // staff only
    p.app.signIn("ts")
    // The filter chips are the core's (labels and what each lists).
    assertEquals(listOf("未结案", "待受理", "待回访", "超期", "全部"), st.filters.map { it.label })
    runBlocking { triage.setFilter(IssueFilter.TO_VERIFY) }
    assertEquals(emptyList(), triage.state.value.rows)
    runBlocking { triage.setFilter(IssueFilter.OVERDUE) }
    assertEquals(0L, triage.state.value.total)
    runBlocking { triage.setFilter(IssueFilter.NEW) }
    assertEquals(2L, triage.state.value.total)

    // Paging: one row per page, then the second page appends.
    val paged = TriagePresenter(p.ctx, pageSize = 1u)
    runBlocking { paged.load() }
    assertEquals(1, paged.state.value.rows.size)
    assertEquals(1u, paged.state.value.nextOffset)
    runBlocking { paged.loadMore() }
    assertEquals(2, paged.state.value.rows.size)
    assertNull(paged.state.value.nextOffset)
}

fun issuePageActions() = Phone().use { p ->
    val id = p.reportAs("lh", "道路塌方")
    p.app.signIn("ts")
    val page = IssuePresenter(p.ctx, id)
    runBlocking { page.load() }
    var st = page.state.value
    assertNull(st.error)
    assertEquals("道路塌方", st.header!!.title)
    assertEquals(listOf(IssueActionKind.ACCEPT, IssueActionKind.REJECT, IssueActionKind.MERGE), st.actions.map { it.kind })
    assertEquals(listOf("受理", "不予受理", "合并"), st.actions.map { it.label })
    // What each dialog needs comes with the button: nothing, a required reason, another issue.
    assertEquals(listOf(TextNeed.NONE, TextNeed.REQUIRED, TextNeed.NONE), st.actions.map { it.text })
    assertEquals(listOf(true, false, false), st.actions.map { it.immediate })
    assertEquals("原因", st.actions[1].textLabel)
    assertTrue(st.actions[2].needsOtherIssue)
    assertEquals(listOf("上报"), st.timeline.map { it.label })
    assertTrue(st.timeline.single().pendingSync)

    assertTrue(runBlocking { page.perform(IssueActionKind.ACCEPT) })
    st = page.state.value
    assertEquals("受理", st.header!!.stateLabel)
    assertTrue(IssueActionKind.ASSIGN in st.actions.map { it.kind }, st.actions.toString())
    assertFalse(IssueActionKind.ACCEPT in st.actions.map { it.kind })
    assertEquals(listOf("上报", "受理"), st.timeline.map { it.label })

    // 交办 asks for a person picked from the core's candidates (the grid worker of the issue's own branch, the
    // township's staff), never a typed account id; nothing picked is the core's missing field.
    val assign = page.state.value.actions.single { it.kind == IssueActionKind.ASSIGN }
    assertTrue(assign.needsPerson)
    assertEquals("交办给", assign.personLabel)
    assertEquals(listOf("gw", "ts"), st.assigneeOptions.map { it.value })
    assertEquals("网格员（网格员 · 石堡村党支部） · 在办 0 件", st.assigneeOptions.first().label)
    assertFalse(runBlocking { page.perform(IssueActionKind.ASSIGN) })
    assertEquals("「承办人」填写有误", page.state.value.error!!.message)
    assertTrue(runBlocking { page.perform(IssueActionKind.ASSIGN, ActionForm(personId = st.assigneeOptions.first().value)) })
    assertEquals("交办", page.state.value.header!!.stateLabel)

    // A grid worker sees no triage actions on someone else's step, and the page says so.
    p.app.signIn("lh")
    val reporterView = IssuePresenter(p.ctx, id)
    runBlocking { reporterView.load() }
    assertEquals(emptyList(), reporterView.state.value.actions)
    assertEquals("当前没有您可进行的操作", reporterView.state.value.noActionsText)
}

fun errorsMapToMessages() = Phone().use { p ->
    val id = p.reportAs("lh", "邻里纠纷", IssueCategory.DISPUTE)

    // NotPermitted from the core: the liaison head may not accept; the rule is named in plain words.
    val asReporter = IssuePresenter(p.ctx, id)
    assertFalse(runBlocking { asReporter.perform(IssueActionKind.ACCEPT, IssueCommand.Accept) })
    val denied = asReporter.state.value.error!!
    assertEquals("只有诉求所属层级的干部可以办理此事项", denied.message)
    assertEquals("如需办理，请联系有权限的干部", denied.nextStep)
    assertEquals("not_permitted", denied.code)
    assertTrue(!denied.detail.isNullOrBlank()) // the rule's English text, behind 详情 only
    assertNull(asReporter.state.value.performing)

    // IllegalTransition from the core: accepting twice (a stale page) names the state and the action.
    p.app.signIn("ts")
    val page = IssuePresenter(p.ctx, id)
    runBlocking { page.perform(IssueActionKind.ACCEPT) }
    assertFalse(runBlocking { page.perform(IssueActionKind.ACCEPT, IssueCommand.Accept) })
    assertEquals("诉求当前为「受理」，不能「受理」", page.state.value.error!!.message)
    assertEquals("请刷新后查看最新状态", page.state.value.error!!.nextStep)
    assertEquals(ErrorAction.RETRY, page.state.value.error!!.action)

    // NotFound and InvalidInput, with the field named in Chinese.
    val missing = IssuePresenter(p.ctx, "no-such-issue")
    runBlocking { missing.load() }
    assertEquals("找不到这条记录，或它不在您的管辖范围内", missing.state.value.error!!.message)
    p.app.signIn("lh")
    val form = ReportIssuePresenter(p.ctx, "h1")
    form.setTitle("x".repeat(10_000))
    runBlocking { form.submit() }
    assertEquals("「标题」填写有误", form.state.value.error!!.message)

    // BadPhoto from the core: a text file handed over as a photo.
    p.app.signIn("gw")
    val visit = VisitFormPresenter(p.ctx, "h1")
    val notAPhoto = File(p.dir, "note.jpg").apply { writeText("不是照片") }
    assertFalse(runBlocking { visit.addPhoto(notAPhoto.path) })
    val bad = visit.state.value.error!!
    assertEquals(listOf("所选文件不是照片", "请选择一张照片"), listOf(bad.message, bad.nextStep))
    assertEquals(ErrorAction.RETAKE_PHOTO, bad.action)

    // Every variant reads in plain words: no HTTP status, English rule text or class name in the message.
    val zh = Strings(Lang.ZH_CN)
    val en = Strings(Lang.EN)
    val samples = listOf(
        ApiException.Network("error sending request: connection refused"),
        ApiException.AuthRequired("401 invalid_credentials"),
        ApiException.ServerRefused(503u, "Service Unavailable"),
        ApiException.BadPhoto(PhotoProblem.UNSUPPORTED_FORMAT, "heic"),
        ApiException.IllegalTransition(IssueState.CLOSED, IssueActionKind.ACCEPT),
        ApiException.NotPermitted("out_of_scope", "outside the signed-in user's area"),
        ApiException.OutOfOrder("acknowledge (签收) before relaying"),
        ApiException.InvalidInput("working_days", "must be 1 to 30 working days"),
        ApiException.Conflict("operation x was already recorded"),
        ApiException.NotFound("issue", "i9"),
        ApiException.NotSignedIn(),
        ApiException.DeviceWiped(),
        ApiException.Storage("database: disk I/O error"),
    )
    for (e in samples) {
        val m = e.toUiError(zh)
        assertTrue(m.message.any { it in '\u4e00'..'\u9fff' } && !m.nextStep.isNullOrBlank(), m.toString())
        for (leak in listOf("503", "HTTP", "Exception", "error", "must", "outside")) assertFalse(leak in m.message || leak in m.nextStep!!, "$m leaks $leak")
        assertTrue(e.toUiError(en).message.none { it in '\u4e00'..'\u9fff' })
    }
    val refused = ApiException.ServerRefused(503u, "busy").toUiError(zh)
    assertEquals("服务器暂时无法处理这个请求", refused.message)
    assertEquals("HTTP 503: busy", refused.detail)
    assertEquals(ErrorAction.SIGN_IN, ApiException.AuthRequired("expired").toUiError(zh).action)
    assertEquals("「延期天数」填写有误", samples[7].toUiError(zh).message)
    assertEquals(
        "The issue is Closed: “Accept” is not possible now",
        ApiException.IllegalTransition(IssueState.CLOSED, IssueActionKind.ACCEPT).toUiError(en).message,
    )
    val unexpected = IllegalStateException("boom").toUiError(zh)
    assertEquals("发生意外错误", unexpected.message)
    assertNull(unexpected.detail) // no exception class name reaches the user
}

fun visitVerdict() = Phone().use { p ->
    p.app.signIn("gw")

    val onSite = VisitFormPresenter(p.ctx, "h1")
    assertEquals("正在获取当前位置（不使用旧位置）…", onSite.state.value.gps.text)
    // Before a fix the live verdict says so; a fresh fix near the house previews as on site.
    runBlocking { onSite.previewVerdict() }
    assertEquals("无定位", onSite.state.value.verdict!!.label)
    onSite.onFix(fixNearH1())
    runBlocking { onSite.previewVerdict() }
    val live = onSite.state.value.verdict!!
    assertEquals(listOf("在现场", "已在住户附近，可以保存走访"), listOf(live.label, live.advice))
    assertTrue(live.onSite)
    assertEquals("定位精度 ±8 米", onSite.state.value.gps.text)
    onSite.setNotes("老人身体尚好，煤已备足")
    val result = runBlocking { onSite.save() }!!
    assertEquals("在现场", result.verdictLabel)
    assertTrue(result.onSite)
    assertTrue(result.distanceText!!.startsWith("距住户 ") && result.distanceText!!.endsWith(" 米"), result.distanceText)
    assertEquals("走访已保存，将自动同步", result.savedText)
    assertFalse(onSite.state.value.canSave) // saved visits are immutable: no second save

    // The phone's last known position, from before the form opened: stale, never on site — live and saved.
    val lastKnown = GpsFix(35.5801, 109.2601, 5.0, System.currentTimeMillis() - 60_000, false)
    val stale = VisitFormPresenter(p.ctx, "h1")
    stale.onFix(lastKnown)
    runBlocking { stale.previewVerdict() }
    assertEquals("定位已过期", stale.state.value.verdict!!.label)
    assertFalse(stale.state.value.verdict!!.onSite)
    assertTrue("重新定位" in stale.state.value.verdict!!.advice)
    assertEquals("定位已过期", runBlocking { stale.save() }!!.verdictLabel)

    // A fix from the future is refused by the core with the field named; nothing is saved.
    val future = VisitFormPresenter(p.ctx, "h1")
    future.onFix(fixNearH1().copy(fixTimeMs = System.currentTimeMillis() + 3_600_000))
    runBlocking { future.previewVerdict() }
    assertEquals("「定位时间」填写有误", future.state.value.error!!.message)
    assertNull(runBlocking { future.save() })

    // Denied, approximate-only permission and GPS off are said in plain words.
    val noPermission = VisitFormPresenter(p.ctx, "h2")
    noPermission.onLocationProblem(LocationProblem.APPROXIMATE_ONLY)
    assertTrue("精确位置" in noPermission.state.value.gps.problem!!)
    noPermission.onLocationProblem(LocationProblem.GPS_OFF)
    assertTrue("已关闭" in noPermission.state.value.gps.problem!!)
    noPermission.onLocationProblem(LocationProblem.DENIED)
    assertTrue("未允许" in noPermission.state.value.gps.problem!!)

    val far = VisitFormPresenter(p.ctx, "h1")
    far.onFix(GpsFix(35.60, 109.26, 8.0, System.currentTimeMillis(), false))
    assertEquals("距离过远", runBlocking { far.save() }!!.verdictLabel)

    val blind = VisitFormPresenter(p.ctx, "h2", VisitKind.EMERGENCY_CHECK)
    val noFix = runBlocking { blind.save() }!!
    assertEquals("无定位", noFix.verdictLabel)
    assertFalse(noFix.onSite)

    val mocked = VisitFormPresenter(p.ctx, "h1")
    mocked.onFix(fixNearH1().copy(mocked = true))
    assertNotNull(mocked.state.value.gps.mockWarning)
    assertEquals("疑似虚拟定位", runBlocking { mocked.save() }!!.verdictLabel)

    // The household page lists the visits with the same labels.
    val household = HouseholdPresenter(p.ctx, "h1")
    runBlocking { household.load() }
    assertEquals(4, household.state.value.visits.size)
    assertTrue("在现场" in household.state.value.visits.map { it.verdictLabel })
    assertEquals("张建国", household.state.value.household!!.headName)

    // English UI: the core labels the verdict in English too.
    val en = ShellContext(p.app, Lang.EN)
    val english = VisitFormPresenter(en, "h1")
    english.onFix(fixNearH1())
    assertEquals("On site", runBlocking { english.save() }!!.verdictLabel)
    p.app.setLocale(Lang.ZH_CN.tag)
}

fun syncBarObserver() = Phone().use { p ->
    p.reportAs("lh", "冬季取暖困难")
    val bar = SyncBarPresenter(p.ctx)
    runBlocking { bar.refresh() }
    var st = bar.state.value
    val pending = p.app.outboxStatus().pending.toLong()
    assertTrue(pending > 0)
    assertEquals(pending, st.pending)
    assertEquals("待同步 $pending 条", st.pendingText)
    assertEquals("尚未同步", st.lastSyncText)
    assertFalse(st.running)
    assertNull(st.quarantinedText)
    assertEquals(emptyList(), st.quarantinedItems)

    // The core calls the observer from its own thread while a sync runs.
    val worker = Thread { bar.observer.onProgress(SyncPhase.PUSH, 3uL, 10uL) }
    worker.start()
    worker.join()
    st = bar.state.value
    assertTrue(st.running)
    assertEquals(SyncPhase.PUSH, st.phase)
    assertEquals("上传更改 3/10", st.progressText)
    assertEquals(0.3f, st.progress!!, 1e-6f)

    bar.observer.onProgress(SyncPhase.UPLOAD, 1uL, 1uL)
    assertEquals("上传照片 1/1", bar.state.value.progressText)
    assertEquals(1f, bar.state.value.progress)
    bar.observer.onProgress(SyncPhase.PULL, 0uL, 0uL)
    assertEquals("下载更新 0/0", bar.state.value.progressText)
    assertNull(bar.state.value.progress) // total unknown yet: indeterminate

    // A sync before the device is enrolled fails with AuthRequired: the bar stops, keeps the count, asks to sign in.
    runBlocking { bar.sync() }
    st = bar.state.value
    assertFalse(st.running)
    assertNull(st.progressText)
    assertEquals("账号或密码不正确，或登录已过期", st.error!!.message)
    assertEquals(ErrorAction.SIGN_IN, st.error!!.action)
    // The bar keeps the failure in the core's words (the technical text stays behind 详情).
    runBlocking { bar.refresh() }
    assertTrue(bar.state.value.lastSyncFailed)
    assertEquals("上次同步失败：账号或密码不正确，或登录已过期", bar.state.value.lastSyncText)
    assertEquals("请重新登录；忘记密码请联系乡镇管理员", bar.state.value.lastSyncNextStep)
    assertEquals(pending, st.pending)

    assertEquals("$pending waiting to sync", Strings(Lang.EN).pending(pending))
}

fun todayNearestFirst() = Phone().use { p ->
    val id = p.reportAs("lh", "危房排查", IssueCategory.SAFETY_HAZARD)
    p.app.signIn("ts")
    p.app.performIssueAction(id, cn.linkage.core.IssueCommand.Accept)
    p.app.performIssueAction(id, cn.linkage.core.IssueCommand.Assign("gw"))
    p.app.signIn("gw")
    val today = TodayPresenter(p.ctx)
    runBlocking { today.load() }
    var st = today.state.value
    assertNull(st.error)
    assertEquals("暂无定位，按逾期天数排序", st.locationText)
    assertEquals(listOf("危房排查"), st.assigned.map { it.title })
    assertTrue(st.overdue.isNotEmpty())
    assertTrue(st.overdue.all { it.overdueText == "从未走访" && it.distanceText == null })

    runBlocking { today.onLocation(GpsFix(35.5902, 109.2702, 12.0, System.currentTimeMillis(), false)) }
    st = today.state.value
    assertEquals("定位精度 ±12 米", st.locationText)
    assertEquals("h3", st.overdue.first().household.id) // 李明 lives at 35.59, 109.27
    assertTrue(st.overdue.first().distanceText!!.endsWith(" 米"))
}

fun directiveFlow() = Phone().use { p ->
    p.app.signIn("ts")
    val due = System.currentTimeMillis() + 3 * 24 * 3_600_000L
    val d = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "护林防火预警", "禁止野外用火", due))
    // The issuing township is not asked to sign for its own alert (ADR 0002): in its inbox, without 签收.
    assertEquals(0uL, p.app.directivesToAcknowledge(0u, 10u).total)
    val own = DirectiveInboxPresenter(p.ctx)
    runBlocking { own.load() }
    assertEquals(1L, own.state.value.total)
    assertFalse(own.state.value.rows.single().showAcknowledge)

    p.app.signIn("gw")
    val today = TodayPresenter(p.ctx)
    runBlocking { today.load() }
    assertEquals(listOf("护林防火预警"), today.state.value.directives.map { it.title })

    val inbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { inbox.load() }
    val row = inbox.state.value.rows.single()
    assertEquals("预警", row.kindLabel)
    assertTrue(row.showAcknowledge && !row.showRelay)
    // Relaying before acknowledging is refused by the core, shown as the order hint.
    runBlocking { inbox.relay(d.id) }
    assertEquals("还不能进行这一步", inbox.state.value.error?.message)
    assertEquals("请按顺序办理：先签收，再转发、登记或上报完成情况", inbox.state.value.error?.nextStep)
    runBlocking { inbox.acknowledge(d.id) }
    assertTrue(inbox.state.value.rows.single().acknowledged)
    assertTrue(inbox.state.value.rows.single().showRelay)
    runBlocking { inbox.relay(d.id) }
    assertNull(inbox.state.value.error)
    assertTrue(inbox.state.value.rows.single().relayed)
    assertFalse(inbox.state.value.rows.single().showRelay)
    // Signed for: off today's list of things to sign for.
    runBlocking { today.load() }
    assertTrue(today.state.value.directives.isEmpty())

    p.app.signIn("lh")
    val lhInbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { lhInbox.load(); lhInbox.acknowledge(d.id) }
    assertNull(lhInbox.state.value.error)
    val detail = DirectiveDetailPresenter(p.ctx, d.id)
    runBlocking { detail.load() }
    assertEquals(listOf("h1", "h2"), detail.state.value.households.map { it.household.id })
    assertTrue(detail.state.value.households.all { it.recorded == null })
    assertEquals("已告知 0/2 户", detail.state.value.householdsText)
    assertEquals(listOf("入户", "电话", "当面"), detail.state.value.meansOptions.map { it.label })
    runBlocking { detail.recordAck("h1", AckMeans.PHONE) }
    val st = detail.state.value
    assertNull(st.error)
    // The core's list: the untold first, then h1 with how, when and by whom.
    assertEquals(listOf("h2", "h1"), st.households.map { it.household.id })
    val recorded = st.households.last().recorded!!
    assertTrue(recorded.startsWith("电话 · ") && recorded.endsWith(" · 联户长"), recorded)
    assertEquals("已告知 1/2 户", st.householdsText)
    assertEquals("已告知 1/2 户", st.directive!!.householdsText)
    // Reopened later, the screen still shows who is untold (the list comes from the core, not this session).
    val reopened = DirectiveDetailPresenter(p.ctx, d.id, pageSize = 1u)
    runBlocking { reopened.load() }
    assertEquals(listOf("h2"), reopened.state.value.households.map { it.household.id })
    runBlocking { reopened.loadMoreHouseholds() }
    assertEquals(listOf("h2", "h1"), reopened.state.value.households.map { it.household.id })
    assertNull(reopened.state.value.householdsNextOffset)

    p.app.signIn("ts")
    val coverage = DirectiveDetailPresenter(p.ctx, d.id, pageSize = 1u)
    runBlocking { coverage.load() }
    assertNull(coverage.state.value.error)
    val cov = coverage.state.value.coverage!!
    assertTrue(cov.levels.isNotEmpty())
    // Silent nodes a page at a time with the total: only 二组 (g2) is silent.
    assertEquals("尚未签收 1 个", cov.silentTotalText)
    assertEquals(listOf("村民小组 二组"), cov.silent.map { it.text })
    assertNull(cov.silentNextOffset)
}

fun labelsAgreeWithCore() = Phone().use { p ->
    for (lang in Lang.entries) {
        val ctx = ShellContext(p.app, lang)
        val s = ctx.strings
        p.app.signIn("lh")
        IssueCategory.entries.forEachIndexed { i, c ->
            val u = Urgency.entries[i % Urgency.entries.size]
            val issue = p.app.reportIssue(IssueDraft(c, u, "label check $i", "", "h1"))
            assertEquals(issue.categoryLabel, s.category(c))
            assertEquals(issue.urgencyLabel, s.urgency(u))
        }
        val id = p.app.listIssues(cn.linkage.core.IssueListKind.REPORTED_BY_ME, emptyList(), 0u, 1u).items.first().id
        p.app.signIn("ts")
        p.app.performIssueAction(id, cn.linkage.core.IssueCommand.Accept)
        p.app.performIssueAction(id, cn.linkage.core.IssueCommand.Assign("gw"))
        p.app.signIn("gw")
        val v = p.app.recordVisit(cn.linkage.core.VisitDraft("h2", VisitKind.PETITION_VISIT, 1_000, 2_000, null, ""))
        assertEquals(v.kindLabel, s.visitKind(v.kind))
    }
    p.app.setLocale(Lang.ZH_CN.tag)
}

fun supervisionActions() = Phone().use { p ->
    val id = p.reportAs("lh", "河道淤堵", IssueCategory.INFRASTRUCTURE)

    // The owning township: after accepting, it may suspend and ask for an extension; each button says what
    // its dialog needs.
    p.app.signIn("ts")
    val owner = IssuePresenter(p.ctx, id)
    runBlocking { owner.load(); owner.perform(IssueActionKind.ACCEPT) }
    var st = owner.state.value
    val suspend = st.actions.single { it.kind == IssueActionKind.SUSPEND }
    assertEquals(listOf("挂起", "原因"), listOf(suspend.label, suspend.textLabel))
    assertEquals(TextNeed.REQUIRED, suspend.text)
    val extension = st.actions.single { it.kind == IssueActionKind.REQUEST_EXTENSION }
    assertEquals(listOf(1u, 30u), listOf(extension.minDays, extension.maxDays))
    assertEquals("延期天数（工作日）", extension.daysLabel)
    assertEquals(emptyList(), st.header!!.badges)

    // A missing number of days and a bad one are both the core's InvalidInput, named the same.
    assertFalse(runBlocking { owner.perform(IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "材料未齐")) })
    assertEquals("「延期天数」填写有误", owner.state.value.error!!.message)
    assertFalse(runBlocking { owner.perform(IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "材料未齐", workingDays = 99u)) })
    assertEquals("「延期天数」填写有误", owner.state.value.error!!.message)
    assertTrue(runBlocking { owner.perform(IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "材料未齐", workingDays = 5u)) })
    assertEquals(listOf("延期待批 5天"), owner.state.value.header!!.badges)
    assertFalse(IssueActionKind.REQUEST_EXTENSION in owner.state.value.actions.map { it.kind })

    assertTrue(runBlocking { owner.perform(IssueActionKind.SUSPEND, ActionForm(text = "等待鉴定")) })
    st = owner.state.value
    assertEquals(listOf("挂起", "延期待批 5天"), st.header!!.badges)
    val resume = st.actions.single { it.kind == IssueActionKind.RESUME }
    assertTrue(resume.immediate)
    assertEquals("恢复办理", resume.label)
    assertFalse(IssueActionKind.SUSPEND in st.actions.map { it.kind })
    assertTrue(runBlocking { owner.perform(IssueActionKind.RESUME) })
    assertEquals(listOf("延期待批 5天"), owner.state.value.header!!.badges)

    // The county above: supervises and decides the extension; 就地解决 / 超期预警 are never buttons.
    p.app.signIn("cs")
    val county = IssuePresenter(p.ctx, id)
    runBlocking { county.load() }
    st = county.state.value
    assertNull(st.error)
    val kinds = st.actions.map { it.kind }
    assertTrue(IssueActionKind.SUPERVISE in kinds && IssueActionKind.DECIDE_EXTENSION in kinds, kinds.toString())
    assertFalse(IssueActionKind.RESOLVE_ON_SPOT in kinds || IssueActionKind.MARK_OVERDUE in kinds || IssueActionKind.REPORT in kinds)
    val supervise = st.actions.single { it.kind == IssueActionKind.SUPERVISE }
    assertEquals("督办级别", supervise.choiceLabel)
    assertEquals(listOf("普通督办", "黄牌督办", "红牌督办"), supervise.choices.map { it.label })
    assertEquals(TextNeed.OPTIONAL, supervise.text)
    val decide = st.actions.single { it.kind == IssueActionKind.DECIDE_EXTENSION }
    assertEquals(listOf("同意延期", "不同意"), decide.choices.map { it.label })

    assertTrue(runBlocking { county.perform(IssueActionKind.DECIDE_EXTENSION, ActionForm(text = "同意", choice = decide.choices[0].id)) })
    assertEquals(emptyList(), county.state.value.header!!.badges)

    assertFalse(runBlocking { county.perform(IssueActionKind.SUPERVISE, ActionForm(text = "限期办结")) })
    assertEquals("「督办级别」填写有误", county.state.value.error!!.message)
    val yellow = supervise.choices.single { it.label == "黄牌督办" }.id
    val red = supervise.choices.single { it.label == "红牌督办" }.id
    assertTrue(runBlocking { county.perform(IssueActionKind.SUPERVISE, ActionForm(text = "限期办结", choice = yellow)) })
    assertEquals(listOf("黄牌督办"), county.state.value.header!!.badges)
    assertTrue(runBlocking { county.perform(IssueActionKind.SUPERVISE, ActionForm(text = "再不办结追责", choice = red)) })
    assertEquals(listOf("红牌督办"), county.state.value.header!!.badges)
    assertEquals(SupervisionLevel.RED, p.app.issue(id).summary.supervision)

    // The same badge on the issue's rows (household page); English specs from the core as well.
    p.app.signIn("ts")
    val household = HouseholdPresenter(p.ctx, "h1")
    runBlocking { household.load() }
    assertEquals(listOf("红牌督办"), household.state.value.issues.single { it.id == id }.badges)
    val en = ShellContext(p.app, Lang.EN)
    assertEquals("Red card", p.app.issue(id).summary.toRow(en.strings, en.format).badges.single())
    val englishPage = IssuePresenter(en, id)
    runBlocking { englishPage.load() }
    assertTrue(englishPage.state.value.actions.all { a -> a.label.none { it in '\u4e00'..'\u9fff' } })
    p.app.setLocale(Lang.ZH_CN.tag)
}

fun resolvedOnSpot() = Phone().use { p ->
    // Only the grid worker's form offers the second submit: the core's capabilities say so.
    p.app.signIn("lh")
    val plain = ReportIssuePresenter(p.ctx, "h1")
    // No title: the core says so on submit (the shell does not restate the rule); nothing is reported.
    assertNull(runBlocking { plain.submit() })
    assertEquals("「标题」填写有误", plain.state.value.error?.message)
    plain.setTitle("路灯不亮")
    assertTrue(plain.state.value.canSubmit)
    assertFalse(plain.state.value.canResolveOnSpot)
    assertNull(runBlocking { plain.submitResolvedOnSpot() })

    p.app.signIn("gw")
    val form = ReportIssuePresenter(p.ctx, "h1")
    assertTrue(form.state.value.offerOnSpot)
    assertTrue(runBlocking { form.open() })
    form.setCategory(IssueCategory.INFRASTRUCTURE)
    form.setTitle("排水沟堵塞")
    form.setDescription("门前排水沟被落叶堵塞")
    form.onFix(fixNearH1())
    form.setOnSpotNote("已当场清理疏通")
    assertTrue(form.state.value.canResolveOnSpot)
    // Without a photo the core refuses (its rule, not the shell's): nothing is reported.
    assertNull(runBlocking { form.submitResolvedOnSpot() })
    val refused = form.state.value.error!!
    assertEquals("「照片」填写有误", refused.message)
    assertNull(form.state.value.reported)
    // The on-the-spot note is part of the draft: the same form opened again (after a restart) has it back.
    val reopened = ReportIssuePresenter(p.ctx, "h1")
    assertTrue(runBlocking { reopened.open() })
    assertEquals(listOf("排水沟堵塞", "已当场清理疏通"), listOf(reopened.state.value.title, reopened.state.value.onSpotNote))

    assertTrue(runBlocking { form.addPhoto(cameraPhoto(p.dir).path) })
    assertEquals(1, form.state.value.photos.size)
    val row = runBlocking { form.submitResolvedOnSpot() }!!
    assertNull(form.state.value.error)
    assertEquals("办结待回访", row.stateLabel)
    assertEquals(listOf("就地解决"), row.badges)
    assertEquals("已按就地解决上报，待乡镇回访核实，将自动同步", form.state.value.savedText)
    assertFalse(form.state.value.canSubmit || form.state.value.canResolveOnSpot)

    val summary = p.app.issue(row.id).summary
    assertEquals(IssueState.RESOLVED, summary.state)
    assertTrue(summary.resolvedOnSpot)
    assertEquals(listOf("上报", "就地解决"), p.app.timelineLabels(row.id).map { it.second })
    // Report, resolution and the draft's deletion were one transaction: no draft left, one issue.
    assertTrue(p.app.drafts().none { it.kind == DraftKind.ISSUE_REPORT && it.householdId == "h1" && it.fields.title == "排水沟堵塞" })
    assertNull(runBlocking { form.submitResolvedOnSpot() })

    // The township verifies it as usual; the page shows the badge and no 就地解决 button.
    p.app.signIn("ts")
    val page = IssuePresenter(p.ctx, row.id)
    runBlocking { page.load() }
    val st = page.state.value
    assertEquals(listOf("就地解决"), st.header!!.badges)
    assertEquals(listOf(IssueActionKind.VERIFY), st.actions.map { it.kind }.filter { it == IssueActionKind.VERIFY })
    assertFalse(IssueActionKind.RESOLVE_ON_SPOT in st.actions.map { it.kind })
}

fun taskCompletion() = Phone().use { p ->
    p.app.signIn("ts")
    val due = System.currentTimeMillis() + 5 * 24 * 3_600_000L
    val d = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.TASK, "秸秆禁烧排查", "排查本村秸秆堆放点并上报", due))

    p.app.signIn("gw")
    val detail = DirectiveDetailPresenter(p.ctx, d.id)
    runBlocking { detail.load() }
    var row = detail.state.value.directive!!
    assertTrue(row.isTask)
    assertFalse(row.showReportCompletion) // acknowledge first
    assertFalse(detail.state.value.canReportCompletion)
    // Opening the report before acknowledging is the core's OutOfOrder, shown as the order hint; no draft.
    val early = taskCompletionForm(p.ctx, d.id)
    assertFalse(runBlocking { early.open() })
    assertEquals("还不能进行这一步", early.state.value.error?.message)
    assertTrue(p.app.drafts().isEmpty())

    val inbox = DirectiveInboxPresenter(p.ctx)
    runBlocking { inbox.load(); inbox.acknowledge(d.id); detail.load() }
    row = detail.state.value.directive!!
    assertTrue(row.showReportCompletion)
    assertTrue(detail.state.value.canReportCompletion)
    assertNull(row.completedText)
    // The completion report is a core draft: typed and photographed, left, continued from the list.
    val form = taskCompletionForm(p.ctx, d.id)
    assertTrue(runBlocking { form.open() })
    assertEquals(listOf("任务完成情况", "秸秆禁烧排查", "完成情况"), listOf(form.state.value.kindLabel, form.state.value.subject, form.state.value.textLabel))
    form.setNotes("已排查 3 处，均已清理")
    assertTrue(runBlocking { form.addPhoto(cameraPhoto(p.dir, "task.jpg").path) })
    runBlocking { form.leave() }
    val list = DraftListPresenter(p.ctx)
    runBlocking { list.load() }
    val draftRow = list.state.value.rows.single()
    assertEquals(listOf("任务完成情况", "照片 1 张"), listOf(draftRow.kindLabel, draftRow.photosText))
    val resumed = resumedDraftForm(p.ctx, (draftRow.target as DraftTarget.Form).draftId)
    assertTrue(runBlocking { resumed.open() })
    assertEquals(1, resumed.state.value.photos.size)
    assertTrue(runBlocking { resumed.submit() } is SubmittedRecord.Directive)
    runBlocking { detail.load() }
    val st = detail.state.value
    assertNull(st.error)
    assertFalse(st.directive!!.showReportCompletion)
    assertTrue(st.directive!!.completedText!!.startsWith("已于 "), st.directive!!.completedText)
    assertTrue(p.app.drafts().isEmpty())

    // An alert never offers the completion report.
    p.app.signIn("ts")
    val alert = p.app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "大风预警", "加固棚圈", null))
    p.app.signIn("gw")
    p.app.acknowledgeDirective(alert.id)
    val alertDetail = DirectiveDetailPresenter(p.ctx, alert.id)
    runBlocking { alertDetail.load() }
    assertFalse(alertDetail.state.value.directive!!.showReportCompletion)

    // The issuing township sees how many reported the task done.
    p.app.signIn("ts")
    val coverage = DirectiveDetailPresenter(p.ctx, d.id)
    runBlocking { coverage.load() }
    assertNull(coverage.state.value.error)
    assertEquals("已报告完成 1 个", coverage.state.value.coverage!!.tasksCompletedText)
}

fun directiveComposer() = Phone().use { p ->
    p.app.signIn("cs")
    val composer = DirectiveComposerPresenter(p.ctx, pageSize = 4u)
    runBlocking { composer.load() }
    var st = composer.state.value
    assertNull(st.error)
    // My whole county first, then townships and their branches from the org tree, indented, a page at a time.
    assertEquals(listOf("c", "t1", "b1", "t2", "b2"), st.targetOptions.map { it.value })
    assertEquals("全部（黄龙县）", st.targetOptions.first().label)
    assertEquals("乡镇 石堡镇", st.targetOptions[1].label)
    assertEquals("\u3000村党支部 石堡村党支部", st.targetOptions[2].label)
    assertNull(st.targetsNextOffset)
    assertEquals("c", st.targetId)
    composer.setTarget("t1")
    composer.setKind(DirectiveKind.ALERT)
    composer.setTitle("森林火险橙色预警")
    composer.setBody("严禁野外用火")
    composer.setDueInHours(6u)
    val sent = runBlocking { composer.send() }
    assertNotNull(sent)
    assertEquals("预警", sent.kindLabel)
    assertFalse(sent.showAcknowledge, "the issuer does not sign for its own directive")
    p.app.signIn("ts")
    assertEquals(listOf("森林火险橙色预警"), p.app.directivesToAcknowledge(0u, 10u).items.map { it.title })

    // A small page: the rest of the tree on demand.
    val paged = DirectiveComposerPresenter(p.ctx, depth = 3u, pageSize = 2u)
    runBlocking { paged.load() }
    st = paged.state.value
    assertEquals(listOf("t1", "b1", "g1"), st.targetOptions.map { it.value })
    assertEquals(2u, st.targetsNextOffset)
    runBlocking { paged.loadMoreTargets() }
    assertEquals(listOf("t1", "b1", "g1", "g2"), paged.state.value.targetOptions.map { it.value })
    assertNull(paged.state.value.targetsNextOffset)
}

/**
 * Two phones against the demo server: the grid worker gw1-1 records a visit with a photo and syncs with a
 * progress observer that throws (the core catches it at the FFI boundary and finishes the sync); township
 * staff ts1 syncs, opens the household page and sees the colleague's photo — the thumbnail fetched and made by
 * the core — then opens it at full size, byte for byte the grid worker's photo.
 */
fun colleaguesPhotoAfterSync() {
    val url = serverUrl ?: error("no demo server URL given (scripts/test-shells.sh starts one)")
    val dir = Files.createTempDirectory("linkage-shell-server").toFile()
    val gw = openStore(File(dir, "gw.db").path)
    val ts = openStore(File(dir, "ts.db").path)
    try {
        runBlocking { gw.connect(url, "gw1-1", "linkage2026") }
        val household = gw.listHouseholds(cn.linkage.core.HouseholdQuery(limit = 1u)).items.first()
        val shot = gw.addEvidence(cameraPhoto(dir, "visit.jpg").path, null, null)
        val now = System.currentTimeMillis()
        val visit = gw.recordVisit(cn.linkage.core.VisitDraft(household.id, VisitKind.ROUTINE, now - 600_000, now, null, "入户走访", listOf(shot.hash), null))
        var calls = 0
        val throwing = object : cn.linkage.core.SyncObserver {
            override fun onProgress(phase: SyncPhase, done: ULong, total: ULong) {
                calls++
                throw IllegalStateException("the screen that showed the progress is gone")
            }
        }
        val report = runBlocking { gw.sync(throwing) }
        assertTrue(report.observerFailed)
        assertEquals(1, calls, "not called again after it threw")
        assertEquals(1u, report.uploaded)
        assertEquals(0uL, gw.outboxStatus().pending)
        assertNull(gw.outboxStatus().lastError)

        runBlocking { ts.connect(url, "ts1", "linkage2026"); ts.sync(null) }
        val page = HouseholdPresenter(ShellContext(ts), household.id)
        runBlocking { page.load() }
        assertNull(page.state.value.error)
        val photo = page.state.value.visits.single { it.id == visit.id }.photos.single()
        assertEquals(shot.hash, photo.hash)
        assertFalse(photo.takenHere)
        assertNull(photo.unavailableText)
        val thumb = ImageIO.read(File(photo.thumbnailPath!!))
        assertEquals(320, maxOf(thumb.width, thumb.height))
        assertTrue(runBlocking { page.openPhoto(shot.hash) })
        assertTrue(File(shot.path).readBytes().contentEquals(File(page.state.value.openedPhotoPath!!).readBytes()))
        assertEquals(1u, ts.photoCacheStatus().photos)
    } finally {
        gw.destroy()
        ts.destroy()
        dir.deleteRecursively()
    }
}


/** A camera file of a given width (different widths: different photos, different hashes). */
private fun cameraPhotoSized(dir: File, name: String, width: Int): File {
    val image = BufferedImage(width, 480, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until 480) for (x in 0 until width) image.setRGB(x, y, ((x % 256) shl 16) or ((y % 256) shl 8) or ((x * y) % 256))
    return File(dir, name).also { ImageIO.write(image, "jpg", it) }
}

/** Waits (liveness, generously) until [what] holds. */
private fun eventually(what: String, check: () -> Boolean) {
    val until = System.currentTimeMillis() + 60_000
    while (!check()) {
        if (System.currentTimeMillis() > until) error("never happened: $what")
        Thread.sleep(50)
    }
}

fun encryptedStore() {
    val dir = Files.createTempDirectory("linkage-key").toFile()
    try {
        val db = File(dir, "linkage.db")
        val key = newStoreKey()
        FieldApp.open(db.path, key).also { it.loadBundle(bundle.path); it.signIn("gw") }.destroy()
        val head = db.readBytes().copyOf(16)
        assertFalse(head.contentEquals("SQLite format 3\u0000".toByteArray()), "the file must not be plain SQLite")
        val wrong = assertFailsWith<ApiException.WrongKey> { FieldApp.open(db.path, newStoreKey()) }
        val m = wrong.toUiError(Strings(Lang.ZH_CN))
        assertEquals("本机数据无法解密，暂时打不开", m.message)
        assertEquals("wrong_key", m.code)
        assertFailsWith<ApiException.InvalidInput> { FieldApp.open(db.path, ByteArray(16)) }
        val again = FieldApp.open(db.path, key)
        assertEquals("gw", again.session()?.userId)
        again.destroy()
    } finally {
        dir.deleteRecursively()
    }
}

fun visitDraftResumes() {
    val dir = Files.createTempDirectory("linkage-draft").toFile()
    try {
        val db = File(dir, "linkage.db").path
        val now = System.currentTimeMillis()
        val key = newStoreKey()
        val first = FieldApp.open(db, key).also { it.loadBundle(bundle.path); it.signIn("gw") }
        val form = VisitFormPresenter(ShellContext(first, liveRefresh = false), "h1")
        assertTrue(runBlocking { form.open() })
        form.setNotes("老人腿脚不便，需送煤")
        form.onFix(fixNearH1())
        assertTrue(runBlocking { form.addPhoto(cameraPhotoSized(dir, "a.jpg", 640).path) })
        assertTrue(runBlocking { form.addPhoto(cameraPhotoSized(dir, "b.jpg", 700).path) })
        assertEquals(2, form.state.value.photos.size)
        first.destroy() // the app is gone (a real kill -9 mid-draft is the Rust test drafts::a_visit_draft_survives_kill_9)

        val second = FieldApp.open(db, key)
        val ctx = ShellContext(second, liveRefresh = false)
        val list = DraftListPresenter(ctx)
        runBlocking { list.load() }
        val row = list.state.value.rows.single()
        assertEquals("走访记录", row.kindLabel)
        assertEquals("照片 2 张", row.photosText)
        val again = VisitFormPresenter(ctx, "h1")
        assertTrue(runBlocking { again.open() })
        val st = again.state.value
        assertEquals("老人腿脚不便，需送煤", st.notes)
        assertEquals(2, st.photos.size)
        assertEquals("定位精度 ±8 米", st.gps.text)
        for (p in st.photos) assertTrue(File(p.thumbnailPath).exists())
        val result = runBlocking { again.save() }!!
        assertEquals("在现场", result.verdictLabel)
        assertEquals(1, second.householdVisits("h1", 10u).size)
        assertEquals(2, second.householdVisits("h1", 10u).single().evidence.size)
        assertTrue(second.drafts().isEmpty())
        runBlocking { list.load() }
        assertTrue(list.state.value.rows.isEmpty())
        second.destroy()
    } finally {
        dir.deleteRecursively()
    }
}

fun resolutionDraftAndBadInput() = Phone().use { p ->
    val id = p.reportAs("lh", "村道路灯不亮")
    p.app.signIn("ts")
    p.app.performIssueAction(id, IssueCommand.Accept)
    p.app.performIssueAction(id, IssueCommand.Assign("gw"))
    p.app.signIn("gw")
    p.app.performIssueAction(id, IssueCommand.Start)

    // The issue page's 办结 button says (core's ActionSpec.draft) that it is a draft form, not a dialog.
    val page = IssuePresenter(p.ctx, id)
    runBlocking { page.load() }
    val resolve = page.state.value.actions.single { it.kind == IssueActionKind.RESOLVE }
    assertEquals(DraftKind.RESOLUTION, resolve.draft)
    assertTrue(page.state.value.actions.filter { it.kind != IssueActionKind.RESOLVE }.all { it.draft == null })

    // Typing into the 办结 form is saved as a draft; leaving keeps it (something was typed).
    val form = actionDraftForm(p.ctx, id, resolve.kind)
    assertTrue(runBlocking { form.open() })
    var st = form.state.value
    assertEquals(listOf("办结", "村道路灯不亮", "办理情况"), listOf(st.kindLabel, st.subject, st.textLabel))
    assertTrue(st.takesPhotos)
    assertEquals(emptyList(), st.choices)
    form.setNotes("已更换灯")
    form.setNotes("已更换灯泡")
    runBlocking { form.leave() }
    assertEquals("已更换灯泡", p.app.drafts().single().fields.notes)

    // The drafts list ("继续填写") shows it, and says where it continues.
    val list = DraftListPresenter(p.ctx)
    runBlocking { list.load() }
    val row = list.state.value.rows.single()
    assertEquals(listOf("办结", "村道路灯不亮", "已更换灯泡"), listOf(row.kindLabel, row.subject, row.title))
    assertEquals(DraftKind.RESOLUTION, row.kind)
    assertEquals(DraftTarget.Form(row.id), row.target)
    assertEquals("继续填写（1）", list.state.value.entryText(p.ctx.strings))

    // Resuming it (a new form, as after a restart) restores the text; submitting performs 办结.
    val resumed = resumedDraftForm(p.ctx, (row.target as DraftTarget.Form).draftId)
    assertTrue(runBlocking { resumed.open() })
    assertEquals("已更换灯泡", resumed.state.value.fields.notes)
    assertTrue(runBlocking { resumed.addPhoto(cameraPhoto(p.dir).path) })
    val done = runBlocking { resumed.submit() } as SubmittedRecord.Issue
    assertEquals(IssueState.RESOLVED, done.issue.state)
    assertEquals(IssueState.RESOLVED, p.app.issue(id).summary.state)
    assertTrue(p.app.issueTimeline(id).last().detail.contains("已更换灯泡"), p.app.issueTimeline(id).last().detail)
    runBlocking { list.load() }
    assertTrue(list.state.value.rows.isEmpty())
    assertNull(list.state.value.entryText(p.ctx.strings))

    // 回访: the satisfaction choices are the core's (满意 / 基本满意 / 不满意); without one the core refuses and
    // keeps the draft. A form opened and left untouched leaves no draft behind.
    p.app.signIn("ts")
    runBlocking { page.load() }
    val verifySpec = page.state.value.actions.single { it.kind == IssueActionKind.VERIFY }
    assertEquals(DraftKind.VERIFICATION, verifySpec.draft)
    val untouched = actionDraftForm(p.ctx, id, verifySpec.kind)
    assertTrue(runBlocking { untouched.open() })
    runBlocking { untouched.leave() }
    assertTrue(p.app.drafts().isEmpty())
    val verify = actionDraftForm(p.ctx, id, verifySpec.kind)
    assertTrue(runBlocking { verify.open() })
    st = verify.state.value
    assertFalse(st.takesPhotos)
    assertEquals("群众满意度", st.choiceLabel)
    assertEquals(listOf("满意", "基本满意", "不满意"), st.choices.map { it.label })
    assertNull(runBlocking { verify.submit() })
    assertNotNull(verify.state.value.error)
    assertEquals(1, p.app.drafts().size)
    verify.setChoice(st.choices[1].value)
    verify.setNotes("群众基本满意")
    assertEquals(IssueState.CLOSED, (runBlocking { verify.submit() } as SubmittedRecord.Issue).issue.state)
    assertEquals(cn.linkage.core.Satisfaction.BASICALLY_SATISFIED, p.app.issue(id).summary.satisfaction)
    // A choice the core did not offer is its typed error; the stored draft is unchanged.
    val other = p.reportAs("lh", "井盖缺失")
    try {
        p.app.signIn("ts")
        p.app.performIssueAction(other, IssueCommand.Accept)
        p.app.performIssueAction(other, IssueCommand.Assign("ts"))
        p.app.performIssueAction(other, IssueCommand.Start)
        p.app.performIssueAction(other, IssueCommand.Resolve("已补装", emptyList()))
        val v = p.app.startActionDraft(other, IssueActionKind.VERIFY)
        p.app.updateDraft(v.id, v.fields.copy(choice = "thrilled"))
        error("expected InvalidInput")
    } catch (e: ApiException.InvalidInput) {
        assertNull(p.app.drafts().single().fields.choice)
    }

    // A draft for an unknown household; a photo for a discarded draft: typed errors, nothing stored.
    p.app.signIn("gw")
    val unknown = VisitFormPresenter(p.ctx, "no-such-household")
    assertFalse(runBlocking { unknown.open() })
    assertNotNull(unknown.state.value.error)
    try {
        p.app.startVisitDraft("no-such-household", VisitKind.ROUTINE, null, null)
        error("expected NotFound")
    } catch (e: ApiException.NotFound) {
        assertEquals("no-such-household", e.id)
    }
    assertTrue(p.app.drafts().isEmpty())
    val report = ReportIssuePresenter(p.ctx, "h1")
    assertTrue(runBlocking { report.open() })
    val draftId = p.app.drafts().single().id
    p.app.discardDraft(draftId)
    try {
        p.app.addDraftPhoto(draftId, cameraPhoto(p.dir, "late.jpg").path, null)
        error("expected NotFound")
    } catch (e: ApiException.NotFound) {
        assertTrue(p.app.drafts().isEmpty())
    }
}

fun throwingObserver() = Phone().use { p ->
    p.app.signIn("gw")
    p.app.observeChanges(object : ChangeObserver {
        override fun onChanged(topics: List<ChangeTopic>) = throw IllegalStateException("the screen was already gone")
    })
    val issue = p.app.reportIssue(IssueDraft(IssueCategory.SAFETY_HAZARD, Urgency.URGENT, "桥梁护栏断裂", "", "h1"))
    assertEquals(1uL, p.app.changeObserverFailures())
    assertEquals(issue.id, p.app.issue(issue.id).summary.id) // committed all the same
    p.app.startVisitDraft("h1", VisitKind.ROUTINE, null, null)
    assertEquals(2uL, p.app.changeObserverFailures())
    // The OS scheduler's entry point on a phone never connected: nothing to do, the bar asks to sign in.
    assertEquals(ScheduledSyncResult.NOT_CONNECTED, runBlocking { p.app.runScheduledSync() })
    assertTrue(p.app.syncStatus().state is SyncState.NeedsSignIn)
    assertEquals("请重新登录以继续同步", p.app.syncStatus().headline)
}

/** Needs the demo server test-shells.sh starts (system property linkage.server). */
fun liveTriageRefresh() {
    val url = System.getProperty("linkage.server") ?: error("run by scripts/test-shells.sh, which starts a server")
    val dirs = List(2) { Files.createTempDirectory("linkage-live").toFile() }
    val township = openStore(File(dirs[0], "linkage.db").path)
    val worker = openStore(File(dirs[1], "linkage.db").path)
    try {
        runBlocking { township.connect(url, "ts1", "linkage2026"); worker.connect(url, "gw1-1", "linkage2026") }
        val tsCtx = ShellContext(township)
        val triage = TriagePresenter(tsCtx, pageSize = 200u)
        runBlocking { triage.load() }
        township.appForegrounded()

        val gwCtx = ShellContext(worker)
        val bar = SyncBarPresenter(gwCtx)
        runBlocking { bar.attach() }
        worker.appForegrounded()
        val household = worker.listHouseholds(HouseholdQuery(limit = 1u)).items.first()
        val form = ReportIssuePresenter(gwCtx, household.id)
        form.setCategory(IssueCategory.SAFETY_HAZARD)
        form.setTitle("村口桥梁护栏断裂")
        val reported = runBlocking { form.submit() }!!

        // Nobody calls sync or load: the worker's core pushes after the debounce, the township's long poll
        // pulls, the core tells the bus, the open triage screen re-queries.
        eventually("the triage screen lists the new issue") { triage.state.value.rows.any { it.id == reported.id } }
        eventually("the worker's bar shows all synced") { bar.state.value.headline == "已全部同步" && bar.state.value.pending == 0L }
        assertTrue(bar.state.value.lastSyncText.startsWith("上次同步："), bar.state.value.lastSyncText)
        assertNull(bar.state.value.offlineChip)
        worker.networkChanged(false)
        assertEquals("离线", bar.state.value.offlineChip)
        assertTrue(bar.state.value.headline.startsWith("离线"), bar.state.value.headline)
        worker.networkChanged(true)
        eventually("back online") { bar.state.value.offlineChip == null }
    } finally {
        township.appBackgrounded()
        worker.appBackgrounded()
        township.destroy()
        worker.destroy()
        dirs.forEach { it.deleteRecursively() }
    }
}

/**
 * Needs the demo server test-shells.sh starts, with the account `gw-new` that `linkage-server user add` created
 * (password `initial-Pass-1`, initial: it must be changed at the first sign-in).
 */
fun initialPasswordChanged() {
    val url = System.getProperty("linkage.server") ?: error("run by scripts/test-shells.sh, which starts a server")
    val dir = Files.createTempDirectory("linkage-newcomer").toFile()
    val app = openStore(File(dir, "linkage.db").path)
    try {
        val p = SessionPresenter(ShellContext(app, liveRefresh = false))
        p.setServerUrl(url)
        p.setUserId("gw-new")
        p.setPassword("initial-Pass-1")
        runBlocking { p.connect() }
        assertTrue(p.state.value.needsNewPassword)
        assertEquals("首次登录需要修改初始密码", p.state.value.error!!.message)
        assertFalse(p.state.value.canSubmit, "the new password is still empty")
        p.setNewPassword("12345")
        runBlocking { p.connect() }
        assertEquals("「新密码」填写有误", p.state.value.error!!.message)
        assertNull(p.state.value.session)
        p.setNewPassword("石堡村网格员-2026")
        runBlocking { p.connect() }
        assertEquals("gw-new", p.state.value.session?.userId)
        assertFalse(p.state.value.needsNewPassword)
        assertEquals("", p.state.value.newPassword)
    } finally {
        app.destroy()
        dir.deleteRecursively()
    }
}

private fun FieldApp.timelineLabels(id: String) = issueTimeline(id).map { it.action to it.actionLabel }

fun main(args: Array<String>) {
    bundle = File(args.firstOrNull() ?: System.getProperty("linkage.bundle") ?: error("usage: ShellHostTestsKt BUNDLE_JSON [SERVER_URL]"))
    serverUrl = args.getOrNull(1)
    var failed = 0
    for ((name, test) in tests) {
        try {
            test()
            println("ok   $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name")
            e.printStackTrace(System.out)
        }
    }
    println(if (failed == 0) "shell host tests: ${tests.size} passed" else "shell host tests: $failed of ${tests.size} failed")
    exitProcess(if (failed == 0) 0 else 1)
}
