package cn.linkage.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.clickable
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.linkage.core.AckMeans
import cn.linkage.core.DirectiveKind
import cn.linkage.shell.ComposerState
import cn.linkage.shell.DirectiveDetailState
import cn.linkage.shell.DirectiveRow
import cn.linkage.shell.InboxState
import cn.linkage.shell.Strings
import cn.linkage.shell.UiError
import cn.linkage.shell.accept
import cn.linkage.shell.addPhoto
import cn.linkage.shell.bodyField
import cn.linkage.shell.cancel
import cn.linkage.shell.composeDirective
import cn.linkage.shell.confirmSendBack
import cn.linkage.shell.dueField
import cn.linkage.shell.kindField
import cn.linkage.shell.readAloud
import cn.linkage.shell.remindOne
import cn.linkage.shell.remindSilent
import cn.linkage.shell.sendBack
import cn.linkage.shell.sendBackReason
import cn.linkage.shell.sendDirective
import cn.linkage.shell.silentChildren
import cn.linkage.shell.taskReports
import cn.linkage.shell.titleField

/**
 * A directive as its inbox card and page show it: the kind and title, the full text (never cut to two lines),
 * who sent it and when, a reminder from above, my report's state; 签收 and 转发 as large primary buttons (only the
 * steps the core leaves open), and 朗读, which hands the text to the platform's text-to-speech.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DirectiveCard(
    d: DirectiveRow,
    s: Strings,
    busy: Boolean,
    onAcknowledge: () -> Unit,
    onRelay: () -> Unit,
    onReadAloud: ((String) -> Unit)?,
    onClick: (() -> Unit)?,
) {
    val open = if (onClick != null) Modifier.clickable(onClick = onClick) else Modifier
    Column(Modifier.fillMaxWidth().then(open).padding(horizontal = 16.dp, vertical = 10.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text("【${d.kindLabel}】${d.title}", style = MaterialTheme.typography.titleMedium,
            color = if (d.overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
        Text(d.body, style = MaterialTheme.typography.bodyLarge)
        val meta = listOfNotNull(d.issuerText, d.issuedText, d.dueText, d.householdsText,
            if (d.overdue) s.overdue else null, if (d.relayed) s.relayed else if (d.acknowledged) s.acknowledged else null,
            d.completedText, d.reportStatusText, d.reportsWaitingText)
        Text(meta.joinToString(" · "), style = MaterialTheme.typography.bodyMedium)
        d.remindedText?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyLarge) }
        d.returnedText?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyLarge) }
        if (d.showAcknowledge) {
            Button(onClick = onAcknowledge, enabled = !busy, modifier = Modifier.touchTarget().fillMaxWidth()) {
                Text(s.acknowledge, style = MaterialTheme.typography.titleMedium)
            }
        }
        if (d.showRelay) {
            Button(onClick = onRelay, enabled = !busy, modifier = Modifier.touchTarget().fillMaxWidth()) {
                Text(s.relay, style = MaterialTheme.typography.titleMedium)
            }
        }
        if (onReadAloud != null) {
            OutlinedButton(onClick = { onReadAloud(d.readAloudText) }, modifier = Modifier.touchTarget()) { Text(s.readAloud) }
        }
    }
}

/**
 * Directives reaching my node, each with its full text, 签收 / 转发 and 朗读; 下达指令 for those who may issue;
 * the units below me silent past their window with 催办.
 */
