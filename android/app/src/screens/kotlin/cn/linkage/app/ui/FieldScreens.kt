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
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import cn.linkage.core.IssueCategory
import cn.linkage.core.Urgency
import cn.linkage.core.VisitKind
import cn.linkage.shell.HouseholdPageState
import cn.linkage.shell.LiaisonHomeState
import cn.linkage.shell.PhotoThumb
import cn.linkage.shell.PhotoView
import cn.linkage.shell.ReportFormState
import cn.linkage.shell.Strings
import cn.linkage.shell.TodayState
import cn.linkage.shell.VisitFormState
import cn.linkage.shell.VisitResult
import cn.linkage.shell.correctHousehold
import cn.linkage.shell.dashboardTitle
import cn.linkage.shell.duplicatesTitle
import cn.linkage.shell.placeDescription
import cn.linkage.shell.reportPlaceTitle
import cn.linkage.shell.sameIssue

/** Grid worker: overdue households nearest first (live GPS), assigned issues by deadline, directives to sign. */
@Composable
fun TodayScreen(
    st: TodayState,
    s: Strings,
    onRetry: () -> Unit,
    onOpenDirective: (String) -> Unit,
    onOpenIssue: (String) -> Unit,
    onOpenHousehold: (String) -> Unit,
    /** The branch's 工作台 (coverage, households due, lit measures): one tap from home. */
    onDashboard: (() -> Unit)? = null,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        onDashboard?.let { open -> item { Button(modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp).touchTarget(), onClick = open) { Text(s.dashboardTitle) } } }
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.directivesSection) }
        if (st.directives.isEmpty()) item { EmptyLine(s) }
        items(st.directives, key = { "d" + it.id }) { d -> DirectiveRowItem(d, s) { onOpenDirective(d.id) } }
        item { SectionTitle(s.assignedSection) }
        if (st.assigned.isEmpty()) item { EmptyLine(s) }
        items(st.assigned, key = { "i" + it.id }) { i -> IssueRowItem(i) { onOpenIssue(i.id) } }
        item { SectionTitle(s.overdueSection) }
        item { Text(st.locationText, style = MaterialTheme.typography.labelSmall, modifier = Modifier.padding(horizontal = 16.dp)) }
        if (st.overdue.isEmpty()) item { EmptyLine(s) }
        items(st.overdue, key = { "h" + it.household.id }) { o -> OverdueRowItem(o) { onOpenHousehold(o.household.id) } }
    }
}

/** Liaison head: my group's households, directives to relay, the issues I submitted. */
@Composable
fun LiaisonHomeScreen(
    st: LiaisonHomeState,
    s: Strings,
    onRetry: () -> Unit,
    onOpenDirective: (String) -> Unit,
    onOpenIssue: (String) -> Unit,
    onOpenHousehold: (String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.directivesTitle) }
        if (st.directives.isEmpty()) item { EmptyLine(s) }
        items(st.directives, key = { "d" + it.id }) { d -> DirectiveRowItem(d, s) { onOpenDirective(d.id) } }
        item { SectionTitle(s.myIssuesSection) }
        if (st.myIssues.isEmpty()) item { EmptyLine(s) }
        items(st.myIssues, key = { "i" + it.id }) { i -> IssueRowItem(i) { onOpenIssue(i.id) } }
        item { SectionTitle(s.myHouseholds) }
        items(st.households, key = { "h" + it.id }) { h -> HouseholdRowItem(h) { onOpenHousehold(h.id) } }
    }
}

/** Household page: ledger (masked), latest visits with verdicts, the household's issues. */
@Composable
fun HouseholdScreen(
    st: HouseholdPageState,
    s: Strings,
    onRetry: () -> Unit,
    onNewVisit: (householdId: String) -> Unit,
    onReportIssue: (householdId: String) -> Unit,
    onOpenIssue: (String) -> Unit,
    onOpenPhoto: (hash: String) -> Unit,
    onClosePhoto: () -> Unit,
    onCorrect: ((householdId: String) -> Unit)? = null,
    onMoreVisits: () -> Unit = {},
    onMoreIssues: () -> Unit = {},
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
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
                    Button(modifier = Modifier.touchTarget(), onClick = { onNewVisit(h.id) }) { Text(s.newVisit) }
                    OutlinedButton(modifier = Modifier.touchTarget(), onClick = { onReportIssue(h.id) }) { Text(s.reportIssue) }
                }
            }
            onCorrect?.let { correct ->
                item {
                    OutlinedButton(modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp).touchTarget(),
                        onClick = { correct(h.id) }) { Text(s.correctHousehold) }
                }
            }
        }
        item { SectionTitle(st.visitsTitle.ifEmpty { s.visitsSection }) }
        if (st.visits.isEmpty()) item { EmptyLine(s) }
        items(st.visits, key = { "v" + it.id }) { v ->
            Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp)) {
                Text("${v.whenText} · ${v.kindLabel}")
                Text(v.verdictLabel, color = if (v.onSite) LinkageColors.ok else MaterialTheme.colorScheme.error,
                    style = MaterialTheme.typography.labelMedium)
                if (v.notes.isNotBlank()) Text(v.notes, style = MaterialTheme.typography.bodySmall)
                Text(v.photosText, style = MaterialTheme.typography.labelSmall)
                RecordPhotos(v.photos, onOpenPhoto)
            }
        }
        if (st.visitsNext != null) item {
            OutlinedButton(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onMoreVisits) { Text(s.more) }
        }
        item { SectionTitle(st.issuesTitle.ifEmpty { s.issuesSection }) }
        if (st.issues.isEmpty()) item { EmptyLine(s) }
        items(st.issues, key = { "i" + it.id }) { i -> IssueRowItem(i) { onOpenIssue(i.id) } }
        if (st.issuesNext != null) item {
            OutlinedButton(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onMoreIssues) { Text(s.more) }
        }
    }
    OpenedPhoto(st.openedPhotoPath, onClosePhoto)
}

