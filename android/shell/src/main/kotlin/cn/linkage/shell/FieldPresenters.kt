package cn.linkage.shell

import cn.linkage.core.ChangeTopic
import cn.linkage.core.EvidenceSummary
import cn.linkage.core.EvidenceTarget
import cn.linkage.core.GpsFix
import cn.linkage.core.HouseholdQuery
import cn.linkage.core.IssueCategory
import cn.linkage.core.IssueListKind
import cn.linkage.core.MapPoint
import cn.linkage.core.OnSiteVerdict
import cn.linkage.core.Urgency
import cn.linkage.core.SubmittedRecord
import cn.linkage.core.VisitKind

/** A choice in a picker: the value and its label. */
data class Option<T>(val value: T, val label: String)

/**
 * Live GPS as the forms show it: the accuracy line, a mock-location warning, and what the platform says about
 * location access (denied, approximate only, GPS off). Grading is the core's.
 */
data class GpsView(val text: String, val mockWarning: String?, val problem: String? = null)

fun GpsFix?.toView(s: Strings, f: Format, problem: LocationProblem? = null) = when (this) {
    null -> GpsView(if (problem == null) s.waitingForFreshFix else s.locating, null, problem?.let(s::locationProblem))
    else -> GpsView(f.accuracy(accuracyM), if (mocked) s.mockLocation else null, problem?.let(s::locationProblem))
}

/** The core's live verdict for the visit form (`FieldApp.previewVerdict`): label, advice, on site or not. */
data class VerdictView(
    val verdict: OnSiteVerdict,
    val label: String,
    val advice: String,
    val onSite: Boolean,
    val distanceText: String?,
    val fixAgeText: String?,
)

/** A photo turned into evidence by the core: its hash goes into the record, its thumbnail on screen. */
data class PhotoThumb(val hash: String, val thumbnailPath: String, val watermark: String)

fun EvidenceSummary.toThumb() = PhotoThumb(hash, thumbnailPath, watermark)

// ---- Grid worker: today ---------------------------------------------------------------------------------

data class TodayState(
    val loading: Boolean = false,
    val locationText: String = "",
    val overdue: List<OverdueRow> = emptyList(),
    val overdueTotal: Long = 0,
    val assigned: List<IssueRow> = emptyList(),
    val directives: List<DirectiveRow> = emptyList(),
    val error: UiError? = null,
)

/**
 * The grid worker's day: households overdue for a visit nearest first from the live position, issues
 * assigned to me by deadline, directives not yet acknowledged; the 工作台 one tap away ([dashboard]).
 */
class TodayPresenter(ctx: ShellContext, private val pageSize: UInt = 30u) : Presenter<TodayState>(TodayState(), ctx) {
    init {
        refreshOn(ChangeTopic.ISSUES, ChangeTopic.HOUSEHOLDS, ChangeTopic.VISITS, ChangeTopic.DIRECTIVES, ChangeTopic.SESSION) { load() }
    }

    private var here: MapPoint? = null

