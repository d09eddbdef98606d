package cn.linkage.app

import android.content.Context
import android.speech.tts.TextToSpeech
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.ui.ComposerScreen
import cn.linkage.app.ui.DirectiveScreen
import cn.linkage.app.ui.InboxScreen
import cn.linkage.shell.DirectiveComposerPresenter
import cn.linkage.shell.DirectiveDetailPresenter
import cn.linkage.shell.DirectiveInboxPresenter
import cn.linkage.shell.Strings
import java.util.Locale

// The directive routes (指令下达): inbox, one directive, composer; the platform's text-to-speech for 朗读 and the
// camera for the composer's photos. No layout and no rule here.

/**
 * 朗读 through Android's TextToSpeech (zh-CN voice when installed, else the device default). Not verifiable on
 * the build host: on a device, open a directive, tap 朗读, hear the kind, title and full text; tap again to stop.
 */
private class Speaker(context: Context) : TextToSpeech.OnInitListener {
    private val tts = TextToSpeech(context.applicationContext, this)
    override fun onInit(status: Int) {
        if (status == TextToSpeech.SUCCESS) tts.setLanguage(Locale.SIMPLIFIED_CHINESE)
    }
    fun speak(text: String) {
        if (tts.isSpeaking) tts.stop() else tts.speak(text, TextToSpeech.QUEUE_FLUSH, null, "directive")
    }
    fun shutdown() = tts.shutdown()
}

@Composable
private fun rememberSpeaker(): (String) -> Unit {
    val context = LocalContext.current
    val speaker = remember { Speaker(context) }
    DisposableEffect(speaker) { onDispose { speaker.shutdown() } }
    return speaker::speak
}

@Composable
internal fun InboxRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Inbox, { load() }) { DirectiveInboxPresenter(it) }
    val st by state
    val speak = rememberSpeaker()
    InboxScreen(
        st, s,
        onRetry = { vm.launch { p.load() } },
        onAcknowledge = { id -> vm.launch { p.acknowledge(id); vm.changed() } },
        onRelay = { id -> vm.launch { p.relay(id); vm.changed() } },
        onOpenDirective = { vm.open(Route.Directive(it)) },
        onCompose = { vm.open(Route.Composer) },
        onReadAloud = speak,
        onRemind = { d, node -> vm.launch { p.remind(d, node); vm.changed() } },
    )
}

@Composable
internal fun DirectiveRoute(vm: MainViewModel, s: Strings, directiveId: String) {
    val (p, state) = vm.shown(Route.Directive(directiveId), { load() }) { DirectiveDetailPresenter(it, directiveId) }
    val st by state
    val inbox = vm.presenter(Route.Inbox) { DirectiveInboxPresenter(it) }
    val inboxState by inbox.state.collectAsStateWithLifecycle()
    val speak = rememberSpeaker()
    DirectiveScreen(
        st, s,
        stepError = inboxState.error,
        onRetry = { vm.launch { p.load() } },
        onAcknowledge = { id -> vm.launch { inbox.acknowledge(id); p.load(); vm.changed() } },
        onRelay = { id -> vm.launch { inbox.relay(id); p.load(); vm.changed() } },
        onReportCompletion = { vm.open(Route.TaskCompletion(directiveId)) },
        onMoreSilent = { vm.launch { p.loadMoreSilent() } },
        onRecordAck = { id, means -> vm.launch { p.recordAck(id, means); vm.changed() } },
        onMoreHouseholds = { vm.launch { p.loadMoreHouseholds() } },
        onReadAloud = speak,
        onRemindAll = { vm.launch { p.remindSilent(); vm.changed() } },
        onRemindNode = { node -> vm.launch { p.remindNode(node); vm.changed() } },
        onAccept = { node -> vm.launch { p.accept(node); vm.changed() } },
        onStartSendBack = p::startSendBack,
        onSendBackReason = p::setSendBackReason,
        onConfirmSendBack = { vm.launch { p.confirmSendBack(); vm.changed() } },
        onCancelSendBack = p::cancelSendBack,
    )
}

@Composable
internal fun ComposerRoute(vm: MainViewModel, s: Strings) {
    val (p, state) = vm.shown(Route.Composer, { load() }) { DirectiveComposerPresenter(it) }
    val st by state
    val camera = rememberCamera(vm) { file -> vm.launch { p.addPhoto(file.path); file.delete() } }
    ComposerScreen(
        st, s,
        onTarget = p::setTarget,
        onMoreTargets = { vm.launch { p.loadMoreTargets() } },
        onKind = p::setKind,
        onTitle = p::setTitle,
        onBody = p::setBody,
        onDue = p::setDueInHours,
        onTakePhoto = camera,
        onSend = { vm.launch { if (p.send() != null) vm.changed() } },
        onOpenDirective = { vm.open(Route.Directive(it)) },
    )
}
