package cn.linkage.app

import android.content.Context
import cn.linkage.core.FieldApp
import java.io.File

/**
 * The one `FieldApp` of the process, shared by the activity's view model, the lifecycle and network hooks
 * ([LinkageApplication]) and the WorkManager worker ([SyncWorker]), so the core's sync scheduler sees every
 * fact and every write. Opening does disk I/O (migrations, the evidence sweep): call [get] off the main thread.
 */
object Core {
    @Volatile private var app: FieldApp? = null

    fun get(context: Context): FieldApp = app ?: synchronized(this) {
        // TODO(security): wrap with SQLCipher and keep its key in the Android Keystore (decision pending in
        //  docs/adr; the core opens plain SQLite today).
        app ?: FieldApp.open(File(context.applicationContext.filesDir, "linkage.db").path).also { app = it }
    }

    /** The core if something already opened it (lifecycle callbacks must not open it on the main thread). */
    fun ifOpen(): FieldApp? = app
}
