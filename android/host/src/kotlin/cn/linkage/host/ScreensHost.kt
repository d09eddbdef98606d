package cn.linkage.host

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.ui.Modifier
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.geometry.Rect
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.isSpecified
import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.graphics.toComposeImageBitmap
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsNode
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.hasAnyAncestor
import androidx.compose.ui.test.hasSetTextAction
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.isDialog
import androidx.compose.ui.test.isRoot
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runDesktopComposeUiTest
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.ui.unit.Density
import androidx.compose.ui.unit.TextUnitType
import cn.linkage.app.ui.BranchHomeScreen
import cn.linkage.app.ui.DirectiveScreen
import cn.linkage.app.ui.DraftFormScreen
import cn.linkage.app.ui.DraftsEntry
import cn.linkage.app.ui.DraftsScreen
import cn.linkage.app.ui.HouseholdScreen
import cn.linkage.app.ui.Images
import cn.linkage.app.ui.InboxScreen
import cn.linkage.app.ui.IssueRowItem
import cn.linkage.app.ui.IssueScreen
import cn.linkage.app.ui.LiaisonHomeScreen
import cn.linkage.app.ui.LinkageTheme
import cn.linkage.app.ui.LocalImages
import cn.linkage.app.ui.ReportScreen
import cn.linkage.app.ui.SignInScreen
import cn.linkage.app.ui.SignedInFrame
import cn.linkage.app.ui.SyncBar
import cn.linkage.app.ui.TodayScreen
import cn.linkage.app.ui.TriageScreen
import cn.linkage.app.ui.VisitScreen
import cn.linkage.app.ui.DashboardScreen
import cn.linkage.app.ui.DueHouseholdsScreen
import cn.linkage.app.ui.OverviewScreen
import cn.linkage.app.ui.SilentNodesScreen
import cn.linkage.shell.DashboardPresenter
import cn.linkage.shell.DueHouseholdsPresenter
import cn.linkage.shell.MergeOption
import cn.linkage.shell.OverviewPresenter
import cn.linkage.shell.SilentNodesPresenter
import cn.linkage.core.ActionForm
import cn.linkage.core.ActionSpec
import cn.linkage.core.DirectiveDraft
import cn.linkage.core.DirectiveKind
import cn.linkage.core.FieldApp
import cn.linkage.core.GpsFix
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueDraft
import cn.linkage.core.Light
import cn.linkage.core.TextNeed
import cn.linkage.core.Urgency
import cn.linkage.shell.BranchHomePresenter
import cn.linkage.shell.DirectiveDetailPresenter
import cn.linkage.shell.DirectiveInboxPresenter
import cn.linkage.shell.DraftListPresenter
import cn.linkage.shell.actionDraftForm
import cn.linkage.shell.Home
import cn.linkage.shell.HouseholdPresenter
import cn.linkage.shell.IssuePresenter
import cn.linkage.shell.Lang
import cn.linkage.shell.Option
import cn.linkage.shell.LiaisonHomePresenter
import cn.linkage.shell.ReportIssuePresenter
import cn.linkage.shell.SessionPresenter
import cn.linkage.shell.ShellContext
import cn.linkage.shell.SyncBarPresenter
import cn.linkage.shell.TodayPresenter
import cn.linkage.shell.TriagePresenter
import cn.linkage.shell.VisitFormPresenter
import cn.linkage.shell.toRow
import cn.linkage.shell.toView
import kotlinx.coroutines.runBlocking
import org.jetbrains.skia.Image
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import java.util.Locale
import javax.imageio.ImageIO
import kotlin.math.max
import kotlin.math.pow
import kotlin.system.exitProcess

// The host screen harness (scripts/test-screens.sh): the app's Compose screens (android/app/src/screens,
// compiled unchanged for the desktop JVM) rendered headless with the real presenters over the real core and
// the fixture county, for every role, at font scale 1.0, 1.3 and 2.0, in zh-CN (Noto CJK from Debian), into
// PNGs; and the checks on what was rendered, each of which fails the run:
//   - no text node clipped or overflowing (its text layout, its bounds against its ancestors and the window);
//   - every clickable at least 48 dp each way, 60 dp in 大字模式 (font scale >= 1.3);
//   - no text under 14 sp; every text colour at least 4.5:1 against the background it is drawn on (the
//     rendered pixels), disabled controls excepted;
//   - the issue page's action buttons are exactly the core's allowed actions for that user, in its order, and
//     a directive's 签收/转发 buttons exactly the steps the core leaves open;
//   - per action kind the fixture reaches, the dialog filled through the UI hands back the ActionForm the
//     core expects, and the core accepts it (the issue's timeline gains that step).
// Usage: ScreensHostKt BUNDLE_JSON OUT_DIR

const val WIDTH_DP = 360
const val MIN_HEIGHT_DP = 760
const val CANVAS_HEIGHT_DP = 2600
const val DENSITY = 2f
val SCALES = listOf(1.0f, 1.3f, 2.0f)
const val LARGE_TEXT_SCALE = 1.3f
const val MIN_TEXT_SP = 14f
const val MIN_CONTRAST = 4.5