    suspend fun load() {
        update { it.copy(loading = true, error = null, locationText = if (here == null) s.noLocation else "") }
        val assigned = core { assignedToMe(0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        val directives = core { directivesToAcknowledge(0u, 50u) }.getOr { e -> update { it.copy(error = e) } }
        update {
            it.copy(
                assigned = assigned?.items?.map { i -> i.toRow(s, fmt) } ?: it.assigned,
                directives = directives?.items?.map { d -> d.toRow(s, fmt) } ?: it.directives,
            )
        }
        loadOverdue()
        update { it.copy(loading = false) }
    }

    /** A new position from the location provider: re-orders the overdue list (one indexed DB read). */
    suspend fun onLocation(fix: GpsFix) {
        here = MapPoint(fix.lat, fix.lon)
        update { it.copy(locationText = fmt.accuracy(fix.accuracyM)) }
        loadOverdue()
    }

    private suspend fun loadOverdue() {
        val from = here
        val page = core { overdueHouseholds(from, 0u, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { it.copy(overdue = page.items.map { o -> o.toRow(s, fmt) }, overdueTotal = page.total.toLong()) }
    }

    /**
     * The home's 工作台 entry: the branch's dashboard (走访覆盖率, 未走访户 at the branch's cadence, the lit
     * measures), as the route opens it (`Route.Dashboard`); a tap on a figure opens the list behind it.
     */
    fun dashboard(): DashboardPresenter = DashboardPresenter(ctx)
}

// ---- Household page ------------------------------------------------------------------------------------

data class HouseholdView(
    val id: String,
    val headName: String,
    val membersText: String,
    val address: String,
    val groupName: String,
    val phoneMasked: String?,
    val idNumberMasked: String?,
    val tags: List<String>,
    val riskLabel: String,
    val risk: cn.linkage.core.RiskLevel,
    val lastOnSiteText: String?,
)

data class HouseholdPageState(
    val loading: Boolean = false,
    val household: HouseholdView? = null,
    val visits: List<VisitRow> = emptyList(),
    val issues: List<IssueRow> = emptyList(),
    /** Paged from the core: the whole history, a page at a time ("加载更多" while a next offset is set). */
    val visitsTotal: Long = 0,
    val visitsNext: UInt? = null,
    val visitsTitle: String = "",
    val issuesTotal: Long = 0,
    val issuesNext: UInt? = null,
    val issuesTitle: String = "",
    /** The full-size file of the visit photo the user opened. */
    val openedPhotoPath: String? = null,
    val error: UiError? = null,
)

/**
 * The household page: ledger, visits (with their photos, a colleague's fetched by the core) and the
 * household's issues, each paged by the core (newest first).
 */
class HouseholdPresenter(ctx: ShellContext, val householdId: String, private val pageSize: UInt = 20u) :
    Presenter<HouseholdPageState>(HouseholdPageState(), ctx) {
    init {
        refreshOn(ChangeTopic.HOUSEHOLDS, ChangeTopic.VISITS, ChangeTopic.ISSUES) { load() }
    }


    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val h = core { household(householdId) }.getOr { e -> update { it.copy(loading = false, error = e) } } ?: return
        val visitPage = core { householdVisitPage(householdId, 0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        val visits = visitPage?.items ?: emptyList()
        val issues = core { householdIssues(householdId, 0u, pageSize) }.getOr { e -> update { it.copy(error = e) } }
        update {
            it.copy(
                loading = false,
                household = HouseholdView(
                    id = h.id,
                    headName = h.headName,
                    membersText = s.members(h.members),
                    address = h.address,
                    groupName = h.groupName,
                    phoneMasked = h.phoneMasked,
                    idNumberMasked = h.idNumberMasked,
                    tags = h.tags,
                    riskLabel = h.riskLabel,
                    risk = h.riskLevel,
                    lastOnSiteText = h.lastOnsiteMs?.let { ms -> s.lastOnSite(fmt.dateTime(ms)) },
                ),
                visits = visits.map { v -> v.toRow(s, fmt) },
                visitsTotal = visitPage?.total?.toLong() ?: it.visitsTotal,
                visitsNext = visitPage?.nextOffset,
                visitsTitle = s.visitsCount(visits.size, visitPage?.total?.toLong() ?: 0),
                issues = issues?.items?.map { i -> i.toRow(s, fmt) } ?: it.issues,
                issuesTotal = issues?.total?.toLong() ?: it.issuesTotal,
                issuesNext = issues?.nextOffset,
                issuesTitle = s.issuesCount(issues?.items?.size ?: it.issues.size, issues?.total?.toLong() ?: it.issuesTotal),
            )
        }
        loadPhotos(visits)
    }

    /** The visits' photos after the page is up: thumbnails from the phone, else downloaded by the core. */
    private suspend fun loadPhotos(visits: List<cn.linkage.core.VisitSummary>) {
        for (v in visits.filter { it.evidence.isNotEmpty() }) {
            val photos = photosOf(EvidenceTarget.Visit(v.id))
            update { st -> st.copy(visits = st.visits.map { row -> if (row.id == v.id) row.copy(photos = photos) else row }) }
        }
    }

    /** The next page of visits, appended. */
    suspend fun moreVisits() {
        val next = state.value.visitsNext ?: return
        val page = core { householdVisitPage(householdId, next, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update {
            val rows = it.visits + page.items.map { v -> v.toRow(s, fmt) }
            it.copy(visits = rows, visitsNext = page.nextOffset, visitsTotal = page.total.toLong(), visitsTitle = s.visitsCount(rows.size, page.total.toLong()))
        }
        loadPhotos(page.items)
    }

    /** The next page of the household's issues, appended. */
    suspend fun moreIssues() {
        val next = state.value.issuesNext ?: return
        val page = core { householdIssues(householdId, next, pageSize) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update {
            val rows = it.issues + page.items.map { i -> i.toRow(s, fmt) }
            it.copy(issues = rows, issuesNext = page.nextOffset, issuesTotal = page.total.toLong(), issuesTitle = s.issuesCount(rows.size, page.total.toLong()))
        }
    }

    /** Opens a visit photo at full size (from the phone, or fetched by the core). */
    suspend fun openPhoto(hash: String): Boolean = when (val r = coreAsync { openEvidence(hash) }) {
        is Outcome.Ok -> { update { it.copy(openedPhotoPath = r.value, error = null) }; true }
        is Outcome.Failed -> { update { it.copy(error = r.error) }; false }
    }

    fun closePhoto() = update { it.copy(openedPhotoPath = null) }
}

// ---- Visit form ----------------------------------------------------------------------------------------

/** What the core decided about a saved visit, as the form shows it. */
data class VisitResult(
    val visitId: String,
    val verdict: OnSiteVerdict,
    val verdictLabel: String,
    /** What the verdict means for the visitor, in the core's words. */
    val verdictAdvice: String,
    val onSite: Boolean,
    val distanceText: String?,
    val accuracyText: String?,
    val savedText: String,
)

data class VisitFormState(
    val householdId: String,
    val kind: VisitKind = VisitKind.ROUTINE,
    val kindOptions: List<Option<VisitKind>> = emptyList(),
    val notes: String = "",
    val fix: GpsFix? = null,
    val gps: GpsView = GpsView("", null),
    /** What saving now would record, graded live by the core (stale fixes included). */
    val verdict: VerdictView? = null,
    val locationProblem: LocationProblem? = null,
    val photos: List<PhotoThumb> = emptyList(),
    val addingPhoto: Boolean = false,
    val saving: Boolean = false,
    val result: VisitResult? = null,
    val error: UiError? = null,
) {
    val canSave get() = !saving && !addingPhoto && result == null
}

/**
 * The visit form: live GPS accuracy and the core's live verdict (a fix from before the form opened, or too
 * old, is 定位已过期 — the shell must ask the platform for fresh fixes, never the last known one), camera
 * photos turned into evidence by the core, notes; on save the core grades the fix the same way.
 * The form is a core draft: every edit is stored as typed and the photos belong to the draft, so a killed
 * app resumes it ([open]); the visit's start time is when the draft was started.
 */
class VisitFormPresenter(
    ctx: ShellContext,
    householdId: String,
    kind: VisitKind = VisitKind.ROUTINE,
    issueId: String? = null,
) : Presenter<VisitFormState>(VisitFormState(householdId, kind), ctx) {
    /** When the visit started: the form's opening, then the draft's start (the verdict grades fixes against it). */
    @Volatile private var startedAtMs = ctx.clock()
    private val openedAtMs = startedAtMs
    private val draft = DraftSession(ctx) { startVisitDraft(householdId, kind, issueId, openedAtMs) }

    init {
        update { it.copy(kindOptions = VisitKind.entries.map { k -> Option(k, s.visitKind(k)) }, gps = null.toView(s, fmt)) }
    }

    /** Starts the draft, or resumes the one left open (after the app was killed): notes, fix and photos. */
    suspend fun open(): Boolean = attempt {
        val d = draft.open()
        startedAtMs = d.startedAtMs
        update {
            it.copy(
                kind = d.fields.visitKind ?: it.kind,
                notes = d.fields.notes,
                fix = d.fields.fix ?: it.fix,
                gps = (d.fields.fix ?: it.fix).toView(s, fmt),
                photos = d.photos.map { p -> p.toThumb() },
            )
        }
    }

    fun setKind(kind: VisitKind) { update { it.copy(kind = kind) }; persist() }
    fun setNotes(notes: String) { update { it.copy(notes = notes) }; persist() }

    /** A fresh fix from the location provider (WGS-84, with accuracy, fix time and the mock flag). */
    fun onFix(fix: GpsFix) { update { it.copy(fix = fix, gps = fix.toView(s, fmt, it.locationProblem)) }; persist() }

    /** What the platform reports: permission denied, approximate only, GPS switched off (`null`: all fine). */
    fun onLocationProblem(problem: LocationProblem?) =
        update { it.copy(locationProblem = problem, gps = it.fix.toView(s, fmt, problem)) }

    /**
     * Asks the core for the verdict of the current fix now (after each fix, and every few seconds: a fix
     * ages). One DB read on the I/O dispatcher.
     */
    suspend fun previewVerdict() {
        val st = state.value
        if (st.result != null) return
        val p = core { previewVerdict(st.householdId, st.fix, startedAtMs) }.getOr { e -> update { it.copy(error = e) } } ?: return
        val view = VerdictView(
            verdict = p.verdict,
            label = p.verdictLabel,
            advice = p.advice,
            onSite = p.onSite,
            distanceText = p.distanceM?.let { s.distanceToHousehold(fmt.distance(it)) },
            fixAgeText = p.fixAgeS?.let { s.fixAge(it) },
        )
        update { it.copy(verdict = view) }
    }

    private fun persist() = state.value.let { f -> draft.save(visitFields(f.kind, f.notes, f.fix)) }

    private suspend fun attempt(block: suspend () -> Unit): Boolean = try {
        block()
        true
    } catch (e: kotlin.coroutines.cancellation.CancellationException) {
        throw e
    } catch (e: Exception) {
        update { it.copy(error = e.toUiError(s)) }
        false
    }

    /**
     * Hands a camera file (JPEG/PNG; iOS converts HEIC first) to the core, which orients, resizes, watermarks
     * and stores it under its hash with the draft. The caller may delete its own file afterwards.
     */
    suspend fun addPhoto(path: String): Boolean {
        update { it.copy(addingPhoto = true, error = null) }
        val ok = attempt {
            val d = draft.addPhoto(path, state.value.fix)
            update { it.copy(photos = d.photos.map { p -> p.toThumb() }) }
        }
        update { it.copy(addingPhoto = false) }
        return ok
    }

    /** Drops a photo from the draft (the core deletes the stored file unless a record uses it). */
    suspend fun removePhoto(hash: String) {
        attempt {
            val d = draft.removePhoto(hash)
            update { it.copy(photos = d.photos.map { p -> p.toThumb() }) }
        }
    }

    suspend fun save(): VisitResult? {
        if (!state.value.canSave) return null
        update { it.copy(saving = true, error = null) }
        persist()
        var result: VisitResult? = null
        attempt {
            val v = (draft.submit() as SubmittedRecord.Visit).visit
            result = VisitResult(
                visitId = v.id,
                verdict = v.verdict,
                verdictLabel = v.verdictLabel,
                verdictAdvice = v.verdictAdvice,
                onSite = v.verdict == OnSiteVerdict.ON_SITE,
                distanceText = v.distanceM?.let { s.distanceToHousehold(fmt.distance(it)) },
                accuracyText = v.accuracyM?.let { fmt.accuracy(it) },
                savedText = s.visitSaved,
            )
        }
        update { it.copy(saving = false, result = result) }
        return result
    }

    /** Leaving without saving: the core deletes the draft and the photos taken for it. */
    suspend fun discard() {
        if (state.value.result != null) return
        attempt { draft.discard() }
        update { it.copy(photos = emptyList()) }
    }

    /** Leaving the form (back): kept for "继续填写" unless nothing was entered (the core decides). */
    override fun close() {
        super.close()
        draft.leaveLater()
    }
}

// ---- Report form ---------------------------------------------------------------------------------------

data class ReportFormState(
    val category: IssueCategory = IssueCategory.LIVELIHOOD_AID,
    val urgency: Urgency = Urgency.NORMAL,
    val title: String = "",
    val description: String = "",
    val categoryOptions: List<Option<IssueCategory>> = emptyList(),
    val urgencyOptions: List<Option<Urgency>> = emptyList(),
    val fix: GpsFix? = null,
    val gps: GpsView = GpsView("", null),
    val photos: List<PhotoThumb> = emptyList(),
    val addingPhoto: Boolean = false,
    val submitting: Boolean = false,
    val reported: IssueRow? = null,
    val savedText: String? = null,
    val error: UiError? = null,
    /** The second submit, 就地解决: shown when the core's capabilities allow it (grid workers). */
    val offerOnSpot: Boolean = false,
    val locationProblem: LocationProblem? = null,
    val onSpotNote: String = "",
    /** A report about a place, not a household (smoke on a hillside, a broken bridge): GPS point + description. */
    val aboutPlace: Boolean = false,
    /** "是其中一件吗？": open issues nearby of the same category, from the core, before saving. */
    val duplicates: List<DuplicateRow> = emptyList(),
    /** The existing issue the user chose instead of filing a second one (the draft is gone). */
    val joined: IssueRow? = null,
) {
    /** A missing title or category is the core's to say on submit (its error names the field). */
    val canSubmit get() = !submitting && !addingPhoto && reported == null && joined == null
    val canResolveOnSpot get() = offerOnSpot && canSubmit
}

/**
 * The report form for a household (or, with [nodeId], for a place such as a group's forest). The form is a
 * core draft (stored as typed, photos included, resumed by [open] after a restart); the draft's id is the
 * report's operation id, so a double tap on submit can never make two issues.
 * When the signed-in user's capabilities allow 就地解决 (the grid worker), a second submit reports the issue as already resolved on the
 * spot (就地解决) with a note; the core requires the photos and still sends it to verification.
 */
class ReportIssuePresenter(
    ctx: ShellContext,
    private val householdId: String?,
    private val nodeId: String? = null,
) : Presenter<ReportFormState>(ReportFormState(), ctx) {
    private val draft = DraftSession(ctx) { startIssueDraft(householdId, nodeId) }

    init {
        // The cached session (no I/O): the core says whether this role may resolve on the spot.
        val onSpot = ctx.app.session()?.capabilities?.resolveOnSpot == true
        update {
            it.copy(
                offerOnSpot = onSpot,
                aboutPlace = householdId == null,
                categoryOptions = IssueCategory.entries.map { c -> Option(c, s.category(c)) },
                urgencyOptions = Urgency.entries.map { u -> Option(u, s.urgency(u)) },
                gps = null.toView(s, fmt),
            )
        }
    }

    /** Starts the draft or resumes the one left open: texts, choices, location and photos come back. */
    suspend fun open(): Boolean = attempt {
        val d = draft.open()
        update {
            it.copy(
                category = d.fields.category ?: it.category,
                urgency = d.fields.urgency ?: it.urgency,
                title = d.fields.title,
                description = d.fields.notes,
                onSpotNote = d.fields.onSpotNote,
                fix = d.fields.fix ?: it.fix,
                gps = (d.fields.fix ?: it.fix).toView(s, fmt),
                photos = d.photos.map { p -> p.toThumb() },
            )
        }
        checkDuplicates()
    }

    /**
     * Asks the core for open issues of the same category near the draft's place (its fix, else the household's
     * point). Called on open, on a new category and on a new fix; the form shows them before saving.
     */
    suspend fun checkDuplicates() {
        val f = state.value
        val draft = cn.linkage.core.IssueDraft(
            category = f.category,
            urgency = f.urgency,
            title = f.title,
            description = f.description,
            householdId = householdId,
            nodeId = if (householdId == null) nodeId else null,
            location = f.fix,
        )
        val found = core { suggestDuplicates(draft) }.getOr { e -> update { it.copy(error = e) } } ?: return
        update { it.copy(duplicates = found.map { d -> DuplicateRow(d.issue.toRow(s, fmt), s.metresAway(d.distanceM)) }) }
    }

    /** 是这件，不重复上报: the draft is discarded by the core and the existing issue is the result. */
    suspend fun joinExisting(issueId: String): IssueRow? {
        val id = draft.id ?: return null
        val detail = core { joinExistingIssue(id, issueId) }.getOr { e -> update { it.copy(error = e) } } ?: return null
        val row = detail.summary.toRow(s, fmt)
        update { it.copy(joined = row, duplicates = emptyList(), savedText = s.joinedExisting) }
        return row
    }

    suspend fun pickCategory(c: IssueCategory) { setCategory(c); checkDuplicates() }

    fun setCategory(c: IssueCategory) { update { it.copy(category = c) }; persist() }
    fun setUrgency(u: Urgency) { update { it.copy(urgency = u) }; persist() }
    fun setTitle(v: String) { update { it.copy(title = v, error = null) }; persist() }
    fun setDescription(v: String) { update { it.copy(description = v) }; persist() }
    fun setOnSpotNote(v: String) { update { it.copy(onSpotNote = v, error = null) }; persist() }
    fun onFix(fix: GpsFix) { update { it.copy(fix = fix, gps = fix.toView(s, fmt, it.locationProblem)) }; persist() }
    fun onLocationProblem(problem: LocationProblem?) =
        update { it.copy(locationProblem = problem, gps = it.fix.toView(s, fmt, problem)) }

    private fun persist() = state.value.let { f -> draft.save(reportFields(f.category, f.urgency, f.title, f.description, f.fix, f.onSpotNote)) }

    private suspend fun attempt(block: suspend () -> Unit): Boolean = try {
        block()
        true
    } catch (e: kotlin.coroutines.cancellation.CancellationException) {
        throw e
    } catch (e: Exception) {
        update { it.copy(error = e.toUiError(s)) }
        false
    }

    suspend fun addPhoto(path: String): Boolean {
        update { it.copy(addingPhoto = true, error = null) }
        persist()
        val ok = attempt {
            val d = draft.addPhoto(path, state.value.fix)
            update { it.copy(photos = d.photos.map { p -> p.toThumb() }) }
        }
        update { it.copy(addingPhoto = false) }
        return ok
    }

    /** 上报: the issue goes to the township's triage queue. */
    suspend fun submit(): IssueRow? {
        if (!state.value.canSubmit) return null
        persist()
        return send(s.reportSaved) { (draft.submit() as SubmittedRecord.Issue).issue }
    }

    /**
     * 就地解决: the draft is reported and resolved in ONE core transaction (photos and note required by the
     * core), then verified by the township; a retry after a kill can never make a second issue.
     */
    suspend fun submitResolvedOnSpot(): IssueRow? {
        if (!state.value.canResolveOnSpot) return null
        persist()
        return send(s.onSpotSaved) { draft.submitResolvedOnSpot() }
    }

    /** Leaving the form: kept for "继续填写" unless nothing was entered (the core decides). */
    override fun close() {
        super.close()
        draft.leaveLater()
    }

    private suspend fun send(savedText: String, call: suspend () -> cn.linkage.core.IssueSummary): IssueRow? {
        update { it.copy(submitting = true, error = null) }
        var row: IssueRow? = null
        attempt { row = call().toRow(s, fmt) }
        update { it.copy(submitting = false, reported = row, savedText = if (row != null) savedText else null) }
        return row
    }
}

/** An open issue that may be the one being reported, with how far it is. */
data class DuplicateRow(val issue: IssueRow, val distanceText: String)

// ---- Liaison head: my group ----------------------------------------------------------------------------

data class LiaisonHomeState(
    val loading: Boolean = false,
    val households: List<HouseholdRow> = emptyList(),
    val directives: List<DirectiveRow> = emptyList(),
    val myIssues: List<IssueRow> = emptyList(),
    val error: UiError? = null,
)

/** The liaison head's home: the group's households, directives to relay, the issues I submitted. */
class LiaisonHomePresenter(ctx: ShellContext) : Presenter<LiaisonHomeState>(LiaisonHomeState(), ctx) {
    init {
        refreshOn(ChangeTopic.HOUSEHOLDS, ChangeTopic.DIRECTIVES, ChangeTopic.ISSUES, ChangeTopic.SESSION) { load() }
    }

    suspend fun load() {
        update { it.copy(loading = true, error = null) }
        val households = core { listHouseholds(HouseholdQuery(limit = 200u)) }.getOr { e -> update { it.copy(error = e) } }
        val directives = core { directiveInbox(0u, 50u) }.getOr { e -> update { it.copy(error = e) } }
        val mine = core { listIssues(IssueListKind.REPORTED_BY_ME, emptyList(), 0u, 50u) }.getOr { e -> update { it.copy(error = e) } }
        update {
            it.copy(
                loading = false,
                households = households?.items?.map { h -> h.toRow() } ?: it.households,
                directives = directives?.items?.map { d -> d.toRow(s, fmt) } ?: it.directives,
                myIssues = mine?.items?.map { i -> i.toRow(s, fmt) } ?: it.myIssues,
            )
        }
    }
}