@Composable
fun InboxScreen(
    st: InboxState,
    s: Strings,
    onRetry: () -> Unit,
    onAcknowledge: (String) -> Unit,
    onRelay: (String) -> Unit,
    onOpenDirective: (String) -> Unit,
    onCompose: () -> Unit,
    onReadAloud: (String) -> Unit,
    onRemind: (directiveId: String, nodeId: String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (st.canCompose) item {
            Button(onClick = onCompose, modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp).touchTarget().fillMaxWidth()) {
                Text(s.composeDirective, style = MaterialTheme.typography.titleMedium)
            }
        }
        st.notice?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp)) } }
        if (st.silentChildren.isNotEmpty()) {
            item { SectionTitle(s.silentChildren) }
            items(st.silentChildren, key = { "s" + it.directiveId + it.nodeId }) { c ->
                Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp)) {
                    Text(c.nodeText, color = MaterialTheme.colorScheme.error)
                    Text(c.detail, style = MaterialTheme.typography.bodyMedium)
                    OutlinedButton(onClick = { onRemind(c.directiveId, c.nodeId) }, enabled = st.busyId == null, modifier = Modifier.touchTarget()) {
                        Text(s.remindOne)
                    }
                }
            }
            item { SectionTitle(s.directivesTitle) }
        }
        if (!st.loading && st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { d ->
            DirectiveCard(d, s, busy = st.busyId == d.id, onAcknowledge = { onAcknowledge(d.id) }, onRelay = { onRelay(d.id) },
                onReadAloud = onReadAloud) { onOpenDirective(d.id) }
            HorizontalDivider()
        }
    }
}

/**
 * One directive: its full text with 朗读 and photos; for a liaison head or grid worker the households and how each
 * was told (入户/电话/当面), the untold first; for the issuer and the levels above a silent unit the coverage per
 * level with the silent units and 催办; for a task the completion reports with 通过 / 退回.
 */
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
    onReadAloud: (String) -> Unit = {},
    onRemindAll: () -> Unit = {},
    onRemindNode: (String) -> Unit = {},
    onAccept: (String) -> Unit = {},
    onStartSendBack: (String) -> Unit = {},
    onSendBackReason: (String) -> Unit = {},
    onConfirmSendBack: () -> Unit = {},
    onCancelSendBack: () -> Unit = {},
    onOpenPhoto: (String) -> Unit = {},
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        item { ErrorBanner(stepError, s) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        st.directive?.let { d ->
            item { DirectiveCard(d, s, busy = false, onAcknowledge = { onAcknowledge(d.id) }, onRelay = { onRelay(d.id) }, onReadAloud = onReadAloud, onClick = null) }
        }
        if (st.photos.isNotEmpty()) item { RecordPhotos(st.photos, onOpenPhoto) }
        if (st.canReportCompletion) item {
            Button(onClick = onReportCompletion, modifier = Modifier.padding(horizontal = 16.dp).touchTarget().fillMaxWidth()) { Text(s.reportCompletion) }
        }
        st.notice?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp)) } }
        st.coverage?.let { c ->
            item { SectionTitle(s.coverage) }
            items(c.levels) { Text(it, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) }
            c.tasksCompletedText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
            c.allAcknowledgedText?.let { item { Text(it, modifier = Modifier.padding(horizontal = 16.dp, vertical = 2.dp)) } }
            if (c.silent.isNotEmpty()) {
                item { SectionTitle(c.silentTotalText ?: s.silentNodes) }
                if (c.canRemind) item {
                    Button(onClick = onRemindAll, enabled = !st.busy, modifier = Modifier.padding(horizontal = 16.dp).touchTarget().fillMaxWidth()) {
                        Text(s.remindSilent)
                    }
                }
                items(c.silent, key = { "n" + it.nodeId }) { n ->
                    FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 2.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Column {
                            Text(n.text, color = MaterialTheme.colorScheme.error)
                            n.remindedText?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
                        }
                        OutlinedButton(onClick = { onRemindNode(n.nodeId) }, enabled = !st.busy, modifier = Modifier.touchTarget()) { Text(s.remindOne) }
                    }
                }
                if (c.silentNextOffset != null) item {
                    TextButton(onClick = onMoreSilent, modifier = Modifier.padding(horizontal = 16.dp).touchTarget()) { Text(s.more) }
                }
            }
        }
        if (st.reports.isNotEmpty()) item { SectionTitle(s.taskReports) }
        items(st.reports, key = { "r" + it.nodeId }) { r ->
            Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(r.title, style = MaterialTheme.typography.bodyLarge)
                Text(r.note)
                Text(r.statusText + (r.reasonText?.let { "：$it" } ?: ""), style = MaterialTheme.typography.bodyMedium)
                if (r.canReview) {
                    if (st.sendingBackNodeId == r.nodeId) {
                        OutlinedTextField(st.sendBackReason, onSendBackReason, label = { Text(s.sendBackReason) }, minLines = 2,
                            modifier = Modifier.touchTarget().fillMaxWidth())
                        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            Button(onClick = onConfirmSendBack, enabled = !st.busy, modifier = Modifier.touchTarget()) { Text(s.confirmSendBack) }
                            TextButton(onClick = onCancelSendBack, modifier = Modifier.touchTarget()) { Text(s.cancel) }
                        }
                    } else {
                        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            Button(onClick = { onAccept(r.nodeId) }, enabled = !st.busy, modifier = Modifier.touchTarget()) { Text(s.accept) }
                            OutlinedButton(onClick = { onStartSendBack(r.nodeId) }, enabled = !st.busy, modifier = Modifier.touchTarget()) { Text(s.sendBack) }
                        }
                    }
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
                    Text(s.untold, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.labelMedium)
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
            TextButton(onClick = onMoreHouseholds, modifier = Modifier.padding(horizontal = 16.dp).touchTarget()) { Text(s.more) }
        }
    }
}

