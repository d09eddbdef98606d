package cn.linkage.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import cn.linkage.core.Light
import cn.linkage.shell.DirectiveRow
import cn.linkage.shell.ErrorAction
import cn.linkage.shell.HouseholdRow
import cn.linkage.shell.IssueRow
import cn.linkage.shell.Option
import cn.linkage.shell.OverdueRow
import cn.linkage.shell.Strings
import cn.linkage.shell.UiError

@Composable
fun LightDot(light: Light) {
    Spacer(Modifier.size(14.dp).clip(CircleShape).background(light.color()))
}

/**
 * The light in words beside its deadline ("限 12-05 09:30 前 · 临期"), in the light's text colour (4.5:1):
 * never told by the dot's colour alone.
 */
@Composable
fun LightText(light: Light, label: String, dueText: String?) {
    if (light == Light.NONE && dueText == null) return
    val text = listOfNotNull(dueText, label.ifEmpty { null }).joinToString(" · ")
    Text(text, style = MaterialTheme.typography.bodySmall, color = light.textColor())
}

/** At least [LocalTouchTarget] (48 dp, 60 dp in 大字模式) each way: for every button, chip and field. */
@Composable
fun Modifier.touchTarget(): Modifier {
    val min = LocalTouchTarget.current
    return heightIn(min = min).widthIn(min = min)
}

@Composable
fun SectionTitle(text: String) {
    Text(text, style = MaterialTheme.typography.titleSmall, color = MaterialTheme.colorScheme.primary,
        modifier = Modifier.padding(start = 16.dp, end = 16.dp, top = 16.dp, bottom = 4.dp))
}

@Composable
fun EmptyLine(s: Strings) {
    Text(s.empty, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.outline,
        modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp))
}

/** An error from a presenter, with the button its [UiError.action] calls for. */
@Composable
fun ErrorBanner(error: UiError?, s: Strings, onRetry: (() -> Unit)? = null, onSignIn: (() -> Unit)? = null) {
    if (error == null) return
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
    ) {
        Column(Modifier.padding(12.dp)) {
            Text(error.message, color = MaterialTheme.colorScheme.onErrorContainer, fontWeight = FontWeight.Medium)
            error.nextStep?.let { Text(it, color = MaterialTheme.colorScheme.onErrorContainer) }
            // Technical detail only behind 详情.
            error.detail?.let { detail ->
                var open by remember { mutableStateOf(false) }
                TextButton(modifier = Modifier.touchTarget(), onClick = { open = !open }) { Text(s.details) }
                if (open) Text(detail, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onErrorContainer)
            }
            when (error.action) {
                ErrorAction.RETRY -> onRetry?.let { TextButton(modifier = Modifier.touchTarget(), onClick = it) { Text(s.retry) } }
                ErrorAction.SIGN_IN -> onSignIn?.let { TextButton(modifier = Modifier.touchTarget(), onClick = it) { Text(s.connect) } }
                ErrorAction.RETAKE_PHOTO, ErrorAction.NONE -> Unit
            }
        }
    }
}

@Composable
fun IssueRowItem(row: IssueRow, onClick: () -> Unit) {
    Row(
        Modifier.fillMaxWidth().clickable(onClick = onClick).padding(horizontal = 16.dp, vertical = 10.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        LightDot(row.light)
        Spacer(Modifier.width(12.dp))
        Column(Modifier.weight(1f)) {
            Text(row.title, style = MaterialTheme.typography.bodyLarge,
                fontWeight = if (row.urgent) FontWeight.Bold else FontWeight.Normal)
            Text(row.subtitle, style = MaterialTheme.typography.bodySmall)
            LightText(row.light, row.lightLabel, row.dueText)
            Badges(row.badges)
        }
        Text(row.stateLabel, style = MaterialTheme.typography.labelMedium)
    }
}

/** An issue's badges (黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决), as the presenters worded them. */
@Composable
fun Badges(badges: List<String>) {
    if (badges.isEmpty()) return
    Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
        badges.forEach { b ->
            Text(b, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onErrorContainer,
                modifier = Modifier.background(MaterialTheme.colorScheme.errorContainer).padding(horizontal = 4.dp, vertical = 1.dp))
        }
    }
}

@Composable
fun HouseholdRowItem(row: HouseholdRow, trailing: String? = null, onClick: () -> Unit) {
    Row(
        Modifier.fillMaxWidth().clickable(onClick = onClick).padding(horizontal = 16.dp, vertical = 10.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Column(Modifier.weight(1f)) {
            Text(row.headName, style = MaterialTheme.typography.bodyLarge)
            Text(row.subtitle, style = MaterialTheme.typography.bodySmall)
            val tags = (row.tags + row.riskLabel).joinToString(" · ")
            Text(tags, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.secondary)
        }
        trailing?.let { Text(it, style = MaterialTheme.typography.labelMedium) }
    }
}

@Composable
fun OverdueRowItem(row: OverdueRow, onClick: () -> Unit) {
    HouseholdRowItem(row.household, listOfNotNull(row.distanceText, row.overdueText).joinToString("\n"), onClick)
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DirectiveRowItem(
    row: DirectiveRow,
    s: Strings,
    busy: Boolean = false,
    onAcknowledge: (() -> Unit)? = null,
    onRelay: (() -> Unit)? = null,
    onClick: () -> Unit,
) {
    Column(Modifier.fillMaxWidth().clickable(onClick = onClick).padding(horizontal = 16.dp, vertical = 10.dp)) {
        Text("【${row.kindLabel}】${row.title}", style = MaterialTheme.typography.bodyLarge,
            color = if (row.overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
        Text(row.body, style = MaterialTheme.typography.bodySmall)
        val meta = listOfNotNull(row.issuerText, row.issuedText, row.dueText, row.householdsText,
            if (row.overdue) s.overdue else null, if (row.relayed) s.relayed else if (row.acknowledged) s.acknowledged else null,
            row.completedText)
        Text(meta.joinToString(" · "), style = MaterialTheme.typography.labelSmall)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            if (row.showAcknowledge && onAcknowledge != null) TextButton(modifier = Modifier.touchTarget(), onClick = onAcknowledge, enabled = !busy) { Text(s.acknowledge) }
            if (row.showRelay && onRelay != null) TextButton(modifier = Modifier.touchTarget(), onClick = onRelay, enabled = !busy) { Text(s.relay) }
        }
    }
}

/** A single-choice picker as a wrapping row of chips (wraps onto more lines at large font sizes). */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun <T> ChoiceChips(options: List<Option<T>>, selected: T?, onSelect: (T) -> Unit) {
    FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        options.forEach { o -> FilterChip(modifier = Modifier.touchTarget(), selected = o.value == selected, onClick = { onSelect(o.value) }, label = { Text(o.label) }) }
    }
}

/** Chips in rows of at most [perRow] (the nine issue categories), fewer per row when they do not fit. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun <T> ChoiceGrid(options: List<Option<T>>, selected: T?, perRow: Int = 3, onSelect: (T) -> Unit) {
    FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp), maxItemsInEachRow = perRow) {
        options.forEach { o -> FilterChip(modifier = Modifier.touchTarget(), selected = o.value == selected, onClick = { onSelect(o.value) }, label = { Text(o.label) }) }
    }
}
