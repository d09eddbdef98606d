package cn.linkage.app.ui

import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
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
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import cn.linkage.core.FormItem
import cn.linkage.core.FormItemKind
import cn.linkage.core.QuestionKind
import cn.linkage.shell.FormListState
import cn.linkage.shell.FormState
import cn.linkage.shell.Strings
import cn.linkage.shell.captureLocation
import cn.linkage.shell.fillForm
import cn.linkage.shell.formsTitle
import cn.linkage.shell.nextPage
import cn.linkage.shell.previousPage
import cn.linkage.shell.recaptureLocation
import cn.linkage.shell.removeInstance
import cn.linkage.shell.requiredMark
import cn.linkage.shell.retakeFormPhoto
import cn.linkage.shell.submitForm
import cn.linkage.shell.takeFormPhoto

/** The forms a user may fill (问卷, 排查表) and their unfinished drafts; from a visit or a field role's home. */
@Composable
fun FormListScreen(
    st: FormListState,
    s: Strings,
    onRetry: () -> Unit,
    onStart: (formId: String) -> Unit,
    onResume: (draftId: String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s, onRetry = onRetry) }
        if (st.loading) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
        if (st.drafts.isNotEmpty()) {
            item { SectionTitle(s.draftsTitle) }
            items(st.drafts, key = { "d" + it.draftId }) { d ->
                Column(Modifier.touchTarget().fillMaxWidth().clickable { onResume(d.draftId) }.padding(horizontal = 16.dp, vertical = 10.dp)) {
                    Text(d.title, style = MaterialTheme.typography.titleMedium)
                    Text(d.detail, style = MaterialTheme.typography.bodyMedium)
                }
            }
        }
        item { SectionTitle(s.formsTitle) }
        if (st.forms.isEmpty()) item { EmptyLine(s) }
        items(st.forms, key = { "f" + it.formId }) { f ->
            Row(
                Modifier.touchTarget().fillMaxWidth().clickable { onStart(f.formId) }.padding(horizontal = 16.dp, vertical = 10.dp),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Column(Modifier.weight(1f)) {
                    Text(f.title, style = MaterialTheme.typography.titleMedium)
                    Text(f.detail, style = MaterialTheme.typography.bodyMedium)
                }
                Text(s.fillForm, color = MaterialTheme.colorScheme.primary, fontWeight = FontWeight.Medium)
            }
        }
    }
}

/** What the generic form screen hands back: every answer goes straight to the core through the presenter. */
class FormCallbacks(
    val onText: (path: String, text: String) -> Unit = { _, _ -> },
    val onPick: (path: String, choiceId: String) -> Unit = { _, _ -> },
    val onToggle: (path: String, choiceId: String) -> Unit = { _, _ -> },
    val onLocation: (path: String) -> Unit = {},
    val onPhoto: (path: String) -> Unit = {},
    val onAddInstance: (path: String) -> Unit = {},
    val onRemoveInstance: (path: String) -> Unit = {},
    val onPage: (page: UInt) -> Unit = {},
    val onSubmit: () -> Unit = {},
)

