package cn.linkage.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.linkage.shell.DraftFormState
import cn.linkage.shell.DraftListState
import cn.linkage.shell.DraftRow
import cn.linkage.shell.Strings

/**
 * 办结, 回访 and 任务完成情况 as core drafts: the text label and the choices (满意 / 基本满意 / 不满意) are the
 * core's action spec; every keystroke is stored by the core, so back, a call or a killed app loses nothing.
 */
@Composable
fun DraftFormScreen(
    st: DraftFormState,
    s: Strings,
    onChoice: (String) -> Unit,
    onNotes: (String) -> Unit,
    onTakePhoto: () -> Unit,
    onSubmit: () -> Unit,
) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(st.kindLabel, style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(horizontal = 16.dp))
        st.subject?.let { Text(it, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(horizontal = 16.dp)) }
        if (st.busy) LinearProgressIndicator(Modifier.fillMaxWidth().padding(horizontal = 16.dp))
        if (st.choices.isNotEmpty()) {
            Text(st.choiceLabel, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
            ChoiceChips(st.choices, st.choice, onSelect = onChoice)
        }
        OutlinedTextField(
            st.fields.notes, onNotes, label = { Text(st.textLabel) }, minLines = 4,
            enabled = st.submitted == null,
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp),
        )
        if (st.takesPhotos) Photos(st.photos)
        ErrorBanner(st.error, s)
        if (st.submitted == null) {
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (st.takesPhotos) OutlinedButton(modifier = Modifier.touchTarget(), onClick = onTakePhoto, enabled = !st.busy) { Text(s.takePhoto) }
                Button(modifier = Modifier.touchTarget(), onClick = onSubmit, enabled = st.canSubmit) { Text(st.kindLabel) }
            }
            Text(s.draftKept, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
        }
    }
}

/** "继续填写": every unfinished form, newest first; a tap continues it in its own screen. */
@Composable
fun DraftsScreen(
    st: DraftListState,
    s: Strings,
    onRetry: () -> Unit,
    onOpen: (DraftRow) -> Unit,
    onDiscard: (String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { SectionTitle(s.draftsTitle) }
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.rows.isEmpty()) item { EmptyLine(s) }
        items(st.rows, key = { it.id }) { row ->
            Row(
                Modifier.touchTarget().fillMaxWidth().clickable { onOpen(row) }.padding(horizontal = 16.dp, vertical = 10.dp),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Column(Modifier.weight(1f)) {
                    Text(listOfNotNull(row.kindLabel, row.subject).joinToString(" · "), style = MaterialTheme.typography.titleMedium)
                    if (row.title.isNotBlank()) Text(row.title)
                    Text(listOfNotNull(row.photosText, row.editedText).joinToString(" · "), style = MaterialTheme.typography.bodySmall)
                }
                TextButton(modifier = Modifier.touchTarget(), onClick = { onDiscard(row.id) }) { Text(s.discardDraft) }
            }
        }
    }
}

/** On every role's home: "继续填写（N）" when there are drafts (the presenter's [DraftListState.entryText]). */
@Composable
fun DraftsEntry(text: String?, onOpen: () -> Unit) {
    if (text == null) return
    Surface(color = MaterialTheme.colorScheme.secondaryContainer, modifier = Modifier.touchTarget().fillMaxWidth().clickable(onClick = onOpen)) {
        Text(text, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(horizontal = 16.dp, vertical = 12.dp))
    }
}
