package cn.linkage.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import cn.linkage.core.Light
import cn.linkage.shell.allFigures
import cn.linkage.shell.fewerFigures
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import cn.linkage.core.FigureList
import cn.linkage.core.OverviewFilter
import cn.linkage.shell.DashboardRowView
import cn.linkage.shell.DashboardState
import cn.linkage.shell.DueHouseholdsState
import cn.linkage.shell.FigureView
import cn.linkage.shell.OverviewState
import cn.linkage.shell.SilentNodesState
import cn.linkage.shell.Strings
import cn.linkage.shell.issuesWaiting
import cn.linkage.shell.taskReportsWaiting

/**
 * The overview (县委领导 / 乡镇): every open issue of the area, by node chip and filter chip (the core's words),
 * deadline first, with lights; a row opens the issue page (督办, 延期审批 there).
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun OverviewScreen(
    st: OverviewState,
    s: Strings,
    onFilter: (OverviewFilter) -> Unit,
    onNode: (String?) -> Unit,
    onRetry: () -> Unit,
    onMore: () -> Unit,
    onOpenIssue: (String) -> Unit,
    onOpenDirective: (String) -> Unit = {},
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item {
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                st.nodes.forEach { n ->
                    FilterChip(modifier = Modifier.touchTarget(), selected = st.nodeId == n.value, onClick = { onNode(n.value) }, label = { Text(n.label) })
                }
            }
        }
        item {
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                st.filters.forEach { f ->
                    FilterChip(modifier = Modifier.touchTarget(), selected = st.filter == f.filter, onClick = { onFilter(f.filter) }, label = { Text(f.label) })
                }
            }
        }
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        // 待我审批: the task reports waiting for my review, then the issues.
        if (st.taskReports.isNotEmpty()) item { SectionTitle(s.taskReportsWaiting) }
        items(st.taskReports, key = { "report/${it.directiveId}/${it.nodeId}" }) { r ->
            Card(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp).touchTarget().clickable { onOpenDirective(r.directiveId) }) {
                Column(Modifier.padding(12.dp)) {
                    Text(r.title, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
                    Text(r.detail, style = MaterialTheme.typography.bodyMedium)
                }
            }
        }
        if (st.taskReports.isNotEmpty() && st.rows.isNotEmpty()) item { SectionTitle(s.issuesWaiting) }
        if (!st.loading && st.rows.isEmpty() && st.taskReports.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { row -> IssueRowItem(row) { onOpenIssue(row.id) } }
        if (st.nextOffset != null) item {
            TextButton(onClick = onMore, modifier = Modifier.touchTarget().padding(16.dp)) { Text(s.more) }
        }
    }
}

/**
 * The staff dashboard (工作台): the user's node, then each child, as cards of figures; each figure shows its
 * value and its light in words (never by colour alone); a figure with a list behind it is a button.
 */
@Composable
fun DashboardScreen(
    st: DashboardState,
    s: Strings,
    onRetry: () -> Unit,
    onOpenList: (FigureList) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (st.periodText.isNotEmpty()) item {
            Text("${st.periodText} · ${st.visitNote}", style = MaterialTheme.typography.bodyMedium, modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp))
        }
        st.own?.let { own -> item { DashboardCard(own, s, compact = false, onOpenList) } }
        // The children show what needs attention (red and yellow figures) until opened.
        items(st.children, key = { it.nodeId }) { c -> DashboardCard(c, s, compact = true, onOpenList) }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun DashboardCard(row: DashboardRowView, s: Strings, compact: Boolean, onOpenList: (FigureList) -> Unit) {
    var all by remember(row.nodeId) { mutableStateOf(!compact) }
    val attention = row.figures.filter { it.light == Light.RED || it.light == Light.YELLOW }
    val shown = if (all) row.figures else attention
    Card(Modifier.fillMaxWidth().padding(horizontal = 12.dp, vertical = 6.dp).testTag("node-${row.nodeId}")) {
        Row(Modifier.padding(start = 12.dp, top = 12.dp, end = 12.dp), verticalAlignment = Alignment.CenterVertically) {
            LightDot(row.worst)
            Spacer(Modifier.width(8.dp))
            Text(row.title, style = MaterialTheme.typography.titleMedium)
        }
        FlowRow(Modifier.fillMaxWidth().padding(8.dp), horizontalArrangement = Arrangement.spacedBy(4.dp)) {
            shown.forEach { f -> FigureCell(f, onOpenList) }
        }
        if (compact && attention.size < row.figures.size) {
            TextButton(onClick = { all = !all }, modifier = Modifier.touchTarget().padding(horizontal = 8.dp)) {
                Text(if (all) s.fewerFigures else s.allFigures)
            }
        }
    }
}

@Composable
private fun FigureCell(f: FigureView, onOpenList: (FigureList) -> Unit) {
    val list = f.list
    val m = if (list != null) Modifier.touchTarget().clickable { onOpenList(list) } else Modifier
    Column(m.padding(horizontal = 8.dp, vertical = 6.dp)) {
        Text(f.label, style = MaterialTheme.typography.bodySmall)
        Row(verticalAlignment = Alignment.CenterVertically) {
            LightDot(f.light)
            Spacer(Modifier.width(4.dp))
            Text(f.value, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
        }
        if (f.lightLabel.isNotEmpty()) Text(f.lightLabel, style = MaterialTheme.typography.labelMedium, color = f.light.textColor())
    }
}

/** The households due a visit behind a coverage figure, most overdue first. */
@Composable
fun DueHouseholdsScreen(st: DueHouseholdsState, s: Strings, onRetry: () -> Unit, onMore: () -> Unit, onOpenHousehold: (String) -> Unit) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.household.id }) { r -> OverdueRowItem(r) { onOpenHousehold(r.household.id) } }
        if (st.nextOffset != null) item {
            TextButton(onClick = onMore, modifier = Modifier.touchTarget().padding(16.dp)) { Text(s.more) }
        }
    }
}

/** The child nodes silent on current directives; a row opens the directive (催办 there). */
@Composable
fun SilentNodesScreen(st: SilentNodesState, s: Strings, onRetry: () -> Unit, onOpenDirective: (String) -> Unit) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows) { r ->
            Column(Modifier.fillMaxWidth().clickable { onOpenDirective(r.directiveId) }.touchTarget().padding(horizontal = 16.dp, vertical = 10.dp)) {
                Text(r.title, style = MaterialTheme.typography.bodyLarge)
                Text(r.detail, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.error)
            }
        }
    }
}