private lateinit var bundle: File
private lateinit var outDir: File
private val failures = mutableListOf<String>()
private var checksRun = 0
private var rendered = 0
private val dialogKinds = mutableSetOf<IssueActionKind>()

internal fun fail(msg: String) {
    failures += msg
    println("FAIL $msg")
}

/** Stored photos decoded with Skia (Android decodes with BitmapFactory). */
object HostImages : Images {
    @Composable
    override fun load(path: String): ImageBitmap? = remember(path) {
        runCatching { Image.makeFromEncoded(File(path).readBytes()).toComposeImageBitmap() }.getOrNull()
    }
}

/** One phone with the fixture county and the story the screens show (real core calls, nothing faked). */
class Fixture : AutoCloseable {
    val dir: File = Files.createTempDirectory("linkage-screens").toFile()
    // An encrypted store, as on the phone (there the key is wrapped by the Android Keystore).
    val app = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) })
        .also { it.loadBundle(bundle.path) }
    val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)

    /** Reported by the liaison head, untouched: the township may accept, reject or merge it. */
    val fresh: String
    /** Accepted, extension requested and suspended: the county supervises and decides the extension. */
    val supervised: String
    /** Accepted and assigned to the grid worker. */
    val assigned: String
    val alert: String
    val task: String

    init {
        app.signIn("lh")
        fresh = app.reportIssue(IssueDraft(IssueCategory.INFRASTRUCTURE, Urgency.URGENT, "村道塌方，车辆无法通行", "二组通往镇上的水泥路塌了一段，约三米长。", "h1")).id
        supervised = app.reportIssue(IssueDraft(IssueCategory.INFRASTRUCTURE, Urgency.NORMAL, "河道淤堵", "雨季前需要清淤。", "h1")).id
        assigned = app.reportIssue(IssueDraft(IssueCategory.LIVELIHOOD_AID, Urgency.URGENT, "冬季取暖困难", "独居老人，家中无取暖设备。", "h2")).id
        app.signIn("ts")
        perform(supervised, IssueActionKind.ACCEPT)
        perform(supervised, IssueActionKind.REQUEST_EXTENSION, ActionForm(text = "材料未齐", workingDays = 5u))
        perform(assigned, IssueActionKind.ACCEPT)
        perform(assigned, IssueActionKind.ASSIGN, ActionForm(personId = "gw"))
        val due = System.currentTimeMillis() + 3 * 24 * 3_600_000L
        alert = app.issueDirective(DirectiveDraft("t1", DirectiveKind.ALERT, "护林防火预警", "近期天干物燥，禁止野外用火，请逐户告知。", due)).id
        task = app.issueDirective(DirectiveDraft("t1", DirectiveKind.TASK, "排查独居老人取暖", "本周内入户查看取暖设施并上报。", due)).id
        app.signIn("lh")
        app.acknowledgeDirective(alert)
        app.recordHouseholdAck(alert, "h1", cn.linkage.core.AckMeans.PHONE)
        app.signIn("gw")
        app.acknowledgeDirective(task)
        // A visit with a photo on h1, through the visit form's presenter (the core grades and stores it).
        val visit = VisitFormPresenter(ctx, "h1")
        runBlocking {
            visit.open()
            visit.onFix(fixNearH1())
            visit.addPhoto(cameraPhoto(dir).path)
            visit.setNotes("老人身体尚好，取暖炉已检查。")
            visit.save() ?: error("fixture visit not saved: ${visit.state.value.error}")
        }
    }

    fun perform(id: String, kind: IssueActionKind, form: ActionForm = ActionForm()) {
        app.performAction(id, kind, form)
    }

    override fun close() {
        app.destroy()
        dir.deleteRecursively()
    }
}

fun fixNearH1() = GpsFix(lat = 35.5801, lon = 109.2601, accuracyM = 8.0, fixTimeMs = System.currentTimeMillis(), mocked = false)

/** A camera file: a JPEG made with ImageIO (a gradient, like a photo of something). */
fun cameraPhoto(dir: File): File {
    val image = BufferedImage(800, 600, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until 600) for (x in 0 until 800) image.setRGB(x, y, ((x % 256) shl 16) or ((y % 256) shl 8) or ((x + y) % 256))
    return File(dir, "DCIM_${System.nanoTime()}.jpg").also { ImageIO.write(image, "jpg", it) }
}

// ---- rendering and checks -------------------------------------------------------------------------------

private fun Float.px() = this * DENSITY

/** What a check needs to know about the screen. */
class Expect(
    /** The core's allowed actions on this issue page (labels in order), or `null` when not an issue page. */
    val issueActions: List<String>? = null,
    /** The directive steps the core leaves open (签收 / 转发 labels), or `null` when not checked here. */
    val directiveSteps: List<String>? = null,
    val acknowledgeLabel: String = "",
    val relayLabel: String = "",
)

/**
 * Renders [content] in the app's theme at each font scale, writes `<name>@<scale>.png` and runs the checks.
 */
