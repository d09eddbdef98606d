package cn.linkage.app

import android.app.Activity
import android.app.KeyguardManager
import android.os.Bundle
import android.view.WindowManager
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.lifecycle.lifecycleScope
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.getValue
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.unit.Density
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.linkage.app.ui.LinkageTheme
import cn.linkage.shell.Lang
import cn.linkage.shell.Strings
import java.util.Locale
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

class MainActivity : ComponentActivity() {
    private val vm: MainViewModel by viewModels()

    /** The system's device-credential screen (应用锁); passing it tells the core, leaving it leaves the app. */
    private val unlock = registerForActivityResult(ActivityResultContracts.StartActivityForResult()) { result ->
        if (result.resultCode == Activity.RESULT_OK) Core.ifOpen()?.appUnlocked() else finish()
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // Every screen may show residents' personal data: none in screenshots, screen recordings or the recents
        // thumbnail.
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        enableEdgeToEdge()
        setContent {
            // 大字模式: the scale chosen in 设置 on top of the system's font size.
            val textScale by vm.textScale.collectAsStateWithLifecycle()
            val density = LocalDensity.current
            CompositionLocalProvider(LocalDensity provides Density(density.density, density.fontScale * textScale)) {
                LinkageTheme {
                    LinkageRoot(vm, onExit = ::finish)
                }
            }
        }
    }

    override fun onResume() {
        super.onResume()
        // Counts may have changed while away (a sync on another screen, time passing for "5 分钟前").
        if (vm.context.value != null) vm.changed()
        // The core decides when the lock is due (cold start, 5 minutes in the background); this only prompts.
        lifecycleScope.launch {
            val app = withContext(Dispatchers.IO) { Core.get(this@MainActivity) }
            if (!app.appLockRequired()) return@launch
            val keyguard = getSystemService(KeyguardManager::class.java)
            if (!keyguard.isDeviceSecure) {
                app.appUnlocked() // no screen lock set on the phone: nothing to ask
                return@launch
            }
            val s = Strings(Lang.fromTag(Locale.getDefault().toLanguageTag()))
            @Suppress("DEPRECATION") // BiometricPrompt needs androidx.biometric; this covers API 24+ with the PIN too
            val intent = keyguard.createConfirmDeviceCredentialIntent(s.unlockTitle, s.unlockReason)
            if (intent == null) app.appUnlocked() else unlock.launch(intent)
        }
    }
}
