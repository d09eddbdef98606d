import Foundation

/// A display-ready error, as the core words it (`ApiError.describe`): `message` says what happened and
/// `nextStep` what to do, in the UI language; `detail` is the technical text for the "详情" line only;
/// `action` the button to offer (the core's `ErrorAction`); `code` the stable code. Mirrors the Kotlin
/// shell's `UiError`.
public struct UiError: Equatable, Sendable {
    public let message: String
    public let nextStep: String?
    public let detail: String?
    public let action: ErrorAction
    public let code: String

    public init(_ message: String, nextStep: String? = nil, detail: String? = nil, action: ErrorAction = .none, code: String = "") {
        self.message = message
        self.nextStep = nextStep
        self.detail = detail
        self.action = action
        self.code = code
    }
}

extension ApiError {
    /// The core's words for the error, in the UI language. No table here: a new variant needs no shell change.
    public func toUiError(_ s: Strings) -> UiError {
        let m = describe(languageTag: s.lang.tag)
        return UiError(m.message, nextStep: m.nextStep.isEmpty ? nil : m.nextStep,
                       detail: m.detail.isEmpty ? nil : m.detail, action: m.action, code: m.code)
    }
}

/// Any failure of a core call as a `UiError`; no type name reaches the user.
public func uiError(_ error: Error, _ s: Strings) -> UiError {
    if let api = error as? ApiError { return api.toUiError(s) }
    return UiError(s.errUnexpected, nextStep: s.errUnexpectedNext, action: .retry, code: "unexpected")
}
