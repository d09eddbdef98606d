package cn.linkage.app.ui

import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.LiveLocation
import cn.linkage.app.MainViewModel
import kotlinx.coroutines.delay
import cn.linkage.app.Route
import cn.linkage.app.rememberCamera
import cn.linkage.app.rememberThumbnail
import cn.linkage.shell.HouseholdPresenter
import cn.linkage.shell.LiaisonHomePresenter
import cn.linkage.shell.PhotoThumb
import cn.linkage.shell.PhotoView
import cn.linkage.shell.ReportIssuePresenter
import cn.linkage.shell.Strings
import cn.linkage.shell.TodayPresenter
import cn.linkage.shell.VisitFormPresenter
import cn.linkage.shell.VisitResult

/** Grid worker: overdue households nearest first (live GPS), assigned issues by deadline, directives to sign. */
@Composable
fun TodayScreen(vm: MainViewModel, s: Strings) {
    val p = vm.presenter(Route.Home) { TodayPresenter(it) }
    val st by p.state.collectAsStateWithLifecycle()
    LaunchedEffect(p) { p.load() }
    LiveLocation { fix -> vm.launch { p.onLocation(fix) } }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = { vm.launch { p.load() } }) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.directivesSection) }
        if (st.directives.isEmpty()) item { EmptyLine(s) }
        items(st.directives, key = { "d" + it.id }) { d -> DirectiveRowItem(d, s) { vm.open(Route.Directive(d.id)) } }
        item { SectionTitle(s.assignedSection) }
        if (st.assigned.isEmpty()) item { EmptyLine(s) }
        items(st.assigned, key = { "i" + it.id }) { i -> IssueRowItem(i) { vm.open(Route.Issue(i.id)) } }
        item { SectionTitle(s.overdueSection) }
        item { Text(st.locationText, style = MaterialTheme.typography.labelSmall, modifier = Modifier.padding(horizontal = 16.dp)) }
        if (st.overdue.isEmpty()) item { EmptyLine(s) }
        items(st.overdue, key = { "h" + it.household.id }) { o -> OverdueRowItem(o) { vm.open(Route.Household(o.household.id)) } }
    }
}

/** Liaison head: my group's households, directives to relay, the issues I submitted. */
@Composable
fun LiaisonHomeScreen(vm: MainViewModel, s: Strings) {
    val p = vm.presenter(Route.Home) { LiaisonHomePresenter(it) }
    val st by p.state.collectAsStateWithLifecycle()
    LaunchedEffect(p) { p.load() }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = { vm.launch { p.load() } }) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.directivesTitle) }
        if (st.directives.isEmpty()) item { EmptyLine(s) }
        items(st.directives, key = { "d" + it.id }) { d -> DirectiveRowItem(d, s) { vm.open(Route.Directive(d.id)) } }
        item { SectionTitle(s.myIssuesSection) }
        if (st.myIssues.isEmpty()) item { EmptyLine(s) }
        items(st.myIssues, key = { "i" + it.id }) { i -> IssueRowItem(i) { vm.open(Route.Issue(i.id)) } }
        item { SectionTitle(s.myHouseholds) }
        items(st.households, key = { "h" + it.id }) { h -> HouseholdRowItem(h) { vm.open(Route.Household(h.id)) } }
    }
}

