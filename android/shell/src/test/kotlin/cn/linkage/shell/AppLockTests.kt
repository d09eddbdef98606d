package cn.linkage.shell

import cn.linkage.core.FieldApp
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

// 应用锁 App lock over the real core: the shell asks the core whether the device credential is due and tells it
// when the system prompt was passed. The timing rule (5 minutes away, a clock set back) is tested in Rust
// (protocol rules::app_lock, core autosync::tests); the prompt itself needs a device.
fun appLockFollowsTheCore() {
    val dir = Files.createTempDirectory("linkage-lock").toFile()
    try {
        val key = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
        val app = FieldApp.open(File(dir, "linkage.db").path, key)
        assertTrue(app.appLockRequired(), "a cold start asks for the device credential")
        assertTrue(app.appLockRequired(), "until the prompt is passed")
        app.appUnlocked()
        assertFalse(app.appLockRequired())
        app.appBackgrounded()
        assertFalse(app.appLockRequired(), "a moment in the background is not asked again")
        val zh = Strings(Lang.ZH_CN)
        assertEquals("请验证身份" to "为保护居民个人信息，请解锁后继续使用", zh.unlockTitle to zh.unlockReason)
        assertEquals("Verify it's you", Strings(Lang.EN).unlockTitle)
        app.destroy()
    } finally {
        dir.deleteRecursively()
    }
}
