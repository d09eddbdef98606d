package cn.linkage.app

import android.content.Context
import cn.linkage.core.FieldApp
import java.io.File

/**
 * The one `FieldApp` of the process, shared by the activity's view model, the lifecycle and network hooks
 * ([LinkageApplication]) and the WorkManager worker ([SyncWorker]), so the core's sync scheduler sees every
 * fact and every write. Opening does disk I/O (key unwrap, migrations, the evidence sweep): call [get] off the main
 * thread.
 */
object Core {
    @Volatile private var app: FieldApp? = null

    fun get(context: Context): FieldApp = app ?: synchronized(this) {
        app ?: run {
            // SQLCipher store; its key is wrapped by the Android Keystore ([StoreKeyVault]). The core encrypts a
            // store left plain by an older version in place on this first keyed open.
            val key = StoreKeyVault.storeKey(context)
            try {
                FieldApp.open(File(context.applicationContext.filesDir, "linkage.db").path, key)
            } finally {
                key.fill(0)
            }
        }.also { app = it }
    }

    /** The core if something already opened it (lifecycle callbacks must not open it on the main thread). */
    fun ifOpen(): FieldApp? = app
}
