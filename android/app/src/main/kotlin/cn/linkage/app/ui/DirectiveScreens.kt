package cn.linkage.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.MainViewModel
import cn.linkage.app.Route
import cn.linkage.app.rememberCamera
import cn.linkage.shell.DirectiveDetailPresenter
import cn.linkage.shell.DirectiveInboxPresenter
import cn.linkage.shell.Strings

/** Directives reaching my node: acknowledge (签收), then relay (转发). */
@Composable
fun InboxScreen(vm: MainViewModel, s: Strings) {
    val p = vm.presenter(Route.Inbox) { DirectiveInboxPresenter(it) }
    val st by p.state.collectAsStateWithLifecycle()
    LaunchedEffect(p) { p.load() }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = { vm.launch { p.load() } }) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { d ->
            DirectiveRowItem(
                d, s, busy = st.busyId == d.id,
                onAcknowledge = { vm.launch { p.acknowledge(d.id); vm.changed() } },
                onRelay = { vm.launch { p.relay(d.id); vm.changed() } },
            ) { vm.open(Route.Directive(d.id)) }
        }
    }
}

/** One directive: household acknowledgements (liaison head) or coverage and silent nodes (issuing staff). */
@Composable
fun DirectiveScreen(vm: MainViewModel, s: Strings, directiveId: String) {
    val p = vm.presenter(Route.Directive(directiveId)) { DirectiveDetailPresenter(it, directiveId) }
    val inbox = vm.presenter(Route.Inbox) { DirectiveInboxPresenter(it) }
    val st by p.state.collectAsStateWithLifecycle()
    val inboxState by inbox.state.collectAsStateWithLifecycle()
    val camera = rememberCamera(vm) { file -> vm.launch { p.addCompletionPhoto(file.path); file.delete() } }
    LaunchedEffect(p) { p.load() }
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = { vm.launch { p.load() } }) }
        item { ErrorBanner(inboxState.error, s) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        st.directive?.let { d ->
            item {
                DirectiveRowItem(
                    d, s,
                    onAcknowledge = { vm.launch { inbox.acknowledge(d.id); p.load(); vm.changed() } },
                    onRelay = { vm.launch { inbox.relay(d.id); p.load(); vm.changed() } },
                ) {}
            }
        }
        if (st.directive?.showReportCompletion == true) {
            item { SectionTitle(s.reportCompletion) }
            item {
                Column(Modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedTextField(st.completionNote, p::setCompletionNote, label = { Text(s.completionNoteField) }, minLines = 2,
                        modifier = Modifier.fillMaxWidth())
                    Photos(st.completionPhotos)
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedButton(onClick = camera, enabled = !st.addingPhoto) { Text(s.takePhoto) }
                        Button(onClick = { vm.launch { if (p.reportCompletion()) vm.changed() } }, enabled = st.canReportCompletion) {
                            Text(s.reportCompletion)
                        }
                    }
                }
            }
        }
        st.coverage?.let { c ->
            item { SectionTitle(s.coverage) }
            items(c.levels) { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) }
            c.tasksCompletedText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
            if (c.silent.isNotEmpty()) {
                item { SectionTitle(c.silentTotalText ?: s.silentNodes) }
                items(c.silent) { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) }
                if (c.silentNextOffset != null) item {
                    TextButton(onClick = { vm.launch { p.loadMoreSilent() } }, modifier = Modifier.padding(horizontal = 16.dp)) { Text(s.more) }
                }
            }
        }
        if (st.households.isNotEmpty()) item { SectionTitle(s.recordAck) }
        st.householdsText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
        items(st.households, key = { it.household.id }) { row ->
            Row(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp), verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f)) {
                    Text(row.household.headName)
                    Text(row.household.subtitle, style = MaterialTheme.typography.bodySmall)
                }
                val recorded = row.recorded
                if (recorded != null) {
                    Text(recorded, style = MaterialTheme.typography.labelMedium)
                } else {
                    Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                        st.meansOptions.forEach { m ->
                            OutlinedButton(
                                onClick = { vm.launch { p.recordAck(row.household.id, m.value); vm.changed() } },
                                enabled = st.busyHouseholdId == null,
                            ) { Text(m.label) }
                        }
                    }
                }
            }
        }
        if (st.householdsNextOffset != null) item {
            TextButton(onClick = { vm.launch { p.loadMoreHouseholds() } }, modifier = Modifier.padding(horizontal = 16.dp)) { Text(s.more) }
        }
    }
}