/**
 * Any form, drawn from the core's model alone: the page strip, the page's rows (typed fields, choices as big
 * buttons, location and camera buttons, notes, computed values, sections, repeat entries with add/remove),
 * each question's error in the core's words, and submit. The screen decides nothing: hidden questions are not
 * in the model, and every answer returns a new model.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun FormScreen(st: FormState, s: Strings, cb: FormCallbacks) {
    val m = st.model
    LazyColumn(Modifier.fillMaxSize()) {
        item { ErrorBanner(st.error, s) }
        if (m == null) {
            if (st.busy) item { LinearProgressIndicator(Modifier.fillMaxWidth()) }
            return@LazyColumn
        }
        item {
            Column(Modifier.padding(horizontal = 16.dp, vertical = 8.dp)) {
                Text(m.title, style = MaterialTheme.typography.titleLarge)
                m.subjectLabel?.let { Text(it, style = MaterialTheme.typography.titleMedium) }
            }
        }
        if (m.pages.size > 1) item {
            // Wrapped, never scrolled off the screen: every page and its state stay visible in 大字模式 too.
            FlowRow(Modifier.fillMaxWidth().padding(horizontal = 12.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                m.pages.forEach { p ->
                    // Whole numbers as Long: unsigned formatting is not in Android API 24 (minSdk).
                    val marks = if (p.errors.toLong() > 0) " ⚠${p.errors.toLong()}" else " ${p.answered.toLong()}/${p.questions.toLong()}"
                    FilterChip(modifier = Modifier.touchTarget(), selected = p.index == m.page, onClick = { cb.onPage(p.index) }, label = { Text(p.label + marks) })
                }
            }
        }
        items(m.items, key = { it.path + "|" + it.item.javaClass.simpleName }) { row -> FormRow(row, s, cb) }
        item {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(st.submittedText ?: m.statusText, style = MaterialTheme.typography.titleMedium)
                if (st.canGoBack) OutlinedButton(modifier = Modifier.touchTarget().fillMaxWidth(), onClick = { cb.onPage(m.page - 1u) }) { Text(s.previousPage) }
                if (st.canGoOn) OutlinedButton(modifier = Modifier.touchTarget().fillMaxWidth(), onClick = { cb.onPage(m.page + 1u) }) { Text(s.nextPage) }
                if (st.submitted == null) Button(modifier = Modifier.touchTarget().fillMaxWidth(), enabled = !st.busy, onClick = cb.onSubmit) { Text(s.submitForm) }
            }
        }
    }
}

@Composable
private fun FormRow(row: FormItem, s: Strings, cb: FormCallbacks) {
    val indent = Modifier.padding(start = (16 + 12 * row.depth.toInt()).dp, end = 16.dp)
    when (val k = row.item) {
        is FormItemKind.Section -> Text(row.label, style = MaterialTheme.typography.titleMedium, color = MaterialTheme.colorScheme.primary,
            modifier = indent.padding(top = 16.dp, bottom = 4.dp))
        is FormItemKind.RepeatInstance -> Surface(color = MaterialTheme.colorScheme.secondaryContainer, modifier = Modifier.fillMaxWidth().padding(top = 12.dp)) {
            Row(indent.padding(vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(row.label, style = MaterialTheme.typography.titleMedium, modifier = Modifier.weight(1f))
                if (k.canRemove) TextButton(modifier = Modifier.touchTarget(), onClick = { cb.onRemoveInstance(row.path) }) { Text(s.removeInstance) }
            }
        }
        is FormItemKind.RepeatAdd -> Column(indent.padding(vertical = 8.dp)) {
            OutlinedButton(modifier = Modifier.touchTarget().fillMaxWidth(), onClick = { cb.onAddInstance(row.path) }) { Text(row.label) }
        }
        is FormItemKind.Question -> Column(indent.padding(vertical = 6.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            val label = if (row.required) row.label + s.requiredMark else row.label
            when (k.kind) {
                QuestionKind.NOTE -> Text(row.label, style = MaterialTheme.typography.bodyLarge)
                QuestionKind.CALCULATE -> {
                    Text(row.label, style = MaterialTheme.typography.labelLarge)
                    Text(row.text.ifEmpty { "—" }, style = MaterialTheme.typography.titleMedium)
                }
                QuestionKind.TEXT, QuestionKind.INTEGER, QuestionKind.DECIMAL, QuestionKind.DATE -> {
                    Text(label, style = MaterialTheme.typography.titleSmall)
                    OutlinedTextField(
                    row.text, { cb.onText(row.path, it) },
                    isError = row.error != null,
                    singleLine = k.kind != QuestionKind.TEXT,
                    keyboardOptions = KeyboardOptions(keyboardType = when (k.kind) {
                        QuestionKind.INTEGER -> KeyboardType.Number
                        QuestionKind.DECIMAL -> KeyboardType.Decimal
                        else -> KeyboardType.Text
                    }),
                    modifier = Modifier.touchTarget().fillMaxWidth(),
                    )
                }
                QuestionKind.SELECT_ONE, QuestionKind.SELECT_MULTIPLE -> {
                    Text(label, style = MaterialTheme.typography.titleSmall)
                    row.choices.forEach { c ->
                        val tap = { if (k.kind == QuestionKind.SELECT_ONE) cb.onPick(row.path, c.id) else cb.onToggle(row.path, c.id) }
                        val text = (if (c.selected) "✓ " else "") + c.label
                        if (c.selected) Button(modifier = Modifier.touchTarget().fillMaxWidth(), onClick = tap) { Text(text) }
                        else OutlinedButton(modifier = Modifier.touchTarget().fillMaxWidth(), onClick = tap) { Text(text) }
                    }
                }
                QuestionKind.GEOPOINT -> {
                    Text(label, style = MaterialTheme.typography.titleSmall)
                    if (row.text.isNotEmpty()) Text(row.text, style = MaterialTheme.typography.bodyLarge)
                    OutlinedButton(modifier = Modifier.touchTarget(), onClick = { cb.onLocation(row.path) }) {
                        Text(if (row.fix == null) s.captureLocation else s.recaptureLocation)
                    }
                }
                QuestionKind.IMAGE -> {
                    Text(label, style = MaterialTheme.typography.titleSmall)
                    row.photo?.let { p -> LocalImages.current.load(p.thumbnailPath)?.let { Image(it, contentDescription = p.watermark, modifier = Modifier.size(120.dp)) } }
                    OutlinedButton(modifier = Modifier.touchTarget(), onClick = { cb.onPhoto(row.path) }) {
                        Text(if (row.photo == null) s.takeFormPhoto else s.retakeFormPhoto)
                    }
                }
            }
            if (row.hint.isNotEmpty()) Text(row.hint, style = MaterialTheme.typography.bodyMedium)
            row.error?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyMedium, fontWeight = FontWeight.Medium) }
        }
    }
}