@OptIn(ExperimentalTestApi::class)
fun shoot(name: String, expect: Expect = Expect(), content: @Composable () -> Unit) {
    val widthPx = (WIDTH_DP * DENSITY).toInt()
    val heightPx = (CANVAS_HEIGHT_DP * DENSITY).toInt()
    runDesktopComposeUiTest(widthPx, heightPx) {
        var scale by mutableStateOf(SCALES.first())
        setContent {
            CompositionLocalProvider(LocalDensity provides Density(DENSITY, scale), LocalImages provides HostImages) {
                LinkageTheme(content)
            }
        }
        for (s in SCALES) {
            scale = s
            waitForIdle()
            val image = onRoot().captureToImage().toAwtImage()
            val nodes = allNodes()
            val bottom = nodes.filter { it.config.getOrNull(SemanticsActions.GetTextLayoutResult) != null || it.config.getOrNull(SemanticsActions.OnClick) != null }
                .maxOfOrNull { it.boundsInRoot.bottom } ?: 0f
            val cropHeight = max(MIN_HEIGHT_DP * DENSITY, bottom + 24 * DENSITY).toInt().coerceAtMost(image.height)
            if (bottom > image.height - 8 * DENSITY) fail("$name@$s: content reaches the end of the ${CANVAS_HEIGHT_DP} dp canvas")
            val file = File(outDir, "$name@${"%.1f".format(Locale.ROOT, s)}.png")
            ImageIO.write(image.getSubimage(0, 0, image.width, cropHeight), "png", file)
            rendered++
            check("$name@$s", s, nodes, image, expect)
        }
    }
}

@OptIn(ExperimentalTestApi::class)
private fun ComposeUiTest.allNodes(): List<SemanticsNode> =
    onAllNodes(SemanticsMatcher("any node") { true }, useUnmergedTree = true).fetchSemanticsNodes(atLeastOneRootRequired = false)

private fun SemanticsNode.textLayout(): TextLayoutResult? {
    val get = config.getOrNull(SemanticsActions.GetTextLayoutResult)?.action ?: return null
    val out = mutableListOf<TextLayoutResult>()
    return if (get(out)) out.firstOrNull() else null
}

private fun SemanticsNode.text(): String =
    (config.getOrNull(SemanticsProperties.Text)?.joinToString(" ") { it.text }
        ?: config.getOrNull(SemanticsProperties.EditableText)?.text ?: "").replace('\n', ' ')

private fun SemanticsNode.disabled(): Boolean {
    var n: SemanticsNode? = this
    while (n != null) {
        if (SemanticsProperties.Disabled in n.config) return true
        n = n.parent
    }
    return false
}

private fun SemanticsNode.descendants(): List<SemanticsNode> = children.flatMap { listOf(it) + it.descendants() }

/** All text under a clickable (its label), in the unmerged tree. */
private fun SemanticsNode.label(): String = (listOf(this) + descendants()).map { it.text() }.filter { it.isNotEmpty() }.joinToString(" ")

private fun check(where: String, scale: Float, nodes: List<SemanticsNode>, image: BufferedImage, expect: Expect) {
    val large = scale >= LARGE_TEXT_SCALE
    val target = (if (large) 60f else 48f).px()
    val windowWidth = WIDTH_DP.toFloat().px()
    for (node in nodes) {
        val layout = node.textLayout()
        val editable = SemanticsProperties.EditableText in node.config
        if (layout != null && !editable) {
            checksRun++
            val text = node.text().take(30)
            // Clipped or overflowing: the layout did not fit, or an ancestor cut the node, or it left the window.
            overflow(layout)?.let { fail("$where: text $it: «$text»") }
            val b = node.boundsInRoot
            if (b.width + 1 < node.size.width || b.height + 1 < node.size.height) fail("$where: text clipped by its container: «$text»")
            if (node.positionInRoot.x + node.size.width > windowWidth + 1) fail("$where: text runs off the screen's right edge: «$text»")
            val size = layout.layoutInput.style.fontSize
            if (scale == 1.0f && size.type == TextUnitType.Sp && size.value < MIN_TEXT_SP) fail("$where: text at ${size.value} sp (< $MIN_TEXT_SP sp): «$text»")
            val color = layout.layoutInput.style.color
            if (color.isSpecified && !node.disabled() && !b.isEmpty) {
                val bg = background(image, b)
                val fg = color.over(bg)
                val ratio = contrast(fg, bg)
                if (ratio < MIN_CONTRAST) fail("$where: contrast %.2f:1 (text %s on %s): «%s»".format(Locale.ROOT, ratio, fg.hex(), bg.hex(), text))
            }
        }
        if (node.config.getOrNull(SemanticsActions.OnClick) != null && !editable) {
            checksRun++
            val w = node.size.width
            val h = node.size.height
            if (w < target - 0.5f || h < target - 0.5f) {
                fail("$where: touch target %.0f×%.0f dp (< %.0f dp): «%s»".format(Locale.ROOT, w / DENSITY, h / DENSITY, target / DENSITY, node.label().take(30)))
            }
        }
        if (editable) {
            checksRun++
            if (node.size.height < target - 0.5f) fail("$where: text field %.0f dp high (< %.0f dp): «%s»".format(Locale.ROOT, node.size.height / DENSITY, target / DENSITY, node.label().take(30)))
        }
    }
    expect.issueActions?.let { want ->
        checksRun++
        val shown = nodes.filter { it.config.getOrNull(SemanticsProperties.TestTag) == "actions" }
            .flatMap { it.descendants() }.filter { it.config.getOrNull(SemanticsActions.OnClick) != null }.map { it.label() }
        if (shown != want) fail("$where: action buttons $shown, the core allows $want")
    }
    expect.directiveSteps?.let { want ->
        checksRun++
        val steps = setOf(expect.acknowledgeLabel, expect.relayLabel)
        val shown = nodes.filter { it.config.getOrNull(SemanticsActions.OnClick) != null }.map { it.label() }.filter { it in steps }
        if (shown != want) fail("$where: directive steps $shown, the core leaves open $want")
    }
}

