package cn.linkage.app

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.core.content.FileProvider
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File

/**
 * Camera capture into app storage (files/camera/, shared with the camera app through the FileProvider).
 * [onPhoto] receives the JPEG's path; the caller hands it to the core (`addEvidence`) and then deletes it.
 * Returns the function that opens the camera.
 */
@Composable
fun rememberCamera(onPhoto: (File) -> Unit): () -> Unit {
    val context = LocalContext.current
    var pending by rememberSaveable { mutableStateOf<String?>(null) }
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val file = pending?.let(::File)
        pending = null
        if (file != null) {
            if (saved && file.length() > 0) onPhoto(file) else file.delete()
        }
    }
    return remember(launcher) {
        {
            val dir = File(context.filesDir, "camera").apply { mkdirs() }
            val file = File(dir, "IMG_${System.currentTimeMillis()}.jpg")
            pending = file.path
            val uri: Uri = FileProvider.getUriForFile(context, "${context.packageName}.files", file)
            launcher.launch(uri)
        }
    }
}

/** A stored thumbnail (320 px, written by the core), decoded off the main thread. */
@Composable
fun rememberThumbnail(path: String): Bitmap? {
    val bitmap by produceState<Bitmap?>(null, path) {
        value = withContext(Dispatchers.IO) { BitmapFactory.decodeFile(path) }
    }
    return bitmap
}
