package cn.linkage.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.foundation.selection.selectable
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import cn.linkage.core.ActionForm
import cn.linkage.core.IssueActionKind
import cn.linkage.core.IssueFilter
import cn.linkage.core.TextNeed
import cn.linkage.shell.ActionButton
import cn.linkage.shell.IssueListState
import cn.linkage.shell.IssuePageState
import cn.linkage.shell.MergeOption
import cn.linkage.shell.mergeSearchLabel
import cn.linkage.shell.overviewTitle
import cn.linkage.shell.dashboardTitle
import cn.linkage.shell.noMergeCandidates
import cn.linkage.shell.Option
import cn.linkage.shell.Strings

/** Township (and county) triage queue: state filter, deadline order, lights. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun TriageScreen(
    st: IssueListState,
    s: Strings,
    onFilter: (IssueFilter) -> Unit,
    onRetry: () -> Unit,
    onMore: () -> Unit,
    onOpenIssue: (String) -> Unit,
    /** The overview of every open issue (督办, 延期审批 from there) and the dashboard: one tap from home. */
    onOverview: (() -> Unit)? = null,
    onDashboard: (() -> Unit)? = null,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        if (onOverview != null || onDashboard != null) item {
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                onOverview?.let { Button(modifier = Modifier.touchTarget(), onClick = it) { Text(s.overviewTitle) } }
                onDashboard?.let { Button(modifier = Modifier.touchTarget(), onClick = it) { Text(s.dashboardTitle) } }
            }
        }
        item {
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                st.filters.forEach { f ->
                    FilterChip(modifier = Modifier.touchTarget(), selected = st.filter == f.filter, onClick = { onFilter(f.filter) }, label = { Text(f.label) })
                }
            }
        }
        st.calendarWarning?.let { w ->
            item { Text(w, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp)) }
        }
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { row -> IssueRowItem(row) { onOpenIssue(row.id) } }
        if (st.nextOffset != null) item {
            TextButton(onClick = onMore, modifier = Modifier.touchTarget().padding(16.dp)) { Text(s.more) }
        }
    }
}

/** Issue page: header with light and deadline, description, only the allowed actions, timeline. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun IssueScreen(
    st: IssuePageState,
    s: Strings,
    onRetry: () -> Unit,
    onOpenHousehold: (String) -> Unit,
    onOpenPhoto: (hash: String) -> Unit,
    onClosePhoto: () -> Unit,
    /** An action without a dialog (`immediate`), or a dialog's submit with what it collected. */
    onAction: (IssueActionKind, ActionForm) -> Unit,
    /** 办结 / 回访: the core's `ActionSpec.draft` says the action is a draft form (kept as the user types). */
    onOpenDraft: (IssueActionKind) -> Unit,
    /** The 合并 picker's search box (blank: the core's suggestions). */
    onMergeSearch: (String) -> Unit = {},
) {
    var dialog by remember { mutableStateOf<ActionButton?>(null) }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        st.header?.let { h ->
            item {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        LightDot(h.light)
                        Spacer(Modifier.width(8.dp))
                        Text(h.title, style = MaterialTheme.typography.titleLarge)
                    }
                    Text("${h.subtitle} · ${h.stateLabel}")
                    LightText(h.light, h.lightLabel, h.dueText)
                    h.counters?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                    Badges(h.badges)
                    if (h.description.isNotBlank()) Text(h.description)
                    h.householdId?.let { id -> TextButton(modifier = Modifier.touchTarget(), onClick = { onOpenHousehold(id) }) { Text(s.openHousehold) } }
                }
            }
        }
        if (st.reportPhotos.isNotEmpty() || st.resolutionPhotos.isNotEmpty()) {
            item { SectionTitle(s.photos) }
            item { RecordPhotos(st.reportPhotos + st.resolutionPhotos, onOpenPhoto) }
        }
        item { SectionTitle(s.actions) }
        st.noActionsText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp)) } }
        item {
            // Tagged for the host harness, which checks these buttons against the core's allowed actions.
            FlowRow(Modifier.padding(horizontal = 16.dp).testTag("actions"), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                st.actions.forEach { a ->
                    Button(modifier = Modifier.touchTarget(), onClick = {
                        when {
                            a.draft != null -> onOpenDraft(a.kind)
                            a.immediate -> onAction(a.kind, ActionForm())
                            else -> dialog = a
                        }
                    }, enabled = st.performing == null) { Text(a.label) }
                }
            }
        }
        item { SectionTitle(s.timeline) }
        items(st.timeline) { t ->
            Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp)) {
                Text("${t.whenText} · ${t.label} · ${t.actor}", style = MaterialTheme.typography.labelMedium)
                if (t.detail.isNotBlank()) Text(t.detail, style = MaterialTheme.typography.bodySmall)
                // The step's own photos (a 补充反映's, a resolution's), from the page's loaded thumbnails.
                if (t.photoHashes.isNotEmpty()) RecordPhotos((st.reportPhotos + st.resolutionPhotos).filter { it.hash in t.photoHashes }, onOpenPhoto)
                if (t.pendingSync) Text(s.pendingSync, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.outline)
            }
        }
    }
    OpenedPhoto(st.openedPhotoPath, onClosePhoto)
    dialog?.let { a ->
        ActionDialog(a, s, st.assigneeOptions, st.mergeOptions, st.mergeSearch, onMergeSearch, onDismiss = { dialog = null }) { form ->
            dialog = null
            onAction(a.kind, form)
        }
    }
}

