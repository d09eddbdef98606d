package cn.linkage.shell

import cn.linkage.core.ChangeObserver
import cn.linkage.core.ChangeTopic
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The core's [ChangeObserver]: it tells which kinds of data changed (topics), and each open screen that shows
 * one of them reloads. The core calls from its own threads with no lock held; this only signals. Reloads of
 * one screen are conflated (a burst of pulled pages reloads once or twice, never queues up) and run in
 * [scope]. Deciding *what* changed is the core's; this is only the plumbing to the screens.
 */
class ChangeBus(private val scope: CoroutineScope) : ChangeObserver {
    private class Listener(val topics: Set<ChangeTopic>, val signal: Channel<Unit>)

    private val listeners = CopyOnWriteArrayList<Listener>()

    fun subscribe(topics: Set<ChangeTopic>, reload: suspend () -> Unit): AutoCloseable {
        val listener = Listener(topics, Channel(Channel.CONFLATED))
        listeners += listener
        val job = scope.launch {
            for (ignored in listener.signal) {
                try {
                    reload()
                } catch (e: kotlin.coroutines.cancellation.CancellationException) {
                    throw e
                } catch (e: Exception) {
                    // A reload failing is the presenter's to show (its state carries the error); keep listening.
                }
            }
        }
        return AutoCloseable {
            listeners -= listener
            listener.signal.close()
            job.cancel()
        }
    }

    override fun onChanged(topics: List<ChangeTopic>) {
        for (l in listeners) {
            if (topics.any { it in l.topics }) l.signal.trySend(Unit)
        }
    }
}
