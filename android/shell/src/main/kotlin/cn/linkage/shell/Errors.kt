package cn.linkage.shell

import cn.linkage.core.ApiException
import kotlin.coroutines.cancellation.CancellationException

/** What the UI should offer next to an error message. */
enum class ErrorAction { NONE, RETRY, SIGN_IN, RETAKE_PHOTO }

/**
 * A typed, display-ready error: [message] in the UI language, [detail] the core's own reason (ids and field
 * names only, never personal data) for a second line, [action] the button to offer.
 */
data class UiError(
    val message: String,
    val detail: String? = null,
    val action: ErrorAction = ErrorAction.NONE,
)

/** Maps every [ApiException] variant to a message; `when` is exhaustive, so a new variant fails the build. */
fun ApiException.toUiError(s: Strings): UiError = when (this) {
    is ApiException.NotSignedIn -> UiError(s.errNotSignedIn, action = ErrorAction.SIGN_IN)
    is ApiException.NotFound -> UiError(s.errNotFound, "$entity $id")
    is ApiException.NotPermitted -> UiError(s.errNotPermitted, reason)
    is ApiException.IllegalTransition -> UiError(s.errIllegalTransition(s.state(from), s.action(action)), action = ErrorAction.RETRY)
    is ApiException.OutOfOrder -> UiError(s.errOutOfOrder, reason)
    is ApiException.InvalidInput -> UiError(s.errInvalidInput(s.field(field)), reason)
    is ApiException.Conflict -> UiError(s.errConflict, reason)
    is ApiException.BadPhoto -> UiError(s.errBadPhoto(problem), detail, ErrorAction.RETAKE_PHOTO)
    is ApiException.Network -> UiError(s.errNetwork, reason, ErrorAction.RETRY)
    is ApiException.AuthRequired -> UiError(s.errAuthRequired, reason, ErrorAction.SIGN_IN)
    is ApiException.DeviceWiped -> UiError(s.errDeviceWiped, action = ErrorAction.SIGN_IN)
    is ApiException.ServerRefused -> UiError(s.errServerRefused(status), reason, ErrorAction.RETRY)
    is ApiException.Storage -> UiError(s.errStorage, reason, ErrorAction.RETRY)
}

/** Any failure of a core call as a [UiError]; cancellation is never swallowed. */
fun Throwable.toUiError(s: Strings): UiError = when (this) {
    is CancellationException -> throw this
    is ApiException -> toUiError(s)
    else -> UiError(s.errUnexpected, this::class.simpleName)
}
