package cn.linkage.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
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
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.linkage.core.AckMeans
import cn.linkage.shell.DirectiveDetailState
import cn.linkage.shell.InboxState
import cn.linkage.shell.Strings
import cn.linkage.shell.UiError

/** Directives reaching my node: acknowledge (签收), then relay (转发). */
@Composable
fun InboxScreen(
    st: InboxState,
    s: Strings,
    onRetry: () -> Unit,
    onAcknowledge: (String) -> Unit,
    onRelay: (String) -> Unit,
    onOpenDirective: (String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { d ->
            DirectiveRowItem(
                d, s, busy = st.busyId == d.id,
                onAcknowledge = { onAcknowledge(d.id) },
                onRelay = { onRelay(d.id) },
            ) { onOpenDirective(d.id) }
        }
    }
}

/** One directive: household acknowledgements (liaison head) or coverage and silent nodes (issuing staff). */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DirectiveScreen(
    st: DirectiveDetailState,
    s: Strings,
    /** An error of the acknowledge / relay step (the inbox presenter does those). */
    stepError: UiError?,
    onRetry: () -> Unit,
    onAcknowledge: (String) -> Unit,
    onRelay: (String) -> Unit,
    /** 上报完成情况: opens the completion report, a draft form the core keeps as the user types. */
    onReportCompletion: () -> Unit,
    onMoreSilent: () -> Unit,
    onRecordAck: (householdId: String, AckMeans) -> Unit,
    onMoreHouseholds: () -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        item { ErrorBanner(stepError, s) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        st.directive?.let { d ->
            item {
                DirectiveRowItem(
                    d, s,
                    onAcknowledge = { onAcknowledge(d.id) },
                    onRelay = { onRelay(d.id) },
                ) {}
            }
        }
        if (st.canReportCompletion) item {
            Button(onClick = onReportCompletion, modifier = Modifier.touchTarget().padding(horizontal = 16.dp)) { Text(s.reportCompletion) }
        }
        st.coverage?.let { c ->
            item { SectionTitle(s.coverage) }
            items(c.levels) { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) }
            c.tasksCompletedText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
            if (c.silent.isNotEmpty()) {
                item { SectionTitle(c.silentTotalText ?: s.silentNodes) }
                items(c.silent) { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) }
                if (c.silentNextOffset != null) item {
                    TextButton(onClick = onMoreSilent, modifier = Modifier.touchTarget().padding(horizontal = 16.dp)) { Text(s.more) }
                }
            }
        }
        if (st.households.isNotEmpty()) item { SectionTitle(s.recordAck) }
        st.householdsText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
        items(st.households, key = { it.household.id }) { row ->
            // Name above, the ways of telling below (beside the name they squeezed it to nothing at large font sizes).
            Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp)) {
                Text(row.household.headName)
                Text(row.household.subtitle, style = MaterialTheme.typography.bodySmall)
                val recorded = row.recorded
                if (recorded != null) {
                    Text(recorded, style = MaterialTheme.typography.labelMedium)
                } else {
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        st.meansOptions.forEach { m ->
                            OutlinedButton(
                                modifier = Modifier.touchTarget(),
                                onClick = { onRecordAck(row.household.id, m.value) },
                                enabled = st.busyHouseholdId == null,
                            ) { Text(m.label) }
                        }
                    }
                }
            }
        }
        if (st.householdsNextOffset != null) item {
            TextButton(onClick = onMoreHouseholds, modifier = Modifier.touchTarget().padding(horizontal = 16.dp)) { Text(s.more) }
        }
    }
}