/** Visit form: live GPS accuracy, camera, notes; after saving, the core's on-site verdict. */
@Composable
fun VisitScreen(
    st: VisitFormState,
    s: Strings,
    onKind: (VisitKind) -> Unit,
    onNotes: (String) -> Unit,
    onTakePhoto: () -> Unit,
    onSave: () -> Unit,
) {
    val result = st.result
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(s.visitKind, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceGrid(st.kindOptions, st.kind, perRow = 2, onSelect = onKind)
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
        OutlinedTextField(st.notes, onNotes, label = { Text(s.notes) }, minLines = 4,
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp), enabled = result == null)
        Photos(st.photos)
        ErrorBanner(st.error, s)
        if (result == null) {
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(modifier = Modifier.touchTarget(), onClick = onTakePhoto, enabled = !st.addingPhoto) { Text(s.takePhoto) }
                Button(modifier = Modifier.touchTarget(), onClick = onSave, enabled = st.canSave) {
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
    val ok = LinkageColors.ok
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
            val bitmap = photo.thumbnailPath?.let { LocalImages.current.load(it) }
            if (bitmap != null) {
                Image(bitmap, contentDescription = null, modifier = Modifier.size(96.dp).clickable { onOpen(photo.hash) })
            } else {
                photo.unavailableText?.let { Text(it, style = MaterialTheme.typography.bodySmall, modifier = Modifier.size(96.dp)) }
            }
        }
    }
}

/** The photo the user opened, full size, over the page; a tap closes it. */
@Composable
internal fun OpenedPhoto(path: String?, onClose: () -> Unit) {
    val bitmap = path?.let { LocalImages.current.load(it) } ?: return
    androidx.compose.ui.window.Dialog(onDismissRequest = onClose) {
        Image(bitmap, contentDescription = null, modifier = Modifier.fillMaxWidth().clickable { onClose() })
    }
}

@Composable
internal fun Photos(photos: List<PhotoThumb>) {
    if (photos.isEmpty()) return
    LazyRow(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        items(photos, key = { it.hash }) { photo ->
            LocalImages.current.load(photo.thumbnailPath)?.let {
                Image(it, contentDescription = photo.watermark, modifier = Modifier.size(96.dp))
            }
        }
    }
}

/** Report form: category, urgency, title, description, photos, location; for a grid worker also 就地解决. */
@Composable
fun ReportScreen(
    st: ReportFormState,
    s: Strings,
    onCategory: (IssueCategory) -> Unit,
    onUrgency: (Urgency) -> Unit,
    onTitle: (String) -> Unit,
    onDescription: (String) -> Unit,
    onOnSpotNote: (String) -> Unit,
    onTakePhoto: () -> Unit,
    onSubmit: () -> Unit,
    onSubmitResolvedOnSpot: () -> Unit,
    onOpenIssue: (String) -> Unit,
    onJoin: (issueId: String) -> Unit = {},
) {
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (st.aboutPlace) SectionTitle(s.reportPlaceTitle)
        Text(s.category, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceGrid(st.categoryOptions, st.category, onSelect = onCategory)
        Text(s.urgency, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        ChoiceChips(st.urgencyOptions, st.urgency, onSelect = onUrgency)
        OutlinedTextField(st.title, onTitle, label = { Text(s.issueTitleField) }, singleLine = true,
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
        OutlinedTextField(st.description, onDescription,
            label = { Text(if (st.aboutPlace) s.placeDescription else s.descriptionField) }, minLines = 4,
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
        Text(st.gps.text, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
        st.gps.problem?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp)) }
        Photos(st.photos)
        ErrorBanner(st.error, s)
        if (st.duplicates.isNotEmpty() && st.reported == null && st.joined == null) {
            Card(Modifier.fillMaxWidth().padding(horizontal = 16.dp)) {
                Column(Modifier.padding(vertical = 8.dp)) {
                    Text(s.duplicatesTitle, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(horizontal = 16.dp))
                    st.duplicates.forEach { d ->
                        IssueRowItem(d.issue) { onOpenIssue(d.issue.id) }
                        Text(d.distanceText, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.padding(horizontal = 16.dp))
                        Button(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = { onJoin(d.issue.id) }) { Text(s.sameIssue) }
                    }
                }
            }
        }
        val reported = st.reported ?: st.joined
        if (reported == null) {
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(modifier = Modifier.touchTarget(), onClick = onTakePhoto, enabled = !st.addingPhoto) { Text(s.takePhoto) }
                Button(modifier = Modifier.touchTarget(), onClick = onSubmit, enabled = st.canSubmit) { Text(s.submit) }
            }
            if (st.offerOnSpot) {
                OutlinedTextField(st.onSpotNote, onOnSpotNote, label = { Text(s.onSpotNoteField) }, minLines = 2,
                    modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
                OutlinedButton(onClick = onSubmitResolvedOnSpot,
                    enabled = st.canResolveOnSpot, modifier = Modifier.padding(horizontal = 16.dp).touchTarget()) { Text(s.submitResolvedOnSpot) }
            }
        } else {
            st.savedText?.let { Text(it, modifier = Modifier.padding(horizontal = 16.dp)) }
            IssueRowItem(reported) { onOpenIssue(reported.id) }
        }
    }
}