/**
 * Why a text's layout does not fit its box, or `null`: lines cut off (max lines, ellipsis), lines wider than
 * the box, or a paragraph taller than it. (`hasVisualOverflow` is not used: on desktop the semantics'
 * layout measures its paragraph at the constraint's width, so its width flag is set for any short text.)
 */
private fun overflow(t: TextLayoutResult): String? {
    val p = t.multiParagraph
    val lines = 0 until t.lineCount
    return when {
        p.didExceedMaxLines || lines.any { t.isLineEllipsized(it) } -> "cut off after ${t.lineCount} line(s)"
        lines.any { line ->
            val last = t.getLineEnd(line, visibleEnd = true) - 1
            last >= t.getLineStart(line) && t.getBoundingBox(last).right > t.size.width + 1
        } -> "wider than its box"
        p.height > t.size.height + 1 -> "taller than its box"
        else -> null
    }
}

/** The colour the text is drawn on: the commonest pixel in the text's box. */
private fun background(image: BufferedImage, b: Rect): Color {
    val counts = HashMap<Int, Int>()
    val x0 = b.left.toInt().coerceIn(0, image.width - 1)
    val x1 = b.right.toInt().coerceIn(x0 + 1, image.width)
    val y0 = b.top.toInt().coerceIn(0, image.height - 1)
    val y1 = b.bottom.toInt().coerceIn(y0 + 1, image.height)
    for (y in y0 until y1) for (x in x0 until x1) counts.merge(image.getRGB(x, y) or (0xFF shl 24), 1, Int::plus)
    return Color(counts.maxByOrNull { it.value }!!.key)
}

private fun Color.over(bg: Color): Color =
    if (alpha >= 1f) this else Color(red * alpha + bg.red * (1 - alpha), green * alpha + bg.green * (1 - alpha), blue * alpha + bg.blue * (1 - alpha))

private fun Color.luminance(): Double {
    fun ch(c: Float): Double = if (c <= 0.03928) c / 12.92 else ((c + 0.055) / 1.055).pow(2.4)
    return 0.2126 * ch(red) + 0.7152 * ch(green) + 0.0722 * ch(blue)
}

fun contrast(a: Color, b: Color): Double {
    val la = a.luminance()
    val lb = b.luminance()
    return (max(la, lb) + 0.05) / (minOf(la, lb) + 0.05)
}

private fun Color.hex() = "#%02X%02X%02X".format((red * 255).toInt(), (green * 255).toInt(), (blue * 255).toInt())

// ---- the screens of every role -------------------------------------------------------------------------

private fun Fixture.issueActions(id: String) = app.issue(id).actions.map { it.label }

private fun Fixture.directiveSteps(id: String) = app.directive(id).let { d ->
    listOfNotNull(if (d.canAcknowledge) ctx.strings.acknowledge else null, if (d.canRelay) ctx.strings.relay else null)
}

/** The signed-in frame around a screen, with the real sync bar state. */
@Composable
internal fun Frame(f: Fixture, canGoBack: Boolean, home: Boolean, content: @Composable () -> Unit) =
    Frame(f.app, f.ctx, canGoBack, home, content)

@Composable
private fun Frame(app: FieldApp, ctx: ShellContext, canGoBack: Boolean, home: Boolean, content: @Composable () -> Unit) {
    val session = app.session()!!.toView()
    val bar = remember { SyncBarPresenter(ctx).also { runBlocking { it.refresh() } } }
    val st by bar.state.collectAsState()
    SignedInFrame(
        ctx.strings, session.title, session.subtitle, canGoBack,
        showInbox = home && session.capabilities.directiveInbox,
        onBack = {}, onInbox = {}, onSignOut = {},
        syncBar = { SyncBar(st, ctx.strings, onSync = {}, onSignIn = {}) },
        content = content,
    )
}

