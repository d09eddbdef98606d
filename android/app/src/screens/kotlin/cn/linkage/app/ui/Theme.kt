package cn.linkage.app.ui

import androidx.compose.material3.LocalMinimumInteractiveComponentSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.Immutable
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.unit.Dp
import androidx.compose.ui.unit.TextUnit
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import cn.linkage.core.Light

// Everything under src/screens/ is plain Compose (no android.* import, no lifecycle, no activity): AGP
// compiles it into the app, and the host harness (scripts/test-screens.sh) compiles the very same files for
// the desktop JVM and renders them. Screens take their state and callbacks; the route layer in src/main
// (MainViewModel, Routes.kt, camera, location) feeds them.
// This file: the look for older users — big text, high contrast, big touch targets, all checked by the harness.

/**
 * 大字模式 (large-text mode): on when the user's system font scale is 1.3 or more. Touch targets then grow
 * from 48 dp to 60 dp; the host harness checks both (android/host).
 */
const val LARGE_TEXT_FONT_SCALE = 1.3f

/** Smallest touch target: 48 dp, 60 dp in 大字模式. Every clickable of the screens is at least this big. */
val LocalTouchTarget = staticCompositionLocalOf { 48.dp }

/** Whether 大字模式 is on (see [LARGE_TEXT_FONT_SCALE]). */
val LocalLargeText = staticCompositionLocalOf { false }

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

/**
 * Colours: every text colour on its background is at least 4.5:1 (checked on the rendered screens). The
 * traffic lights have a darker shade for text than for the dot, and a light is always named in words too.
 */
@Immutable
object LinkageColors {
    val scheme = lightColorScheme(
        primary = Color(0xFF0B4F8A),
        onPrimary = Color.White,
        primaryContainer = Color(0xFFD6E4F5),
        onPrimaryContainer = Color(0xFF0A2540),
        secondary = Color(0xFF37474F),
        onSecondary = Color.White,
        secondaryContainer = Color(0xFFDCE3E8),
        onSecondaryContainer = Color(0xFF1C2A33),
        tertiary = Color(0xFF4A4A7A),
        background = Color.White,
        onBackground = Color(0xFF1A1C1E),
        surface = Color.White,
        onSurface = Color(0xFF1A1C1E),
        surfaceVariant = Color(0xFFE7EBEF),
        onSurfaceVariant = Color(0xFF3A434B),
        surfaceTint = Color(0xFF0B4F8A),
        surfaceContainerLowest = Color.White,
        surfaceContainerLow = Color(0xFFF6F8FA),
        surfaceContainer = Color(0xFFF0F3F6),
        surfaceContainerHigh = Color(0xFFEAEEF2),
        surfaceContainerHighest = Color(0xFFE4E9ED),
        outline = Color(0xFF5F6870),
        outlineVariant = Color(0xFFC3C9CF),
        error = Color(0xFFB3261E),
        onError = Color.White,
        errorContainer = Color(0xFFFCE4E2),
        onErrorContainer = Color(0xFF410E0B),
    )

    /** The on-site / done green for text (6.5:1 on white). */
    val ok = Color(0xFF1B6B2A)
}

/** Traffic-light colour of the core's `Light` for the dot (a graphic beside the light's name). */
fun Light.color(): Color = when (this) {
    Light.GREEN -> Color(0xFF2E7D32)
    Light.YELLOW -> Color(0xFFF9A825)
    Light.RED -> Color(0xFFC62828)
    Light.NONE -> Color.Transparent
}

/** The light's colour for text: dark enough for 4.5:1 on white (the yellow dot's #F9A825 is only 1.97:1). */
fun Light.textColor(): Color = when (this) {
    Light.GREEN -> Color(0xFF1B5E20)
    Light.YELLOW -> Color(0xFF7A4B00)
    Light.RED -> Color(0xFFB71C1C)
    Light.NONE -> Color(0xFF1A1C1E)
}

private fun TextStyle.sized(size: TextUnit) = copy(fontSize = size, lineHeight = size * 1.4f)

/** No text under 14 sp (Material's label and body-small styles are 11–12 sp); body text 16–18 sp. */
val LinkageTypography: Typography = Typography().run {
    copy(
        titleLarge = titleLarge.sized(24.sp),
        titleMedium = titleMedium.sized(20.sp),
        titleSmall = titleSmall.sized(17.sp),
        bodyLarge = bodyLarge.sized(18.sp),
        bodyMedium = bodyMedium.sized(17.sp),
        bodySmall = bodySmall.sized(15.sp),
        labelLarge = labelLarge.sized(17.sp),
        labelMedium = labelMedium.sized(15.sp),
        labelSmall = labelSmall.sized(14.sp),
    )
}

/** Smallest text size the screens use, checked on the rendered screens. */
val MIN_TEXT_SIZE = 14.sp

/** The app's theme: Material 3 with [LinkageColors], [LinkageTypography] and 大字模式's touch targets. */
@Composable
fun LinkageTheme(content: @Composable () -> Unit) {
    val large = LocalDensity.current.fontScale >= LARGE_TEXT_FONT_SCALE
    val target: Dp = if (large) 60.dp else 48.dp
    MaterialTheme(colorScheme = LinkageColors.scheme, typography = LinkageTypography) {
        CompositionLocalProvider(
            LocalLargeText provides large,
            LocalTouchTarget provides target,
            LocalMinimumInteractiveComponentSize provides target,
            content = content,
        )
    }
}
