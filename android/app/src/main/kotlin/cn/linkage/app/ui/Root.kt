package cn.linkage.app.ui

import androidx.activity.compose.BackHandler
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
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
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.MainViewModel
import cn.linkage.app.Route
import cn.linkage.shell.Home
import cn.linkage.shell.SessionPresenter
import cn.linkage.shell.Strings
import cn.linkage.shell.SyncBarPresenter

/** Opens the core, then shows sign-in or the signed-in user's screens. */
@Composable
fun LinkageRoot(vm: MainViewModel, onExit: () -> Unit) {
    val ctx by vm.context.collectAsStateWithLifecycle()
    val openError by vm.openError.collectAsStateWithLifecycle()
    val c = ctx
    if (c == null) {
        Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
            if (openError != null) Text(openError!!.message) else CircularProgressIndicator()
        }
        return
    }
    val sessionState by vm.session.state.collectAsStateWithLifecycle()
    val session = sessionState.session
    if (session == null) {
        SignInScreen(vm.session, c.strings, onSignedIn = { vm.changed() }, launch = vm::launch)
        return
    }
    BackHandler { if (!vm.back()) onExit() }
    SignedIn(vm, c.strings, session.title, session.subtitle, session.home, session.capabilities.directiveInbox)
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun SignedIn(vm: MainViewModel, s: Strings, title: String, subtitle: String, home: Home, inbox: Boolean) {
    val route = vm.backStack.last()
    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Column {
                        Text(title, style = MaterialTheme.typography.titleMedium)
                        Text(subtitle, style = MaterialTheme.typography.bodySmall)
                    }
                },
                navigationIcon = {
                    if (vm.backStack.size > 1) {
                        IconButton(onClick = { vm.back() }) { Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = s.back) }
                    }
                },
                actions = {
                    if (route == Route.Home && inbox) TextButton(onClick = { vm.open(Route.Inbox) }) { Text(s.directivesTitle) }
                    TextButton(onClick = { vm.signOut() }) { Text(s.signOut) }
                },
            )
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            SyncBar(vm.syncBar, s, launch = vm::launch, onSignIn = { vm.signOut() })
            Box(Modifier.weight(1f)) {
                when (route) {
                    Route.Home -> when (home) {
                        Home.TODAY -> TodayScreen(vm, s)
                        Home.LIAISON -> LiaisonHomeScreen(vm, s)
                        Home.TRIAGE -> TriageScreen(vm, s)
                    }
                    Route.Inbox -> InboxScreen(vm, s)
                    is Route.Household -> HouseholdScreen(vm, s, route.id)
                    is Route.Visit -> VisitScreen(vm, s, route)
                    is Route.Report -> ReportScreen(vm, s, route.householdId)
                    is Route.Issue -> IssueScreen(vm, s, route.id)
                    is Route.Directive -> DirectiveScreen(vm, s, route.id)
                }
            }
        }
    }
}

@Composable
fun SignInScreen(p: SessionPresenter, s: Strings, onSignedIn: () -> Unit, launch: (suspend () -> Unit) -> Unit) {
    val st by p.state.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(s.appName, style = MaterialTheme.typography.headlineMedium)
        Text(s.signInTitle, style = MaterialTheme.typography.bodyMedium)
        OutlinedTextField(st.serverUrl, p::setServerUrl, label = { Text(s.serverUrl) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri), modifier = Modifier.fillMaxWidth())
        OutlinedTextField(st.userId, p::setUserId, label = { Text(s.userId) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(st.password, p::setPassword, label = { Text(s.password) }, singleLine = true,
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password), modifier = Modifier.fillMaxWidth())
        Button(onClick = { launch { p.connect(); onSignedIn() } }, enabled = st.canSubmit, modifier = Modifier.fillMaxWidth()) {
            Text(if (st.busy) s.connecting else s.connect)
        }
        if (st.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
        ErrorBanner(st.error, s)
    }
}

/**
 * On every screen: the offline chip, the core's sync headline, last sync ("上次同步：5 分钟前", re-read each
 * minute), progress while syncing, and the quarantined operations with their reasons.
 */
@Composable
fun SyncBar(p: SyncBarPresenter, s: Strings, launch: (suspend () -> Unit) -> Unit, onSignIn: () -> Unit) {
    val st by p.state.collectAsStateWithLifecycle()
    var showQuarantine by remember { mutableStateOf(false) }
    androidx.compose.runtime.LaunchedEffect(p) {
        while (true) {
            kotlinx.coroutines.delay(60_000)
            p.tick()
        }
    }
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
                TextButton(onClick = { launch { p.sync() } }, enabled = !st.running) { Text(s.syncNow) }
            }
            if (st.running) {
                st.progressText?.let { Text(it, style = MaterialTheme.typography.labelSmall) }
                val fraction = st.progress
                if (fraction == null) LinearProgressIndicator(Modifier.fillMaxWidth())
                else LinearProgressIndicator(progress = { fraction }, modifier = Modifier.fillMaxWidth())
            }
            st.quarantinedText?.let { text ->
                Text(text, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall,
                    modifier = Modifier.clickable { showQuarantine = !showQuarantine }.padding(vertical = 4.dp))
            }
            if (showQuarantine) {
                Text(s.quarantineTitle, style = MaterialTheme.typography.labelMedium)
                st.quarantinedItems.forEach { q ->
                    Text("${q.kind} · ${q.whenText}\n${q.reason}\n${q.nextStep}", style = MaterialTheme.typography.bodySmall,
                        modifier = Modifier.padding(vertical = 2.dp))
                }
            }
            ErrorBanner(st.error, s, onRetry = { launch { p.sync() } }, onSignIn = onSignIn)
        }
    }
}