fun renderRole(f: Fixture, user: String) {
    f.app.signIn(user)
    val s = f.ctx.strings
    val session = f.app.session()!!.toView()
    val none: (String) -> Unit = {}
    when (session.home) {
        Home.TODAY -> {
            val p = TodayPresenter(f.ctx)
            runBlocking { p.load(); p.onLocation(fixNearH1()) }
            shoot("$user-home") { Frame(f, false, true) { TodayScreen(p.state.value, s, {}, none, none, none, onDashboard = {}) } }
        }
        Home.LIAISON -> {
            val p = LiaisonHomePresenter(f.ctx)
            runBlocking { p.load() }
            shoot("$user-home") { Frame(f, false, true) { LiaisonHomeScreen(p.state.value, s, {}, none, none, none) } }
        }
        Home.TRIAGE -> {
            val p = TriagePresenter(f.ctx)
            runBlocking { p.load() }
            shoot("$user-home") { Frame(f, false, true) { TriageScreen(p.state.value, s, {}, {}, {}, none, onOverview = {}, onDashboard = {}) } }
            // The overview (every open issue by node and filter), the dashboard and the lists behind its figures.
            val o = OverviewPresenter(f.ctx)
            runBlocking { o.load() }
            shoot("$user-overview") { Frame(f, true, false) { OverviewScreen(o.state.value, s, {}, {}, {}, {}, none) } }
            val d = DashboardPresenter(f.ctx)
            runBlocking { d.load() }
            shoot("$user-dashboard") { Frame(f, true, false) { DashboardScreen(d.state.value, s, {}, {}) } }
            val due = DueHouseholdsPresenter(f.ctx, null)
            runBlocking { due.load() }
            shoot("$user-due-households") { Frame(f, true, false) { DueHouseholdsScreen(due.state.value, s, {}, {}, none) } }
            val silent = SilentNodesPresenter(f.ctx)
            runBlocking { silent.load() }
            shoot("$user-silent-nodes") { Frame(f, true, false) { SilentNodesScreen(silent.state.value, s, {}, none) } }
        }
        Home.BRANCH -> {
            val p = BranchHomePresenter(f.ctx)
            runBlocking { p.load() }
            shoot("$user-home") { Frame(f, false, true) { BranchHomeScreen(p.state.value, s, {}, {}, {}, none) } }
        }
    }
    if (session.capabilities.directiveInbox) {
        val p = DirectiveInboxPresenter(f.ctx)
        runBlocking { p.load() }
        shoot("$user-inbox") { Frame(f, true, false) { InboxScreen(p.state.value, s, {}, none, none, none, {}, none, { _, _ -> }) } }
    }
    run {
        val p = HouseholdPresenter(f.ctx, "h1")
        runBlocking { p.load() }
        shoot("$user-household") { Frame(f, true, false) { HouseholdScreen(p.state.value, s, {}, none, none, none, none, {}) } }
    }
    if (session.home != Home.TRIAGE) {
        val visit = VisitFormPresenter(f.ctx, "h1")
        runBlocking {
            visit.open()
            visit.onFix(fixNearH1())
            visit.previewVerdict()
            visit.addPhoto(cameraPhoto(f.dir).path)
        }
        shoot("$user-visit") { Frame(f, true, false) { VisitScreen(visit.state.value, s, {}, {}, {}, {}) } }
        runBlocking { visit.discard() }
        val report = ReportIssuePresenter(f.ctx, "h1")
        runBlocking {
            report.open()
            report.onFix(fixNearH1())
            report.setTitle("路灯损坏")
        }
        shoot("$user-report") {
            Frame(f, true, false) { ReportScreen(report.state.value, s, {}, {}, {}, {}, {}, {}, {}, {}, none) }
        }
    }
    val issue = when (user) {
        "gw" -> f.assigned
        "cs" -> f.supervised
        else -> f.fresh
    }
    run {
        val p = IssuePresenter(f.ctx, issue)
        runBlocking { p.load() }
        shoot("$user-issue", Expect(issueActions = f.issueActions(issue))) {
            Frame(f, true, false) { IssueScreen(p.state.value, s, {}, none, none, {}, { _, _ -> }, {}) }
        }
        // 办结 / 回访 as the core's draft form, and the 继续填写 list holding it (where the core says an action is
        // a draft form).
        p.state.value.actions.firstOrNull { it.draft != null }?.let { a ->
            val form = actionDraftForm(f.ctx, issue, a.kind)
            runBlocking { form.open(); form.setNotes("已联系供电所更换灯泡"); form.flush() }
            shoot("$user-draft-form") { Frame(f, true, false) { DraftFormScreen(form.state.value, s, {}, {}, {}, {}) } }
            val list = DraftListPresenter(f.ctx)
            runBlocking { list.load() }
            shoot("$user-drafts") {
                Frame(f, true, false) {
                    Column {
                        DraftsEntry(list.state.value.entryText(s)) {}
                        DraftsScreen(list.state.value, s, {}, {}, {})
                    }
                }
            }
            runBlocking { form.discard() }
        }
    }
    val directive = if (user == "gw") f.task else f.alert
    run {
        val p = DirectiveDetailPresenter(f.ctx, directive)
        runBlocking { p.load() }
        shoot("$user-directive", Expect(directiveSteps = f.directiveSteps(directive), acknowledgeLabel = s.acknowledge, relayLabel = s.relay)) {
            Frame(f, true, false) {
                DirectiveScreen(p.state.value, s, null, {}, none, none, {}, {}, { _, _ -> }, {})
            }
        }
    }
}

/**
 * Issue rows in each traffic light. The fixture's issues are all green on the day they are reported (the core
 * computes lights from real deadlines, and the harness does not fake the clock), so the yellow and red rows
 * are the core's row of a real issue with its light swapped: a check of the row's colours, not of the core.
 */
