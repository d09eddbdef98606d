package cn.linkage.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.viewModels
import cn.linkage.app.ui.LinkageTheme

class MainActivity : ComponentActivity() {
    private val vm: MainViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        setContent {
            LinkageTheme {
                LinkageRoot(vm, onExit = ::finish)
            }
        }
    }

    override fun onResume() {
        super.onResume()
        // Counts may have changed while away (a sync on another screen, time passing for "5 分钟前").
        if (vm.context.value != null) vm.changed()
    }
}