/**
 * Asks for what the core's `ActionSpec` says the action needs (choice, working days, person, other issue,
 * text), with the core's labels, and hands the filled `ActionForm` back; the core builds the command and
 * names anything missing in its error.
 */
@Composable
fun ActionDialog(
    a: ActionButton,
    s: Strings,
    assigneeOptions: List<Option<String>>,
    mergeOptions: List<MergeOption>,
    mergeSearch: String,
    onMergeSearch: (String) -> Unit,
    onDismiss: () -> Unit,
    onConfirm: (ActionForm) -> Unit,
) {
    var text by remember { mutableStateOf("") }
    var choice by remember { mutableStateOf<String?>(null) }
    var days by remember { mutableStateOf("") }
    var person by remember { mutableStateOf<String?>(null) }
    var otherIssue by remember { mutableStateOf<String?>(null) }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(a.label) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                if (a.choices.isNotEmpty()) {
                    Text(a.choiceLabel)
                    ChoiceChips(a.choices.map { Option(it.id, it.label) }, choice) { choice = it }
                }
                if (a.minDays != null) OutlinedTextField(
                    days, { v -> days = v.filter { it.isDigit() }.take(3) },
                    label = { Text(a.daysLabel) }, singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                    modifier = Modifier.touchTarget().fillMaxWidth(),
                )
                // The core's candidates only (people at the issue's node or above, in the owning level).
                if (a.needsPerson) {
                    Text(a.personLabel)
                    ChoiceChips(assigneeOptions, person) { person = it }
                }
                // The core's suggestions for this issue, or its search by title: picked, never typed.
                if (a.needsOtherIssue) {
                    Text(a.otherIssueLabel)
                    OutlinedTextField(mergeSearch, onMergeSearch, label = { Text(s.mergeSearchLabel) }, singleLine = true, modifier = Modifier.touchTarget().fillMaxWidth())
                    if (mergeOptions.isEmpty()) Text(s.noMergeCandidates, style = MaterialTheme.typography.bodyMedium)
                    mergeOptions.forEach { o ->
                        Row(
                            Modifier.fillMaxWidth().touchTarget().selectable(selected = otherIssue == o.issueId, onClick = { otherIssue = o.issueId }),
                            verticalAlignment = Alignment.CenterVertically,
                        ) {
                            RadioButton(selected = otherIssue == o.issueId, onClick = null)
                            Spacer(Modifier.width(8.dp))
                            Column(Modifier.weight(1f)) {
                                Text(o.title, style = MaterialTheme.typography.bodyLarge)
                                if (o.detail.isNotEmpty()) Text(o.detail, style = MaterialTheme.typography.bodySmall)
                            }
                        }
                    }
                }
                if (a.text != TextNeed.NONE) OutlinedTextField(text, { text = it }, label = { Text(a.textLabel) }, modifier = Modifier.touchTarget().fillMaxWidth())
            }
        },
        confirmButton = {
            TextButton(modifier = Modifier.touchTarget(), onClick = {
                onConfirm(
                    ActionForm(
                        text = text,
                        workingDays = days.toUIntOrNull(),
                        choice = choice,
                        personId = person,
                        otherIssueId = otherIssue,
                    ),
                )
            }) { Text(a.label) }
        },
        dismissButton = { TextButton(modifier = Modifier.touchTarget(), onClick = onDismiss) { Text(s.cancel) } },
    )
}