fun renderLights(f: Fixture) {
    f.app.signIn("ts")
    val s = f.ctx.strings
    val row = f.app.issue(f.fresh).summary.toRow(s, f.ctx.format)
    val rows = Light.entries.map { l -> row.copy(id = l.name, light = l, lightLabel = s.light(l)) }
    shoot("lights") { Surface(Modifier.fillMaxSize()) { Column { rows.forEach { IssueRowItem(it) {} } } } }
}

fun renderSignIn(f: Fixture) {
    f.app.signOut()
    val p = SessionPresenter(f.ctx)
    p.setServerUrl("https://linkage.example.cn")
    p.setUserId("gw")
    shoot("signin") { SignInScreen(p.state.value, f.ctx.strings, {}, {}, {}, {}) }
}

// ---- interaction: a dialog's submit builds the command the core expects ---------------------------------

/** What to type or pick in a dialog for [a], and the form the core should receive. */
private fun plan(a: ActionSpec, assignees: List<Option<String>>, merges: List<MergeOption>, otherIssue: String): Pair<ActionForm, List<Pair<String, String>>> {
    val inputs = mutableListOf<Pair<String, String>>()
    var form = ActionForm()
    a.choices.firstOrNull()?.let { c -> inputs += "pick" to c.label; form = form.copy(choice = c.id) }
    a.minDays?.let { d -> inputs += a.daysLabel to d.toString(); form = form.copy(workingDays = d) }
    if (a.needsPerson) {
        val person = assignees.first()
        inputs += "pick" to person.label
        form = form.copy(personId = person.value)
    }
    if (a.needsOtherIssue) {
        // Picked from the core's suggestions shown in the dialog, never typed.
        val target = merges.firstOrNull { it.issueId == otherIssue } ?: error("the core does not suggest $otherIssue (offers ${merges.map { it.issueId }})")
        inputs += "pick" to target.title
        form = form.copy(otherIssueId = target.issueId)
    }
    if (a.text != TextNeed.NONE) { inputs += a.textLabel to "界面测试填写"; form = form.copy(text = "界面测试填写") }
    return form to inputs
}

/**
 * Opens the issue page as [user], presses the button of [kind], fills its dialog through the UI, submits,
 * and checks the form handed back and the core's answer to it.
 */
@OptIn(ExperimentalTestApi::class)
fun interact(f: Fixture, user: String, issueId: String, kind: IssueActionKind, otherIssue: String = "") {
    val name = "$user ${kind.name} on ${f.app.issue(issueId).summary.title}"
    checksRun++
    f.app.signIn(user)
    val p = IssuePresenter(f.ctx, issueId)
    runBlocking { p.load() }
    val spec = p.state.value.actions.singleOrNull { it.kind == kind } ?: return fail("$name: no such button (core allows ${p.state.value.actions.map { it.kind }})")
    if (spec.draft != null) return interactDraft(f, name, p, spec)
    val (want, inputs) = plan(spec, p.state.value.assigneeOptions, p.state.value.mergeOptions, otherIssue)
    var got: Pair<IssueActionKind, ActionForm>? = null
    val before = f.app.issueTimeline(issueId).size
    runDesktopComposeUiTest((WIDTH_DP * DENSITY).toInt(), (MIN_HEIGHT_DP * DENSITY).toInt()) {
        setContent {
            CompositionLocalProvider(LocalDensity provides Density(DENSITY, 1f), LocalImages provides HostImages) {
                LinkageTheme {
                    val st by p.state.collectAsState()
                    IssueScreen(st, f.ctx.strings, {}, {}, {}, {}, onAction = { k, form -> got = k to form }, onOpenDraft = {})
                }
            }
        }
        val notInDialog = SemanticsMatcher("not in a dialog") { n -> generateSequence(n.parent) { it.parent }.none { SemanticsProperties.IsDialog in it.config } }
        onNode(hasText(spec.label) and notInDialog and SemanticsMatcher("clickable") { SemanticsActions.OnClick in it.config }).performClick()
        waitForIdle()
        if (!spec.immediate) {
            for ((field, value) in inputs) {
                if (field == "pick") onNode(hasText(value) and hasAnyAncestor(isDialog())).performClick()
                else onNode(hasSetTextAction() and hasText(field) and hasAnyAncestor(isDialog())).performTextInput(value)
                waitForIdle()
            }
            val image = onAllNodes(isRoot()).fetchSemanticsNodes().size.let { n -> onAllNodes(isRoot())[n - 1] }.captureToImage().toAwtImage()
            ImageIO.write(image, "png", File(outDir, "dialog-${kind.name.lowercase()}@1.0.png"))
            // The dialog itself passes the same checks as the screens (its nodes only: the page behind is dimmed).
            val inDialog = allNodes().filter { n -> generateSequence(n) { it.parent }.any { SemanticsProperties.IsDialog in it.config } }
            check("dialog-${kind.name.lowercase()}@1.0", 1.0f, inDialog, image, Expect())
            onNode(hasText(spec.label) and hasAnyAncestor(isDialog()) and SemanticsMatcher("clickable") { SemanticsActions.OnClick in it.config }).performClick()
            waitForIdle()
        }
    }
    val (k, form) = got ?: return fail("$name: submit handed nothing back")
    if (k != kind || form != want) return fail("$name: the dialog built $k $form, expected $kind $want")
    val ok = runBlocking { p.perform(k, form) }
    if (!ok) return fail("$name: the core refused the dialog's form: ${p.state.value.error}")
    val timeline = f.app.issueTimeline(issueId)
    if (timeline.size <= before || timeline.last().action != kind) return fail("$name: the core accepted but its timeline has no such step")
    println("ok   dialog: $name → ${timeline.last().actionLabel}")
    dialogKinds += kind
}

