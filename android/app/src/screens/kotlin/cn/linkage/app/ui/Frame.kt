package cn.linkage.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.WindowInsets
import androidx.compose.foundation.layout.WindowInsetsSides
import androidx.compose.foundation.layout.only
import androidx.compose.foundation.layout.safeDrawing
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.windowInsetsPadding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import cn.linkage.shell.SignInState
import cn.linkage.shell.Strings
import cn.linkage.shell.householdsTitle
import cn.linkage.shell.settingsTitle
import cn.linkage.shell.SyncBarState

/** While the core opens: a spinner, or why it could not open (the core's words). */
@Composable
fun OpeningScreen(error: String?) {
    Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
        if (error != null) Text(error) else CircularProgressIndicator()
    }
}

/**
 * The signed-in frame: title bar (who and where, back, 指令 and 退出), the sync bar, and the current screen.
 * The title bar grows with the text (Material's TopAppBar is 64 dp high and cut the subtitle at large font
 * sizes); its buttons wrap below the title when they do not fit beside it.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun SignedInFrame(
    s: Strings,
    title: String,
    subtitle: String,
    canGoBack: Boolean,
    showInbox: Boolean,
    onBack: () -> Unit,
    onInbox: () -> Unit,
    onSignOut: () -> Unit,
    syncBar: @Composable () -> Unit,
    /** 民生台账 (household search) in the top bar, for roles with households in scope. */
    onHouseholds: (() -> Unit)? = null,
    /** 设置: when given, sign-out moves there (behind the unsent-records confirmation). */
    onSettings: (() -> Unit)? = null,
    content: @Composable () -> Unit,
) {
    Scaffold(
        topBar = {
            Surface(color = MaterialTheme.colorScheme.surface, modifier = Modifier.fillMaxWidth()) {
                FlowRow(
                    Modifier.fillMaxWidth().windowInsetsPadding(WindowInsets.safeDrawing.only(WindowInsetsSides.Top + WindowInsetsSides.Horizontal))
                        .padding(horizontal = 4.dp, vertical = 4.dp),
                    horizontalArrangement = Arrangement.SpaceBetween,
                    verticalArrangement = Arrangement.Center,
                ) {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        if (canGoBack) {
                            IconButton(onClick = onBack, modifier = Modifier.size(LocalTouchTarget.current)) {
                                Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = s.back)
                            }
                        }
                        Column(Modifier.padding(horizontal = 12.dp, vertical = 4.dp)) {
                            Text(title, style = MaterialTheme.typography.titleMedium)
                            Text(subtitle, style = MaterialTheme.typography.bodySmall)
                        }
                    }
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        if (showInbox) TextButton(modifier = Modifier.touchTarget(), onClick = onInbox) { Text(s.directivesTitle) }
                        onHouseholds?.let { TextButton(modifier = Modifier.touchTarget(), onClick = it) { Text(s.householdsTitle) } }
                        if (onSettings != null) {
                            TextButton(modifier = Modifier.touchTarget(), onClick = onSettings) { Text(s.settingsTitle) }
                        } else {
                            TextButton(modifier = Modifier.touchTarget(), onClick = onSignOut) { Text(s.signOut) }
                        }
                    }
                }
            }
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            syncBar()
            Box(Modifier.weight(1f)) { content() }
        }
    }
}

@Composable
fun SignInScreen(
    st: SignInState,
    s: Strings,
    onServerUrl: (String) -> Unit,
    onUserId: (String) -> Unit,
    onPassword: (String) -> Unit,
    onConnect: () -> Unit,
    onNewPassword: (String) -> Unit = {},
) {
    // A surface of its own: the text is drawn on the theme's background, not on whatever the window has.
    Surface(Modifier.fillMaxSize()) {
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(s.appName, style = MaterialTheme.typography.headlineMedium)
        Text(s.signInTitle, style = MaterialTheme.typography.bodyMedium)
        OutlinedTextField(st.serverUrl, onServerUrl, label = { Text(s.serverUrl) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri), modifier = Modifier.touchTarget().fillMaxWidth())
        OutlinedTextField(st.userId, onUserId, label = { Text(s.userId) }, singleLine = true, modifier = Modifier.touchTarget().fillMaxWidth())
        OutlinedTextField(st.password, onPassword, label = { Text(s.password) }, singleLine = true,
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password), modifier = Modifier.touchTarget().fillMaxWidth())
        if (st.needsNewPassword) {
            OutlinedTextField(st.newPassword, onNewPassword, label = { Text(s.newPassword) }, singleLine = true,
                visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password), modifier = Modifier.touchTarget().fillMaxWidth())
        }
        Button(onClick = onConnect, enabled = st.canSubmit, modifier = Modifier.touchTarget().fillMaxWidth()) {
            Text(if (st.busy) s.connecting else s.connect)
        }
        if (st.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
        ErrorBanner(st.error, s)
    }
    }
}

/**
 * On every screen: the offline chip, the core's sync headline, last sync ("上次同步：5 分钟前"), progress
 * while syncing, and the quarantined operations with their reasons (tap to open).
 */
@Composable
fun SyncBar(st: SyncBarState, s: Strings, onSync: () -> Unit, onSignIn: () -> Unit) {
    var showQuarantine by remember { mutableStateOf(false) }
    Surface(tonalElevation = 2.dp, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(horizontal = 16.dp, vertical = 6.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                st.offlineChip?.let { chip ->
                    Surface(color = MaterialTheme.colorScheme.errorContainer, shape = MaterialTheme.shapes.small,
                        modifier = Modifier.padding(end = 8.dp)) {
                        Text(chip, color = MaterialTheme.colorScheme.onErrorContainer, style = MaterialTheme.typography.labelLarge,
                            modifier = Modifier.padding(horizontal = 8.dp, vertical = 2.dp))
                    }
                }
                Column(Modifier.weight(1f)) {
                    Text(st.headline.ifEmpty { st.pendingText }, style = MaterialTheme.typography.bodyMedium)
                    Text(st.lastSyncText, style = MaterialTheme.typography.bodySmall,
                        color = if (st.lastSyncFailed) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant)
                }
                TextButton(modifier = Modifier.touchTarget(), onClick = onSync, enabled = !st.running) { Text(s.syncNow) }
            }
            if (st.running) {
                st.progressText?.let { Text(it, style = MaterialTheme.typography.labelSmall) }
                val fraction = st.progress
                if (fraction == null) LinearProgressIndicator(Modifier.fillMaxWidth())
                else LinearProgressIndicator(progress = { fraction }, modifier = Modifier.fillMaxWidth())
            }
            st.quarantinedText?.let { text ->
                Text(text, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall,
                    modifier = Modifier.touchTarget().clickable { showQuarantine = !showQuarantine }.padding(vertical = 4.dp))
            }
            if (showQuarantine) {
                Text(s.quarantineTitle, style = MaterialTheme.typography.labelMedium)
                st.quarantinedItems.forEach { q ->
                    Text("${q.kind} · ${q.whenText}\n${q.reason}\n${q.nextStep}", style = MaterialTheme.typography.bodySmall,
                        modifier = Modifier.padding(vertical = 2.dp))
                }
            }
            ErrorBanner(st.error, s, onRetry = onSync, onSignIn = onSignIn)
        }
    }
}