/** Household page: ledger (masked), latest visits with verdicts, the household's issues. */
@Composable
fun HouseholdScreen(vm: MainViewModel, s: Strings, householdId: String) {
    val p = vm.presenter(Route.Household(householdId)) { HouseholdPresenter(it, householdId) }
    val st by p.state.collectAsStateWithLifecycle()
    LaunchedEffect(p) { p.load() }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = { vm.launch { p.load() } }) }
        st.household?.let { h ->
            item {
                Card(Modifier.fillMaxWidth().padding(16.dp)) {
                    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text(h.headName, style = MaterialTheme.typography.titleLarge)
                        Text("${h.membersText} · ${h.riskLabel}")
                        Text("${h.groupName} · ${h.address}")
                        listOfNotNull(h.phoneMasked, h.idNumberMasked).forEach { Text(it, style = MaterialTheme.typography.bodySmall) }
                        if (h.tags.isNotEmpty()) Text(h.tags.joinToString(" · "), color = MaterialTheme.colorScheme.secondary)
                        h.lastOnSiteText?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                    }
                }
            }
            item {
                Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = { vm.open(Route.Visit(h.id)) }) { Text(s.newVisit) }
                    OutlinedButton(onClick = { vm.open(Route.Report(h.id)) }) { Text(s.reportIssue) }
                }
            }
        }
        item { SectionTitle(s.visitsSection) }
        if (st.visits.isEmpty()) item { EmptyLine(s) }
        items(st.visits, key = { "v" + it.id }) { v ->
            Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp)) {
                Text("${v.whenText} · ${v.kindLabel}")
                Text(v.verdictLabel, color = if (v.onSite) Color(0xFF2E7D32) else MaterialTheme.colorScheme.error,
                    style = MaterialTheme.typography.labelMedium)
                if (v.notes.isNotBlank()) Text(v.notes, style = MaterialTheme.typography.bodySmall)
                Text(v.photosText, style = MaterialTheme.typography.labelSmall)
                RecordPhotos(v.photos) { hash -> vm.launch { p.openPhoto(hash) } }
            }
        }
        item { SectionTitle(s.issuesSection) }
        if (st.issues.isEmpty()) item { EmptyLine(s) }
        items(st.issues, key = { "i" + it.id }) { i -> IssueRowItem(i) { vm.open(Route.Issue(i.id)) } }
    }
    OpenedPhoto(st.openedPhotoPath) { p.closePhoto() }
}

/** Visit form: live GPS accuracy, camera, notes; after saving, the core's on-site verdict. */
@Composable
fun VisitScreen(vm: MainViewModel, s: Strings, route: Route.Visit) {
    val p = vm.presenter(route) { VisitFormPresenter(it, route.householdId, issueId = route.issueId) }
    // Starts the core's draft, or resumes the one the user left (also after Android killed the app).
    LaunchedEffect(p) { p.open() }
    val st by p.state.collectAsStateWithLifecycle()
    val result = st.result
    if (result == null) {
        LiveLocation(onFix = { fix -> p.onFix(fix); vm.launch { p.previewVerdict() } }, onProblem = p::onLocationProblem)
        // A fix ages: the core's live verdict is refreshed every few seconds.
        LaunchedEffect(p) { while (true) { p.previewVerdict(); delay(5_000) } }
    }
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(s.visitKind, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceGrid(st.kindOptions, st.kind, perRow = 2, onSelect = p::setKind)
        Text(st.gps.text, modifier = Modifier.padding(horizontal = 16.dp))
        st.gps.mockWarning?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp)) }
        st.gps.problem?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp)) }
        st.verdict?.takeIf { result == null }?.let { v ->
            Column(Modifier.padding(horizontal = 16.dp)) {
                Text(v.label, style = MaterialTheme.typography.titleMedium,
                    color = if (v.onSite) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error)
                Text(v.advice)
                v.fixAgeText?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
        }
        OutlinedTextField(st.notes, p::setNotes, label = { Text(s.notes) }, minLines = 4,
            modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp), enabled = result == null)
        Photos(st.photos)
        ErrorBanner(st.error, s)
        if (result == null) {
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = camera, enabled = !st.addingPhoto) { Text(s.takePhoto) }
                Button(onClick = { vm.launch { if (p.save() != null) vm.changed() } }, enabled = st.canSave) {
                    Text(if (st.saving) s.saving else s.saveVisit)
                }
            }
            if (st.addingPhoto) LinearProgressIndicator(Modifier.fillMaxWidth().padding(horizontal = 16.dp))
        } else {
            VerdictCard(result, s)
        }
    }
}