/**
 * 办结 / 回访: the core's `ActionSpec.draft` makes the button open the draft form (no dialog). The button hands
 * back its kind; the form (the core's draft) is filled through the UI — the choice picked, the text typed —
 * submitted, checked like the screens, and the core must record the step.
 */
@OptIn(ExperimentalTestApi::class)
private fun interactDraft(f: Fixture, name: String, page: IssuePresenter, spec: ActionSpec) {
    val issueId = page.issueId
    val before = f.app.issueTimeline(issueId).size
    var opened: IssueActionKind? = null
    var submitted = false
    val form = actionDraftForm(f.ctx, issueId, spec.kind)
    runBlocking { form.open() }
    runDesktopComposeUiTest((WIDTH_DP * DENSITY).toInt(), (MIN_HEIGHT_DP * DENSITY).toInt()) {
        var onForm by mutableStateOf(false)
        setContent {
            CompositionLocalProvider(LocalDensity provides Density(DENSITY, 1f), LocalImages provides HostImages) {
                LinkageTheme {
                    val st by page.state.collectAsState()
                    val fs by form.state.collectAsState()
                    Surface(Modifier.fillMaxSize()) {
                        if (!onForm) IssueScreen(st, f.ctx.strings, {}, {}, {}, {}, onAction = { _, _ -> }, onOpenDraft = { opened = it; onForm = true })
                        else DraftFormScreen(fs, f.ctx.strings, form::setChoice, form::setNotes, {}, { submitted = true })
                    }
                }
            }
        }
        onNode(hasText(spec.label) and SemanticsMatcher("clickable") { SemanticsActions.OnClick in it.config }).performClick()
        waitForIdle()
        spec.choices.firstOrNull()?.let { c -> onNode(hasText(c.label) and SemanticsMatcher("clickable") { SemanticsActions.OnClick in it.config }).performClick() }
        onNode(hasSetTextAction() and hasText(spec.textLabel)).performTextInput("界面测试填写")
        waitForIdle()
        val image = onAllNodes(isRoot()).fetchSemanticsNodes().size.let { n -> onAllNodes(isRoot())[n - 1] }.captureToImage().toAwtImage()
        ImageIO.write(image, "png", File(outDir, "draft-${spec.kind.name.lowercase()}@1.0.png"))
        check("draft-${spec.kind.name.lowercase()}@1.0", 1.0f, allNodes(), image, Expect())
        onNode(hasText(form.state.value.kindLabel) and SemanticsMatcher("clickable") { SemanticsActions.OnClick in it.config }).performClick()
        waitForIdle()
    }
    if (opened != spec.kind) return fail("$name: the button opened $opened, not its draft form")
    if (!submitted) return fail("$name: the draft form's submit was not pressed")
    val done = runBlocking { form.submit() } ?: return fail("$name: the core refused the draft: ${form.state.value.error}")
    val timeline = f.app.issueTimeline(issueId)
    if (timeline.size <= before || timeline.last().action != spec.kind) return fail("$name: the core accepted $done but its timeline has no such step")
    if (!timeline.last().detail.contains("界面测试填写")) return fail("$name: the typed text is not in the step: ${timeline.last().detail}")
    println("ok   draft form: $name → ${timeline.last().actionLabel}")
    dialogKinds += spec.kind
}

fun interactions(f: Fixture) {
    // A fresh story for the dialogs, on the same phone (the rendered fixture stays as it was shown).
    f.app.signIn("lh")
    val a = f.app.reportIssue(IssueDraft(IssueCategory.INFRASTRUCTURE, Urgency.NORMAL, "桥面裂缝", "桥面出现裂缝。", "h1")).id
    val b = f.app.reportIssue(IssueDraft(IssueCategory.INFRASTRUCTURE, Urgency.NORMAL, "桥面裂缝（重复）", "同一座桥。", "h1")).id
    val c = f.app.reportIssue(IssueDraft(IssueCategory.DISPUTE, Urgency.NORMAL, "夜间噪音", "广场舞音响过大。", "h2")).id
    interact(f, "ts", a, IssueActionKind.ACCEPT) // immediate
    interact(f, "ts", c, IssueActionKind.REJECT) // required reason
    interact(f, "ts", b, IssueActionKind.MERGE, otherIssue = a) // another issue
    interact(f, "ts", a, IssueActionKind.REQUEST_EXTENSION) // working days + reason
    interact(f, "ts", a, IssueActionKind.SUSPEND) // reason
    interact(f, "ts", a, IssueActionKind.RESUME) // immediate
    interact(f, "cs", a, IssueActionKind.DECIDE_EXTENSION) // choice
    interact(f, "cs", a, IssueActionKind.SUPERVISE) // choice + optional text
    interact(f, "ts", a, IssueActionKind.ASSIGN) // a person from the core's candidates (the grid worker)
    interact(f, "gw", a, IssueActionKind.START) // immediate
    interact(f, "gw", a, IssueActionKind.RESOLVE) // required note (photos optional)
    interact(f, "ts", a, IssueActionKind.VERIFY) // satisfaction choice + optional note
    f.app.signIn("lh")
    val d = f.app.reportIssue(IssueDraft(IssueCategory.SAFETY_HAZARD, Urgency.URGENT, "危房", "墙体开裂。", "h2")).id
    f.app.signIn("ts")
    f.perform(d, IssueActionKind.ACCEPT)
    interact(f, "ts", d, IssueActionKind.ESCALATE) // required reason
}

