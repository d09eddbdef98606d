package cn.linkage.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.FilterChip
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.linkage.core.IssueFilter
import cn.linkage.shell.BranchHomeState
import cn.linkage.shell.Strings

/** 支部书记 home (ADR 0008): the branch's own queue with the core's filter chips, then the issues assigned to me. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun BranchHomeScreen(
    st: BranchHomeState,
    s: Strings,
    onFilter: (IssueFilter) -> Unit,
    onRetry: () -> Unit,
    onMore: () -> Unit,
    onOpenIssue: (String) -> Unit,
) {
    val q = st.queue
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(q.error, s, onRetry = onRetry) }
        if (q.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.branchQueueSection) }
        item {
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                q.filters.forEach { f ->
                    FilterChip(modifier = Modifier.touchTarget(), selected = q.filter == f.filter, onClick = { onFilter(f.filter) }, label = { Text(f.label) })
                }
            }
        }
        q.calendarWarning?.let { w ->
            item { Text(w, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(16.dp)) }
        }
        if (!q.loading && q.rows.isEmpty()) item { EmptyLine(s) }
        items(q.rows, key = { "q" + it.id }) { row -> IssueRowItem(row) { onOpenIssue(row.id) } }
        if (q.nextOffset != null) item {
            TextButton(onClick = onMore, modifier = Modifier.touchTarget().padding(16.dp)) { Text(s.more) }
        }
        item { SectionTitle(s.assignedSection) }
        if (st.assigned.isEmpty()) item { EmptyLine(s) }
        items(st.assigned, key = { "a" + it.id }) { row -> IssueRowItem(row) { onOpenIssue(row.id) } }
    }
}
