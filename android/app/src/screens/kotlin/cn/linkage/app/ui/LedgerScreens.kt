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
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.linkage.core.RiskLevel
import cn.linkage.shell.HouseholdEditState
import cn.linkage.shell.HouseholdSearchState
import cn.linkage.shell.Option
import cn.linkage.shell.SettingsState
import cn.linkage.shell.Strings
import cn.linkage.shell.addTag
import cn.linkage.shell.backgroundSync
import cn.linkage.shell.fewer
import cn.linkage.shell.houseIsHere
import cn.linkage.shell.houseIsHereHint
import cn.linkage.shell.language
import cn.linkage.shell.languageAfterRestart
import cn.linkage.shell.membersLabel
import cn.linkage.shell.moreMembers
import cn.linkage.shell.newPhone
import cn.linkage.shell.newTag
import cn.linkage.shell.saveCorrection
import cn.linkage.shell.search
import cn.linkage.shell.searchByAddress
import cn.linkage.shell.searchByName
import cn.linkage.shell.serverAddress
import cn.linkage.shell.tagsLabel
import cn.linkage.shell.textSize

/**
 * 民生台账: search households in my scope by name, address, tag and risk; a page at a time from the core.
 * Grid workers, liaison heads, township and county staff.
 */
@Composable
fun HouseholdSearchScreen(
    st: HouseholdSearchState,
    s: Strings,
    onName: (String) -> Unit,
    onAddress: (String) -> Unit,
    onSearch: () -> Unit,
    onTag: (String) -> Unit,
    onRisk: (RiskLevel) -> Unit,
    onMore: () -> Unit,
    onOpen: (householdId: String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        item {
            Column(Modifier.padding(vertical = 8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(st.name, onName, label = { Text(s.searchByName) }, singleLine = true,
                    modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
                OutlinedTextField(st.address, onAddress, label = { Text(s.searchByAddress) }, singleLine = true,
                    modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
                Button(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onSearch) { Text(s.search) }
                ChoiceChips(st.riskOptions, st.risk, onSelect = onRisk)
                ChoiceChips(st.tagOptions, st.tag, onSelect = onTag)
            }
        }
        item { ErrorBanner(st.error, s, onRetry = onSearch) }
        item { SectionTitle(st.totalText) }
        if (st.items.isEmpty() && !st.loading) item { EmptyLine(s) }
        items(st.items, key = { it.id }) { h -> HouseholdRowItem(h) { onOpen(h.id) } }
        if (st.nextOffset != null) item {
            OutlinedButton(modifier = Modifier.padding(16.dp).touchTarget(), onClick = onMore) { Text(s.more) }
        }
    }
}

/** 更正户信息: new phone, member count, tags, and "the house is here" from the live fix. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun HouseholdEditScreen(
    st: HouseholdEditState,
    s: Strings,
    onPhone: (String) -> Unit,
    onFewer: () -> Unit,
    onMore: () -> Unit,
    onToggleTag: (String) -> Unit,
    onNewTag: (String) -> Unit,
    onAddTag: () -> Unit,
    onSave: () -> Unit,
    onMarkHere: () -> Unit,
) {
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        st.household?.let { h ->
            Text(h.headName, style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(horizontal = 16.dp))
            Text("${h.groupName} · ${h.address}", modifier = Modifier.padding(horizontal = 16.dp))
        }
        OutlinedTextField(st.phone, onPhone, label = { Text(s.newPhone) }, singleLine = true,
            supportingText = { Text(st.currentPhoneText) },
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
        Text(s.membersLabel, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        FlowRow(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(modifier = Modifier.touchTarget(), onClick = onFewer) { Text(s.fewer) }
            Text(s.members(st.members), style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 12.dp))
            OutlinedButton(modifier = Modifier.touchTarget(), onClick = onMore) { Text(s.moreMembers) }
        }
        Text(s.tagsLabel, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 16.dp))
        TagChips(st.tagOptions, st.tags, onToggleTag)
        OutlinedTextField(st.newTag, onNewTag, label = { Text(s.newTag) }, singleLine = true,
            modifier = Modifier.touchTarget().fillMaxWidth().padding(horizontal = 16.dp))
        OutlinedButton(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onAddTag) { Text(s.addTag) }
        Button(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onSave, enabled = !st.saving) { Text(s.saveCorrection) }
        Card(Modifier.fillMaxWidth().padding(horizontal = 16.dp)) {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(st.pointText)
                Text(st.gps.text, style = MaterialTheme.typography.bodySmall)
                st.gps.mockWarning?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                Text(s.houseIsHereHint, style = MaterialTheme.typography.bodySmall)
                OutlinedButton(modifier = Modifier.touchTarget(), onClick = onMarkHere, enabled = !st.saving) { Text(s.houseIsHere) }
            }
        }
        ErrorBanner(st.error, s)
        st.savedText?.let { Text(it, modifier = Modifier.padding(horizontal = 16.dp), color = LinkageColors.ok) }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun TagChips(options: List<String>, selected: List<String>, onToggle: (String) -> Unit) {
    // Multi-select: every chip shows whether the household carries the tag.
    FlowRow(Modifier.fillMaxWidth().padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        options.forEach { t ->
            FilterChip(modifier = Modifier.touchTarget(), selected = t in selected, onClick = { onToggle(t) }, label = { Text(t) })
        }
    }
}

/**
 * 设置: text size (大字模式), language, server, version, the background-sync guide and sign-out behind a
 * confirmation that says how many records are still unsent.
 */
@Composable
fun SettingsScreen(
    st: SettingsState,
    s: Strings,
    onTextScale: (Float) -> Unit,
    onLanguage: (String) -> Unit,
    onOpenGuide: () -> Unit,
    onCloseGuide: () -> Unit,
    onGuideBrand: (Int) -> Unit,
    onSignOut: () -> Unit,
    onCancelSignOut: () -> Unit,
    onConfirmSignOut: () -> Unit,
) {
    val guide = st.guide
    if (guide != null) {
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(guide.title, style = MaterialTheme.typography.titleLarge)
            Text(guide.intro)
            // The user picks their phone's brand; its steps follow.
            ChoiceChips(guide.brands.mapIndexed { i, b -> Option(i, b.brand) }, st.guideBrand, onSelect = onGuideBrand)
            guide.brands.getOrNull(st.guideBrand)?.let { b ->
                Text(b.brand, style = MaterialTheme.typography.titleMedium)
                b.steps.forEachIndexed { i, step -> Text("${i + 1}、$step") }
            }
            Text(guide.check)
            Button(modifier = Modifier.touchTarget(), onClick = onCloseGuide) { Text(s.back) }
        }
        return
    }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 8.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp)) {
        SectionTitle(s.textSize)
        ChoiceChips(st.textScales.map { Option(it.scale, it.label) }, st.textScale, onSelect = onTextScale)
        SectionTitle(s.language)
        ChoiceChips(st.languages.map { Option(it.tag, it.label) }, st.languages.firstOrNull { it.selected }?.tag, onSelect = onLanguage)
        Text(s.languageAfterRestart, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
        SectionTitle(s.serverAddress)
        Text(st.serverText, modifier = Modifier.padding(horizontal = 16.dp))
        Text(st.versionText, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
        OutlinedButton(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onOpenGuide) { Text(s.backgroundSync) }
        ErrorBanner(st.error, s)
        Button(modifier = Modifier.padding(horizontal = 16.dp).touchTarget(), onClick = onSignOut) { Text(s.signOut) }
    }
    st.signOutCheck?.let { c ->
        AlertDialog(
            onDismissRequest = onCancelSignOut,
            title = { Text(c.title) },
            text = { Text(c.message) },
            confirmButton = { TextButton(modifier = Modifier.touchTarget(), onClick = onConfirmSignOut) { Text(c.confirmLabel) } },
            dismissButton = { TextButton(modifier = Modifier.touchTarget(), onClick = onCancelSignOut) { Text(s.cancel) } },
        )
    }
}
