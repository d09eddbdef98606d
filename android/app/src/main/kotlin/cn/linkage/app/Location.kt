package cn.linkage.app

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Bundle
import android.os.Looper
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.core.content.ContextCompat
import cn.linkage.core.GpsFix
import cn.linkage.shell.LocationProblem

/** A platform location as the core takes it: WGS-84, accuracy in metres, fix time, the mock flag. */
fun Location.toFix(): GpsFix = GpsFix(
    lat = latitude,
    lon = longitude,
    accuracyM = if (hasAccuracy()) accuracy.toDouble() else 9_999.0,
    fixTimeMs = time,
    mocked = if (Build.VERSION.SDK_INT >= 31) isMock else @Suppress("DEPRECATION") isFromMockProvider,
)

/**
 * Live GPS while the calling screen is shown: asks for the location permission once, then delivers each
 * fresh fix (GPS and network providers, every 2 s) to [onFix] — never the last known location, and never a
 * fix timed before the screen started listening (the core grades such a fix stale anyway). What stops a
 * fresh fix (permission denied, approximate location only, GPS switched off) goes to [onProblem] (`null`
 * once all is fine). The core grades fixes; this only captures them.
 */
@Composable
fun LiveLocation(onFix: (GpsFix) -> Unit, onProblem: (LocationProblem?) -> Unit = {}) {
    val context = LocalContext.current
    val latest by rememberUpdatedState(onFix)
    val problem by rememberUpdatedState(onProblem)
    var granted by remember { mutableStateOf(hasLocationPermission(context)) }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { result ->
        granted = result.values.any { it }
    }
    LaunchedEffect(Unit) {
        if (!granted) ask.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
    }
    DisposableEffect(granted) {
        val manager = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
        val since = System.currentTimeMillis()
        val listener = FixListener(
            onFix = { fix -> if (fix.fixTimeMs >= since) latest(fix) },
            onProviderChange = { problem(locationProblem(context, manager)) },
        )
        problem(locationProblem(context, manager))
        if (granted) start(manager, listener)
        onDispose { manager.removeUpdates(listener) }
    }
}

private fun hasLocationPermission(context: Context) =
    ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_FINE_LOCATION) == PackageManager.PERMISSION_GRANTED ||
        ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_COARSE_LOCATION) == PackageManager.PERMISSION_GRANTED

/** What keeps a precise, fresh fix from arriving, or `null`. */
private fun locationProblem(context: Context, manager: LocationManager): LocationProblem? {
    val fine = ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_FINE_LOCATION) == PackageManager.PERMISSION_GRANTED
    val coarse = ContextCompat.checkSelfPermission(context, Manifest.permission.ACCESS_COARSE_LOCATION) == PackageManager.PERMISSION_GRANTED
    return when {
        !fine && !coarse -> LocationProblem.DENIED
        !fine -> LocationProblem.APPROXIMATE_ONLY
        !manager.isProviderEnabled(LocationManager.GPS_PROVIDER) -> LocationProblem.GPS_OFF
        else -> null
    }
}

@SuppressLint("MissingPermission") // checked by the caller
private fun start(manager: LocationManager, listener: FixListener) {
    // No getLastKnownLocation: a cached position proves nothing about where the visitor is now.
    for (provider in listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)) {
        if (!manager.isProviderEnabled(provider)) continue
        manager.requestLocationUpdates(provider, 2_000L, 0f, listener, Looper.getMainLooper())
    }
}

/** All four callbacks implemented: on API < 30 the framework interface has no default methods. */
private class FixListener(private val onFix: (GpsFix) -> Unit, private val onProviderChange: () -> Unit) : LocationListener {
    override fun onLocationChanged(location: Location) = onFix(location.toFix())
    override fun onProviderEnabled(provider: String) = onProviderChange()
    override fun onProviderDisabled(provider: String) = onProviderChange()
    @Deprecated("Deprecated in API 29")
    override fun onStatusChanged(provider: String?, status: Int, extras: Bundle?) {}
}
