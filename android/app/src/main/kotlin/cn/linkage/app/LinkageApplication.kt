package cn.linkage.app

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

/**
 * Tells the core the facts it schedules sync from — the app came to the foreground or left it, the network
 * came or went — and schedules the WorkManager jobs. When to sync is the core's decision, not this class's.
 */
class LinkageApplication : Application() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    override fun onCreate() {
        super.onCreate()
        SyncWorker.schedulePeriodic(this)
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) {
                scope.launch { Core.get(this@LinkageApplication).appForegrounded() }
            }

            override fun onStop(owner: LifecycleOwner) {
                val app = Core.ifOpen() ?: return
                scope.launch {
                    // The core says whether unsynced changes remain: then ask for an expedited background sync.
                    if (app.appBackgrounded()) SyncWorker.syncSoon(this@LinkageApplication)
                }
            }
        })
        val connectivity = getSystemService(ConnectivityManager::class.java)
        connectivity.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
                val usable = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                scope.launch { Core.ifOpen()?.networkChanged(usable) }
            }

            override fun onLost(network: Network) {
                scope.launch { Core.ifOpen()?.networkChanged(false) }
            }
        })
    }
}
