package cn.linkage.shell

import cn.linkage.core.ApiException
import kotlin.coroutines.cancellation.CancellationException

/** The button to offer next to an error: the core decides it with the message (`ErrorMessage.action`). */
typealias ErrorAction = cn.linkage.core.ErrorAction

/**
 * A display-ready error, as the core words it (`ApiException.describe`): [message] says what happened and
 * [nextStep] what to do, both in the UI language; [detail] is the technical text for the "详情" line only;
 * [action] the button to offer; [code] the stable code (logs, support).
 */
data class UiError(
    val message: String,
    val nextStep: String? = null,
    val detail: String? = null,
    val action: ErrorAction = ErrorAction.NONE,
    val code: String = "",
)

/** The core's words for the error, in the UI language. No table here: a new variant needs no shell change. */
fun ApiException.toUiError(s: Strings): UiError {
    val m = describe(s.lang.tag)
    return UiError(m.message, m.nextStep.ifEmpty { null }, m.detail.ifEmpty { null }, m.action, m.code)
}

/** Any failure of a core call as a [UiError]; cancellation is never swallowed; no class name reaches the user. */
fun Throwable.toUiError(s: Strings): UiError = when (this) {
    is CancellationException -> throw this
    is ApiException -> toUiError(s)
    else -> UiError(s.errUnexpected, s.errUnexpectedNext, action = ErrorAction.RETRY, code = "unexpected")
}
