import Foundation

/// What the UI should offer next to an error message.
public enum ErrorAction: Sendable { case none, retry, signIn, retakePhoto }

/// A typed, display-ready error: `message` in the UI language, `detail` the core's own reason (ids and field
/// names, never personal data), `action` the button to offer. Mirrors the Kotlin shell's `UiError`.
public struct UiError: Equatable, Sendable {
    public let message: String
    public let detail: String?
    public let action: ErrorAction

    public init(_ message: String, detail: String? = nil, action: ErrorAction = .none) {
        self.message = message
        self.detail = detail
        self.action = action
    }
}

extension ApiError {
    /// Maps every variant to a message; the switch is exhaustive, so a new variant fails the build.
    public func toUiError(_ s: Strings) -> UiError {
        switch self {
        case .NotSignedIn: return UiError(s.errNotSignedIn, action: .signIn)
        case let .NotFound(entity, id): return UiError(s.errNotFound, detail: "\(entity) \(id)")
        case let .NotPermitted(reason): return UiError(s.errNotPermitted, detail: reason)
        case let .IllegalTransition(from, action):
            return UiError(s.errIllegalTransition(s.state(from), s.action(action)), action: .retry)
        case let .OutOfOrder(reason): return UiError(s.errOutOfOrder, detail: reason)
        case let .InvalidInput(field, reason): return UiError(s.errInvalidInput(s.field(field)), detail: reason)
        case let .Conflict(reason): return UiError(s.errConflict, detail: reason)
        case let .BadPhoto(problem, detail): return UiError(s.errBadPhoto(problem), detail: detail, action: .retakePhoto)
        case let .Network(reason): return UiError(s.errNetwork, detail: reason, action: .retry)
        case let .AuthRequired(reason): return UiError(s.errAuthRequired, detail: reason, action: .signIn)
        case .DeviceWiped: return UiError(s.errDeviceWiped, action: .signIn)
        case let .ServerRefused(status, reason): return UiError(s.errServerRefused(status), detail: reason, action: .retry)
        case let .Storage(reason): return UiError(s.errStorage, detail: reason, action: .retry)
        }
    }
}

/// Any failure of a core call as a `UiError`.
public func uiError(_ error: Error, _ s: Strings) -> UiError {
    if let api = error as? ApiError { return api.toUiError(s) }
    return UiError(s.errUnexpected, detail: String(describing: type(of: error)))
}