/** The fixture bundle with a branch secretary `bs` at b1 and the county's intake setting sending liaison heads'
 * reports to the branch (ADR 0008); the rest of the county as in the fixture. */
fun branchBundle(text: String): String =
    text.replaceFirst(Regex("\"users\"\\s*:\\s*\\["), "\"users\": [{\"id\": \"bs\", \"name\": \"村支书\", \"role\": \"branch_secretary\", \"node_id\": \"b1\"}, ")
        .replaceFirst("{", "{\"config\": {\"intake\": {\"liaison_reports\": \"branch\"}}, ")

/**
 * 支部书记 (ADR 0008): a county whose liaison heads' reports land at the village branch. The secretary's home
 * (the branch's queue, then the issues assigned to them) and the issue page with the core's buttons, from a
 * neighbour dispute just reported (受理 / 不予受理 / 合并) and one settled in the village waiting for 回访.
 */
fun renderBranch() {
    val dir = Files.createTempDirectory("linkage-branch").toFile()
    try {
        val file = File(dir, "bundle.json").apply { writeText(branchBundle(bundle.readText())) }
        val app = FieldApp.open(File(dir, "linkage.db").path, ByteArray(32).also { java.security.SecureRandom().nextBytes(it) })
        app.loadBundle(file.path)
        val ctx = ShellContext(app, Lang.ZH_CN, liveRefresh = false)
        val s = ctx.strings
        val none: (String) -> Unit = {}
        app.signIn("lh")
        val dispute = app.reportIssue(IssueDraft(IssueCategory.DISPUTE, Urgency.NORMAL, "邻里纠纷：院墙占地", "两户因新砌院墙的位置争吵。", "h1")).id
        val settled = app.reportIssue(IssueDraft(IssueCategory.DISPUTE, Urgency.NORMAL, "邻里纠纷：放水灌溉", "上下游两户争水。", "h2")).id
        app.signIn("bs")
        app.performAction(settled, IssueActionKind.ACCEPT, ActionForm())
        app.performAction(settled, IssueActionKind.RESOLVE, ActionForm(text = "村调解委员会调解，约定轮流放水"))
        val home = BranchHomePresenter(ctx)
        runBlocking { home.load() }
        check(home.state.value.queue.rows.map { it.id }.toSet() == setOf(dispute, settled)) { "the branch queue: ${home.state.value.queue.rows}" }
        shoot("bs-home") { Frame(app, ctx, false, true) { BranchHomeScreen(home.state.value, s, {}, {}, {}, none) } }
        for ((name, id) in listOf("bs-issue" to dispute, "bs-verify" to settled)) {
            val p = IssuePresenter(ctx, id)
            runBlocking { p.load() }
            shoot(name, Expect(issueActions = app.issue(id).actions.map { it.label })) {
                Frame(app, ctx, true, false) { IssueScreen(p.state.value, s, {}, none, none, {}, { _, _ -> }, {}) }
            }
        }
        app.destroy()
    } finally {
        dir.deleteRecursively()
    }
}

fun main(args: Array<String>) {
    System.setProperty("java.awt.headless", "true")
    Locale.setDefault(Locale.SIMPLIFIED_CHINESE)
    bundle = File(args.getOrNull(0) ?: error("usage: ScreensHostKt BUNDLE_JSON OUT_DIR"))
    outDir = File(args.getOrNull(1) ?: error("usage: ScreensHostKt BUNDLE_JSON OUT_DIR")).apply { mkdirs() }
    try {
        Fixture().use { f ->
            for (user in listOf("gw", "lh", "ts", "cs")) renderRole(f, user)
            renderBranch()
            for (user in listOf("gw", "lh", "ts", "cs")) renderLedger(f, user)
            renderSignIn(f)
            renderLights(f)
            interactions(f)
            renderDirectives(f)
            renderForms(f)
        }
    } catch (e: Throwable) {
        e.printStackTrace(System.out)
        fail("harness: ${e::class.simpleName}: ${e.message}")
    }
    val screens = rendered / SCALES.size
    println("screens: $screens screens × ${SCALES.size} font scales = $rendered PNGs in $outDir; dialogs of ${dialogKinds.size} action kinds; ${failures.size} problems in $checksRun checks")
    println("${checksRun - failures.size} passed, ${failures.size} failed")
    exitProcess(if (failures.isEmpty()) 0 else 1)
}
