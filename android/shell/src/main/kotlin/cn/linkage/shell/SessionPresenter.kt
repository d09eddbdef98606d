package cn.linkage.shell

import cn.linkage.core.Capabilities
import cn.linkage.core.Role
import cn.linkage.core.Session

/** The first screen of the signed-in role: the core decides it (`Session.capabilities.home`). */
typealias Home = cn.linkage.core.Home

/** Who is signed in, as the top bar shows it. */
data class SessionView(
    val userId: String,
    val title: String,
    val subtitle: String,
    val role: Role,
    val home: Home,
    /** What this role may do at all (就地解决, inbox, household acknowledgements, directives, triage). */
    val capabilities: Capabilities,
)

fun Session.toView() = SessionView(userId, userName, "$roleLabel · $nodeName", role, capabilities.home, capabilities)

data class SignInState(
    val serverUrl: String = "",
    val userId: String = "",
    val password: String = "",
    /** The server asked for a new password (an initial one): the form shows a second field. */
    val needsNewPassword: Boolean = false,
    val newPassword: String = "",
    val busy: Boolean = false,
    val error: UiError? = null,
    val session: SessionView? = null,
) {
    val canSubmit get() = !busy && serverUrl.isNotBlank() && userId.isNotBlank() && password.isNotEmpty() &&
        (!needsNewPassword || newPassword.isNotEmpty())
}

/** Sign-in and device enrolment (`FieldApp.connect`), and the persisted session on start. */
class SessionPresenter(ctx: ShellContext) : Presenter<SignInState>(SignInState(), ctx) {
    fun setServerUrl(v: String) = update { it.copy(serverUrl = v.trim(), error = null) }
    fun setUserId(v: String) = update { it.copy(userId = v.trim(), error = null) }
    fun setPassword(v: String) = update { it.copy(password = v, error = null) }
    fun setNewPassword(v: String) = update { it.copy(newPassword = v, error = null) }

    /** Restores the session the core persisted (the app starts signed in after a restart). */
    suspend fun restore() {
        val session = core { session() }.getOr { e -> update { it.copy(error = e) } }
        val url = core { outboxStatus() }.getOr { }?.serverUrl
        update { it.copy(session = session?.toView(), serverUrl = url ?: it.serverUrl) }
    }

    /** Enrols the device on the server and downloads the user's area. Network I/O on the core's runtime. */
    suspend fun connect() {
        val form = state.value
        if (!form.canSubmit) return
        update { it.copy(busy = true, error = null) }
        // `connect` is a suspend function running on the core's own runtime: no dispatcher switch needed.
        // An initial password: the core says so (`password_change_required`), the form asks for a new one and
        // the core checks it against the shared policy before sending.
        val result = try {
            if (form.needsNewPassword) {
                Outcome.Ok(app.connectWithNewPassword(form.serverUrl, form.userId, form.password, form.newPassword))
            } else {
                Outcome.Ok(app.connect(form.serverUrl, form.userId, form.password))
            }
        } catch (e: Exception) {
            Outcome.Failed(e.toUiError(s))
        }
        when (result) {
            is Outcome.Ok -> update {
                it.copy(busy = false, password = "", newPassword = "", needsNewPassword = false, session = result.value.toView())
            }
            is Outcome.Failed -> update {
                it.copy(busy = false, error = result.error, needsNewPassword = it.needsNewPassword || result.error.code == "password_change_required")
            }
        }
    }

    /**
     * Signs in locally, without a server, a user of data already on the phone (a demo bundle or a device
     * handed over within one area). Production sign-in is [connect].
     */
    suspend fun signInLocal(userId: String) {
        update { it.copy(busy = true, error = null) }
        when (val r = core { signIn(userId) }) {
            is Outcome.Ok -> update { it.copy(busy = false, session = r.value.toView()) }
            is Outcome.Failed -> update { it.copy(busy = false, error = r.error) }
        }
    }

    suspend fun signOut() {
        core { signOut() }.getOr { e -> update { it.copy(error = e) } }
        update { SignInState(serverUrl = it.serverUrl) }
    }
}