@Composable
private fun VerdictCard(r: VisitResult, s: Strings) {
    val ok = Color(0xFF2E7D32)
    Card(
        colors = CardDefaults.cardColors(containerColor = if (r.onSite) ok.copy(alpha = 0.12f) else MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp),
    ) {
        Column(Modifier.padding(16.dp)) {
            Text(s.verdictTitle, style = MaterialTheme.typography.labelMedium)
            Text(r.verdictLabel, style = MaterialTheme.typography.headlineSmall, fontWeight = FontWeight.Bold,
                color = if (r.onSite) ok else MaterialTheme.colorScheme.error)
            listOfNotNull(r.distanceText, r.accuracyText).forEach { Text(it) }
            Text(r.savedText, style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** A record's photos (a colleague's fetched by the core): thumbnail, or why it cannot be shown; tap opens it. */
@Composable
internal fun RecordPhotos(photos: List<PhotoView>, onOpen: (String) -> Unit) {
    if (photos.isEmpty()) return
    LazyRow(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        items(photos, key = { it.hash }) { photo ->
            val bitmap = photo.thumbnailPath?.let { rememberThumbnail(it) }
            if (bitmap != null) {
                Image(bitmap.asImageBitmap(), contentDescription = null, modifier = Modifier.size(96.dp).clickable { onOpen(photo.hash) })
            } else {
                photo.unavailableText?.let { Text(it, style = MaterialTheme.typography.bodySmall, modifier = Modifier.size(96.dp)) }
            }
        }
    }
}

/** The photo the user opened, full size, over the page; a tap closes it. */
@Composable
internal fun OpenedPhoto(path: String?, onClose: () -> Unit) {
    val bitmap = path?.let { rememberThumbnail(it) } ?: return
    androidx.compose.ui.window.Dialog(onDismissRequest = onClose) {
        Image(bitmap.asImageBitmap(), contentDescription = null, modifier = Modifier.fillMaxWidth().clickable { onClose() })
    }
}

@Composable
internal fun Photos(photos: List<PhotoThumb>) {
    if (photos.isEmpty()) return
    LazyRow(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        items(photos, key = { it.hash }) { photo ->
            rememberThumbnail(photo.thumbnailPath)?.let {
                Image(it.asImageBitmap(), contentDescription = photo.watermark, modifier = Modifier.size(96.dp))
            }
        }
    }
}

/** Report form: category, urgency, title, description, photos, location; for a grid worker also 就地解决. */
@Composable
fun ReportScreen(vm: MainViewModel, s: Strings, householdId: String?) {
    val p = vm.presenter(Route.Report(householdId)) {
        ReportIssuePresenter(it, householdId)
    }
    LaunchedEffect(p) { p.open() }
    val st by p.state.collectAsStateWithLifecycle()
    if (st.reported == null) LiveLocation(onFix = p::onFix, onProblem = p::onLocationProblem)
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(s.category, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceGrid(st.categoryOptions, st.category, onSelect = p::setCategory)
        Text(s.urgency, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceChips(st.urgencyOptions, st.urgency, onSelect = p::setUrgency)
        OutlinedTextField(st.title, p::setTitle, label = { Text(s.issueTitleField) }, singleLine = true,
            modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp))
        OutlinedTextField(st.description, p::setDescription, label = { Text(s.descriptionField) }, minLines = 4,
            modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp))
        Text(st.gps.text, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
        Photos(st.photos)
        ErrorBanner(st.error, s)
        val reported = st.reported
        if (reported == null) {
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = camera, enabled = !st.addingPhoto) { Text(s.takePhoto) }
                Button(onClick = { vm.launch { if (p.submit() != null) vm.changed() } }, enabled = st.canSubmit) { Text(s.submit) }
            }
            if (st.offerOnSpot) {
                OutlinedTextField(st.onSpotNote, p::setOnSpotNote, label = { Text(s.onSpotNoteField) }, minLines = 2,
                    modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp))
                OutlinedButton(onClick = { vm.launch { if (p.submitResolvedOnSpot() != null) vm.changed() } },
                    enabled = st.canResolveOnSpot, modifier = Modifier.padding(horizontal = 16.dp)) { Text(s.submitResolvedOnSpot) }
            }
        } else {
            st.savedText?.let { Text(it, modifier = Modifier.padding(horizontal = 16.dp)) }
            IssueRowItem(reported) { vm.open(Route.Issue(reported.id)) }
        }
    }
}
