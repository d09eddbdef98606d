// Binding glue test: drives the real core through the generated Kotlin bindings on the host JVM (JNA).
// It covers what only the bindings can break — records, enums, sealed command classes, typed exceptions,
// UTF-8 Chinese text, unsigned paging arguments, nullable fields — with one full issue story.
// Run by scripts/test-bindings.sh; exits non-zero on the first failed check.

import cn.linkage.core.*
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

fun main(args: Array<String>) {
    val fixture = File(args[0])
    val dir = Files.createTempDirectory("linkage-kotlin").toFile()
    val storeKey = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
    val app = FieldApp.open(File(dir, "phone/linkage.db").path, storeKey)
    val loaded = app.loadBundle(fixture.path)
    assertEquals(5u, loaded.households)

    // A liaison head reports an issue for a household of the group.
    val lh = app.signIn("lh")
    assertEquals(Role.LIAISON_HEAD, lh.role)
    assertEquals("联户长", lh.roleLabel)
    val reported = app.reportIssue(
        IssueDraft(
            category = IssueCategory.LIVELIHOOD_AID,
            urgency = Urgency.URGENT,
            title = "冬季取暖困难",
            description = "独居老人家中缺煤，需要救助",
            householdId = "h1",
        )
    )
    assertEquals(IssueState.REPORTED, reported.state)
    assertEquals("冬季取暖困难", reported.title)
    assertEquals(Light.GREEN, reported.light)
    val id = reported.id

    // Township staff accept it from the triage queue and assign it to the grid worker.
    app.signIn("ts")
    val queue = app.triageQueue(listOf(IssueState.REPORTED), 0u, 50u)
    assertEquals(listOf(id), queue.items.map { it.id })
    assertEquals(listOf(IssueActionKind.ACCEPT, IssueActionKind.REJECT, IssueActionKind.MERGE), app.issue(id).allowedActions)
    app.performIssueAction(id, IssueCommand.Accept)
    val assigned = app.performIssueAction(id, IssueCommand.Assign(assigneeId = "gw"))
    assertEquals(IssueState.ASSIGNED, assigned.state)
    assertEquals("gw", assigned.assigneeId)

    // The grid worker photographs the household (a camera file, here made with ImageIO), visits on site,
    // starts and resolves.
    app.signIn("gw")
    val now = System.currentTimeMillis()
    val fix = GpsFix(lat = 35.5801, lon = 109.2601, accuracyM = 8.0, fixTimeMs = now - 90_000, mocked = false)
    val camera = BufferedImage(2400, 1800, BufferedImage.TYPE_INT_RGB)
    for (y in 0 until 1800) for (x in 0 until 2400) camera.setRGB(x, y, ((x % 256) shl 16) or ((y % 256) shl 8) or ((x + y) % 256))
    val cameraFile = File(dir, "DCIM_0001.jpg")
    ImageIO.write(camera, "jpg", cameraFile)
    val photo = app.addEvidence(cameraFile.path, fix, null)
    assertEquals(64, photo.hash.length)
    assertEquals(1600u, photo.width)
    assertEquals(1200u, photo.height)
    assertTrue(File(photo.thumbnailPath).exists())
    assertTrue(photo.watermark.contains("N 35.58010"), photo.watermark)
    val badPhoto = assertFailsWith<ApiException.BadPhoto> {
        app.addEvidence(File(dir, "note.jpg").apply { writeText("不是照片") }.path, null, null)
    }
    assertEquals(PhotoProblem.NOT_AN_IMAGE, badPhoto.problem)
    val visit = app.recordVisit(
        VisitDraft(
            householdId = "h1",
            kind = VisitKind.RETURN_VISIT,
            startedAtMs = now - 600_000,
            endedAtMs = now - 60_000,
            fix = fix,
            notes = "已送煤五百斤，老人满意",
            evidence = listOf(photo.hash),
            issueId = id,
        )
    )
    assertEquals(OnSiteVerdict.ON_SITE, visit.verdict)
    assertEquals("在现场", visit.verdictLabel)
    assertTrue(visit.distanceM!! < 20.0)
    val visitPhotos = app.listEvidence(EvidenceTarget.Visit(visitId = visit.id))
    assertEquals(listOf(photo.hash), visitPhotos.map { it.hash })
    assertTrue(app.verifyEvidence(photo.hash))
    assertFailsWith<ApiException.Conflict> { app.deleteEvidence(photo.hash) }
    app.performIssueAction(id, IssueCommand.Start)
    val resolved = app.performIssueAction(id, IssueCommand.Resolve(note = "已送煤", evidence = listOf("ab".repeat(32))))
    assertEquals(IssueState.RESOLVED, resolved.state)

    // Township staff verify with 满意: closed.
    app.signIn("ts")
    val closed = app.performIssueAction(id, IssueCommand.Verify(satisfaction = Satisfaction.SATISFIED, note = "回访满意"))
    assertEquals(IssueState.CLOSED, closed.state)
    assertEquals("结案", closed.stateLabel)
    assertEquals(Satisfaction.SATISFIED, closed.satisfaction)
    val timeline = app.issueTimeline(id)
    assertEquals(
        listOf(IssueActionKind.REPORT, IssueActionKind.ACCEPT, IssueActionKind.ASSIGN, IssueActionKind.START, IssueActionKind.RESOLVE, IssueActionKind.VERIFY),
        timeline.map { it.action },
    )
    assertEquals("满意 · 回访满意", timeline.last().detail)

    // An illegal transition surfaces as a typed Kotlin exception carrying the state and action.
    val illegal = assertFailsWith<ApiException.IllegalTransition> { app.performIssueAction(id, IssueCommand.Accept) }
    assertEquals(IssueState.CLOSED, illegal.from)
    assertEquals(IssueActionKind.ACCEPT, illegal.action)

    // Other error variants cross the FFI with their fields.
    val invalid = assertFailsWith<ApiException.InvalidInput> {
        app.reportIssue(IssueDraft(IssueCategory.OTHER, Urgency.NORMAL, "  ", "", "h1"))
    }
    assertEquals("title", invalid.field)
    assertFailsWith<ApiException.NotFound> { app.issue("no-such-issue") }
    app.signIn("lh")
    val second = app.reportIssue(IssueDraft(IssueCategory.SAFETY_HAZARD, Urgency.CRITICAL, "山林冒烟", "一组后山松树林有烟", null, nodeId = "g1"))
    val denied = assertFailsWith<ApiException.NotPermitted> { app.performIssueAction(second.id, IssueCommand.Accept) }
    assertTrue(denied.reason.isNotEmpty())
    assertFailsWith<ApiException.InvalidInput> { app.overdueHouseholds(MapPoint(Double.NaN, 109.0), 0u, 10u) }

    // The reporter sees the outcome; paging and masking come through.
    val mine = app.listIssues(IssueListKind.REPORTED_BY_ME, emptyList(), 0u, 10u)
    assertEquals(2uL, mine.total)
    assertEquals(IssueState.CLOSED, mine.items.single { it.id == id }.state)
    val page = app.listHouseholds(HouseholdQuery(text = "张", limit = 1u))
    assertEquals(2uL, page.total)
    assertEquals(1u, page.nextOffset)
    assertEquals("138****5678", page.items.first().phoneMasked)

    // Outbox status and the pure coordinate helpers.
    val status = app.outboxStatus()
    assertEquals(8uL, status.pending)
    assertNotNull(status.oldestPendingAgeMs)
    val gcj = wgs84ToGcj02(MapPoint(39.915, 116.404))
    assertTrue(Math.abs(gcj.lat - 39.91640428) < 1e-6 && Math.abs(gcj.lon - 116.41024450) < 1e-6)

    // The session persists across reopening the database.
    app.destroy()
    val reopened = FieldApp.open(File(dir, "phone/linkage.db").path, storeKey)
    assertEquals("lh", reopened.session()?.userId)
    reopened.destroy()
    dir.deleteRecursively()
    println("kotlin binding story: ok")
}
