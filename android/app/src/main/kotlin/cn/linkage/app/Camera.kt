package cn.linkage.app

import android.graphics.BitmapFactory
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.platform.LocalContext
import androidx.core.content.FileProvider
import cn.linkage.app.ui.Images
import cn.linkage.app.ui.LocalImages
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File

/**
 * Camera capture into app storage (files/camera/, shared with the camera app through the FileProvider).
 * [onPhoto] receives the JPEG's path; the caller hands it to the core (the form's draft) and then deletes it.
 * The pending file's path lives in the view model's SavedStateHandle ([MainViewModel.pendingCapture]), so a
 * photo taken while Android killed our process still reaches the resumed form. Returns the function that
 * opens the camera.
 */
@Composable
fun rememberCamera(vm: MainViewModel, onPhoto: (File) -> Unit): () -> Unit {
    val context = LocalContext.current
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val file = vm.pendingCapture?.let(::File)
        vm.pendingCapture = null
        if (file != null) {
            if (saved && file.length() > 0) onPhoto(file) else file.delete()
        }
    }
    return remember(launcher) {
        {
            val dir = File(context.filesDir, "camera").apply { mkdirs() }
            val file = File(dir, "IMG_${System.currentTimeMillis()}.jpg")
            vm.pendingCapture = file.path
            val uri: Uri = FileProvider.getUriForFile(context, "${context.packageName}.files", file)
            launcher.launch(uri)
        }
    }
}

/** The screens' images ([LocalImages]): a stored thumbnail or photo file, decoded off the main thread. */
object AndroidImages : Images {
    @Composable
    override fun load(path: String): ImageBitmap? {
        val bitmap by produceState<ImageBitmap?>(null, path) {
            value = withContext(Dispatchers.IO) { BitmapFactory.decodeFile(path)?.asImageBitmap() }
        }
        return bitmap
    }
}
