package cn.linkage.app.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.ImageBitmap
import cn.linkage.core.Light

// Everything under src/screens/ is plain Compose (no android.* import, no lifecycle, no activity): AGP
// compiles it into the app, and the host harness (scripts/test-screens.sh) compiles the very same files for
// the desktop JVM and renders them. Screens take their state and callbacks; the route layer in src/main
// (MainViewModel, Routes.kt, camera, location) feeds them.

/**
 * Images the platform decodes (a stored thumbnail or photo file, by path). Android decodes with
 * BitmapFactory off the main thread; the host harness with Skia.
 */
interface Images {
    /** The image at [path], or `null` while it loads or when it cannot be read. */
    @Composable
    fun load(path: String): ImageBitmap?
}

/** No images (previews): every photo shows as its placeholder. */
object NoImages : Images {
    @Composable
    override fun load(path: String): ImageBitmap? = null
}

val LocalImages = staticCompositionLocalOf<Images> { NoImages }

/** Traffic-light colours of the core's `Light`. */
fun Light.color(): Color = when (this) {
    Light.GREEN -> Color(0xFF2E7D32)
    Light.YELLOW -> Color(0xFFF9A825)
    Light.RED -> Color(0xFFC62828)
    Light.NONE -> Color.Transparent
}

/** The app's theme. */
@Composable
fun LinkageTheme(content: @Composable () -> Unit) {
    MaterialTheme(content = content)
}