/**
 * The directive composer: where (the org tree from the core), kind (通知 / 预警 / 任务), title, full text, due time
 * and photos; 下达 sends it (the core checks who may issue where, the texts and the due time).
 */
@Composable
fun ComposerScreen(
    st: ComposerState,
    s: Strings,
    onTarget: (String) -> Unit,
    onMoreTargets: () -> Unit,
    onKind: (DirectiveKind) -> Unit,
    onTitle: (String) -> Unit,
    onBody: (String) -> Unit,
    onDue: (UInt?) -> Unit,
    onTakePhoto: () -> Unit,
    onSend: () -> Unit,
    onOpenDirective: (String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        item { SectionTitle(s.targetField) }
        item { ChoiceChips(st.targetOptions, st.targetId, onTarget) }
        if (st.targetsNextOffset != null) item {
            TextButton(onClick = onMoreTargets, modifier = Modifier.padding(horizontal = 16.dp).touchTarget()) { Text(s.more) }
        }
        item { SectionTitle(s.kindField) }
        item { ChoiceChips(st.kindOptions, st.kind, onKind) }
        item {
            OutlinedTextField(st.title, onTitle, label = { Text(s.titleField) }, singleLine = true, enabled = st.issued == null,
                modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp).touchTarget().fillMaxWidth())
        }
        item {
            OutlinedTextField(st.body, onBody, label = { Text(s.bodyField) }, minLines = 5, enabled = st.issued == null,
                modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp).touchTarget().fillMaxWidth())
        }
        item { SectionTitle(s.dueField) }
        item { ChoiceChips(st.dueOptions, st.dueInHours, onDue) }
        if (st.photos.isNotEmpty()) item { RecordPhotos(st.photos) {} }
        if (st.issued == null) item {
            OutlinedButton(onClick = onTakePhoto, modifier = Modifier.padding(horizontal = 16.dp, vertical = 4.dp).touchTarget()) { Text(s.addPhoto) }
        }
        item { ErrorBanner(st.error, s) }
        val issued = st.issued
        if (issued == null) item {
            Button(onClick = onSend, enabled = st.canSend, modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp).touchTarget().fillMaxWidth()) {
                Text(s.sendDirective, style = MaterialTheme.typography.titleMedium)
            }
        } else item {
            Text(s.directiveSent, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp))
            DirectiveCard(issued, s, busy = false, onAcknowledge = {}, onRelay = {}, onReadAloud = null) { onOpenDirective(issued.id) }
        }
    }
}
