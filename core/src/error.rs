//! Two tiers of errors (as in application-services): a rich internal [`Error`] that keeps causes for tests and
//! logs, and the small public [`ApiError`] the shells see, with actionable variants and no personal data.
//! The one conversion between them is `impl From<Error> for ApiError` below.

use linkage_protocol::rules::directive::DirectiveInputError;
use linkage_protocol::rules::geo::CoordinateError;
use linkage_protocol::rules::RuleError;
use linkage_protocol::validate::FieldError;

use crate::api::{IssueActionKind, IssueState};
use linkage_protocol::labels::Locale;

/// Internal error: everything that can go wrong inside the core, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no user is signed in on this device")]
    NotSignedIn,
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("invalid input: {0}")]
    Field(#[from] FieldError),
    #[error("operation {op_id} was already recorded")]
    DuplicateOperation { op_id: String },
    #[error("the bundle is inconsistent: {0}")]
    Bundle(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("photo: {0}")]
    Photo(#[from] crate::photo::PhotoError),
    #[error("the photo is evidence for a record and cannot be deleted")]
    EvidenceInUse,
    #[error("network: {0}")]
    Network(String),
    #[error("sign in again: {0}")]
    AuthRequired(String),
    #[error("this device was revoked; its local data has been deleted")]
    DeviceRevoked,
    #[error("server refused the request ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("the store cannot be decrypted with this key (or is not a database)")]
    WrongKey,
    #[error("too many attempts or requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the account is locked or disabled: {0}")]
    AccountLocked(String),
    #[error("the initial password must be changed first")]
    PasswordChangeRequired,
    #[error("refusing an unencrypted connection to {0}: use https://")]
    InsecureUrl(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn not_found(entity: &'static str, id: impl Into<String>) -> Error {
        Error::NotFound { entity, id: id.into() }
    }

    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Error {
        Error::Field(FieldError::new(field, problem))
    }
}

impl From<CoordinateError> for Error {
    fn from(e: CoordinateError) -> Error {
        let field = match e {
            CoordinateError::Latitude => "lat",
            CoordinateError::Longitude => "lon",
            CoordinateError::Accuracy => "accuracy_m",
            CoordinateError::FixTime => "fix_time_ms",
        };
        Error::invalid(field, e.to_string())
    }
}

impl From<linkage_protocol::rules::visit::VisitError> for Error {
    fn from(e: linkage_protocol::rules::visit::VisitError) -> Error {
        match e {
            linkage_protocol::rules::visit::VisitError::Field(f) => f.into(),
            linkage_protocol::rules::visit::VisitError::Fix(c) => c.into(),
        }
    }
}

impl From<DirectiveInputError> for Error {
    fn from(e: DirectiveInputError) -> Error {
        match e {
            DirectiveInputError::Rule(r) => Error::Rule(r),
            DirectiveInputError::DueTimeRequired | DirectiveInputError::DueTimeInPast => {
                Error::invalid("due_at_ms", e.to_string())
            }
        }
    }
}

/// The public error every exported call may return. Its fields carry ids, field names and the technical
/// reason (English, for logs and the "详情" line), never personal data. What a user reads comes from
/// [`ApiError::describe`]: a stable code, a plain zh-CN message (English fallback) and what to do next.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// Sign in first (`FieldApp::sign_in`).
    #[error("no user is signed in on this device")]
    NotSignedIn,
    /// The entity does not exist, or lies outside the signed-in user's scope.
    #[error("{entity} {id} not found")]
    NotFound { entity: String, id: String },
    /// The signed-in user may not do this; `rule` is the stable name of the rule (`out_of_scope`,
    /// `not_owner_staff`, ...), `reason` its technical text.
    #[error("not permitted ({rule}): {reason}")]
    NotPermitted { rule: String, reason: String },
    /// The action is not legal from the issue's current state.
    #[error("cannot {action:?} an issue that is {from:?}")]
    IllegalTransition { from: IssueState, action: IssueActionKind },
    /// A step of a directive cascade taken out of order (e.g. relay before acknowledging).
    #[error("not yet possible: {reason}")]
    OutOfOrder { reason: String },
    /// A field of the input is wrong; nothing was stored.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The same operation was already recorded (e.g. a double submit); nothing new was stored.
    #[error("conflict: {reason}")]
    Conflict { reason: String },
    /// The photo cannot be used as evidence; nothing was stored.
    #[error("unusable photo ({problem:?}): {detail}")]
    BadPhoto { problem: PhotoProblem, detail: String },
    /// The server could not be reached or kept failing after retries; everything stays queued. Try later.
    #[error("offline or server unavailable: {reason}")]
    Network { reason: String },
    /// The server needs the user to sign in again (wrong password, expired token).
    #[error("sign-in required: {reason}")]
    AuthRequired { reason: String },
    /// The device was revoked: its local data and photos have been deleted.
    #[error("this device was revoked and its local data deleted")]
    DeviceWiped,
    /// The server refused the request for another reason.
    #[error("server refused ({status}): {reason}")]
    ServerRefused { status: u16, reason: String },
    /// The local database or file system failed; retrying may help, the data already stored is safe.
    #[error("storage failure: {reason}")]
    Storage { reason: String },
    /// The phone store cannot be decrypted with the key given to `FieldApp::open` (another key, a key lost
    /// from the Keystore/Keychain, or a file that is not a store). Nothing was changed.
    #[error("the local store cannot be decrypted with this key")]
    WrongKey,
    /// Too many failed sign-ins (this account or network), or this phone's work cap on the server is used up:
    /// wait `retry_after_secs` seconds. Local data and the outbox are kept.
    #[error("rate limited; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The account is locked after too many failed sign-ins, or disabled: an administrator must unlock it.
    #[error("account locked or disabled: {reason}")]
    AccountLocked { reason: String },
    /// The password was right but is an initial (or reset) one: ask for a new one and call
    /// `FieldApp::connect_with_new_password`.
    #[error("the initial password must be changed")]
    PasswordChangeRequired,
    /// The server address is not `https://` (plain `http://` is refused except to this phone itself or the
    /// emulator's host): nothing was sent.
    #[error("unencrypted connection refused: {host}")]
    InsecureConnection { host: String },
}

/// Why a photo was refused, so the shell can say what to do (retake, pick another file, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoProblem {
    /// The file is empty or could not be read.
    Unreadable,
    /// The file is larger than the limit.
    TooLarge,
    /// The file is cut short (incomplete copy or download).
    Truncated,
    /// Not an image at all.
    NotAnImage,
    /// An image format the core does not take (HEIC must be converted by the shell; GIF, WebP, ...).
    UnsupportedFormat,
    /// The image claims more pixels than allowed (a decompression bomb or a panorama).
    TooManyPixels,
    /// The image data is damaged.
    Corrupt,
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::NotSignedIn => ApiError::NotSignedIn,
            Error::NotFound { entity, id } => ApiError::NotFound { entity: entity.to_string(), id },
            Error::Rule(RuleError::OutOfScope) => ApiError::NotPermitted {
                rule: "out_of_scope".into(),
                reason: "outside the signed-in user's area".into(),
            },
            Error::Rule(RuleError::IllegalTransition { from, action }) => {
                ApiError::IllegalTransition { from, action }
            }
            Error::Rule(RuleError::NotPermitted(d)) => ApiError::NotPermitted { rule: d.code().into(), reason: d.to_string() },
            Error::Rule(RuleError::NoHigherLevel) => {
                ApiError::NotPermitted { rule: "no_higher_level".into(), reason: RuleError::NoHigherLevel.to_string() }
            }
            Error::Rule(RuleError::DirectiveStep(s)) => ApiError::OutOfOrder { reason: s.to_string() },
            Error::Field(f) => ApiError::InvalidInput { field: f.field.to_string(), reason: f.problem },
            Error::Bundle(reason) => ApiError::InvalidInput { field: "bundle".into(), reason },
            Error::DuplicateOperation { op_id } => {
                ApiError::Conflict { reason: format!("operation {op_id} was already recorded") }
            }
            Error::Json(e) => ApiError::InvalidInput { field: "json".into(), reason: e.to_string() },
            Error::EvidenceInUse => ApiError::Conflict { reason: Error::EvidenceInUse.to_string() },
            Error::Photo(p) => photo_error(p),
            Error::Network(reason) => ApiError::Network { reason },
            Error::AuthRequired(reason) => ApiError::AuthRequired { reason },
            Error::DeviceRevoked => ApiError::DeviceWiped,
            Error::Server { status, message } => ApiError::ServerRefused { status, reason: message },
            Error::WrongKey => ApiError::WrongKey,
            Error::RateLimited { retry_after_secs } => ApiError::RateLimited { retry_after_secs },
            Error::AccountLocked(reason) => ApiError::AccountLocked { reason },
            Error::PasswordChangeRequired => ApiError::PasswordChangeRequired,
            Error::InsecureUrl(host) => ApiError::InsecureConnection { host },
            e @ (Error::Sqlite(_) | Error::Io(_) | Error::SchemaTooNew { .. } | Error::Corrupt(_)) => {
                ApiError::Storage { reason: e.to_string() }
            }
        }
    }
}

fn photo_error(e: crate::photo::PhotoError) -> ApiError {
    use crate::photo::PhotoError as P;
    let detail = e.to_string();
    let problem = match e {
        P::Empty => PhotoProblem::Unreadable,
        P::Io(io) if io.kind() == std::io::ErrorKind::NotFound || io.kind() == std::io::ErrorKind::PermissionDenied => {
            PhotoProblem::Unreadable
        }
        P::TooLarge { .. } => PhotoProblem::TooLarge,
        P::Truncated => PhotoProblem::Truncated,
        P::NotAnImage => PhotoProblem::NotAnImage,
        P::Unsupported { .. } => PhotoProblem::UnsupportedFormat,
        P::DimensionsTooLarge { .. } => PhotoProblem::TooManyPixels,
        P::Corrupt { .. } | P::HashMismatch { .. } => PhotoProblem::Corrupt,
        P::Io(_) | P::Encode { .. } => return ApiError::Storage { reason: detail },
    };
    ApiError::BadPhoto { problem, detail }
}

/// The stable code of an error (the `code` of [`ErrorMessage`]). Listed once by the macro, so `ALL` cannot
/// miss a code.
macro_rules! error_codes {
    ($($variant:ident => $name:literal,)*) => {
        /// Stable error codes: the same for every language and release, for logs, support and tests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as text (`invalid_input`, ...).
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }
        }
    };
}

error_codes! {
    NotSignedIn => "not_signed_in",
    NotFound => "not_found",
    NotPermitted => "not_permitted",
    IllegalTransition => "illegal_transition",
    OutOfOrder => "out_of_order",
    InvalidInput => "invalid_input",
    Conflict => "conflict",
    BadPhoto => "bad_photo",
    Network => "network",
    AuthRequired => "auth_required",
    DeviceWiped => "device_wiped",
    ServerRefused => "server_refused",
    Storage => "storage",
    WrongKey => "wrong_key",
    RateLimited => "rate_limited",
    AccountLocked => "account_locked",
    PasswordChangeRequired => "password_change_required",
    InsecureConnection => "insecure_connection",
}

/// The button a screen offers next to an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ErrorAction {
    /// Nothing to do but read it (and correct the form).
    None,
    /// Try again (now or later).
    Retry,
    /// Go to the sign-in screen.
    SignIn,
    /// Take or pick another photo.
    RetakePhoto,
}

/// An error as a user reads it: what happened and what to do next in plain words (zh-CN, English fallback),
/// and the technical detail for the "详情" line only.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorMessage {
    /// Stable code (`ErrorCode::as_str`): for logs and support, never shown as the message.
    pub code: String,
    /// What happened, in the display language.
    pub message: String,
    /// What to do next, in the display language.
    pub next_step: String,
    /// Technical detail (ids, field names, the rule's English text): behind "详情" only. May be empty.
    pub detail: String,
    pub action: ErrorAction,
}

impl Error {
    /// The code the public error for this error carries (the sync bar keeps it for its last failure).
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Error::NotSignedIn => ErrorCode::NotSignedIn,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Rule(RuleError::IllegalTransition { .. }) => ErrorCode::IllegalTransition,
            Error::Rule(RuleError::DirectiveStep(_)) => ErrorCode::OutOfOrder,
            Error::Rule(_) => ErrorCode::NotPermitted,
            Error::Field(_) | Error::Bundle(_) | Error::Json(_) => ErrorCode::InvalidInput,
            Error::DuplicateOperation { .. } | Error::EvidenceInUse => ErrorCode::Conflict,
            Error::Photo(p) => match p {
                crate::photo::PhotoError::Io(io)
                    if !matches!(io.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied) =>
                {
                    ErrorCode::Storage
                }
                crate::photo::PhotoError::Encode { .. } => ErrorCode::Storage,
                _ => ErrorCode::BadPhoto,
            },
            Error::Network(_) => ErrorCode::Network,
            Error::AuthRequired(_) => ErrorCode::AuthRequired,
            Error::DeviceRevoked => ErrorCode::DeviceWiped,
            Error::Server { .. } => ErrorCode::ServerRefused,
            Error::WrongKey => ErrorCode::WrongKey,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::AccountLocked(_) => ErrorCode::AccountLocked,
            Error::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            Error::InsecureUrl(_) => ErrorCode::InsecureConnection,
            Error::Sqlite(_) | Error::Io(_) | Error::SchemaTooNew { .. } | Error::Corrupt(_) => ErrorCode::Storage,
        }
    }
}

#[uniffi::export]
impl ApiError {
    /// The stable code of this error. Pure; any thread.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotSignedIn => ErrorCode::NotSignedIn,
            ApiError::NotFound { .. } => ErrorCode::NotFound,
            ApiError::NotPermitted { .. } => ErrorCode::NotPermitted,
            ApiError::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            ApiError::OutOfOrder { .. } => ErrorCode::OutOfOrder,
            ApiError::InvalidInput { .. } => ErrorCode::InvalidInput,
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::BadPhoto { .. } => ErrorCode::BadPhoto,
            ApiError::Network { .. } => ErrorCode::Network,
            ApiError::AuthRequired { .. } => ErrorCode::AuthRequired,
            ApiError::DeviceWiped => ErrorCode::DeviceWiped,
            ApiError::ServerRefused { .. } => ErrorCode::ServerRefused,
            ApiError::Storage { .. } => ErrorCode::Storage,
            ApiError::WrongKey => ErrorCode::WrongKey,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::AccountLocked { .. } => ErrorCode::AccountLocked,
            ApiError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            ApiError::InsecureConnection { .. } => ErrorCode::InsecureConnection,
        }
    }

    /// What to show the user for this error in `language_tag` (`zh-CN`, or English for any non-`zh` tag):
    /// message, next step, the detail for "详情" and the button to offer. Pure; any thread.
    pub fn describe(&self, language_tag: String) -> ErrorMessage {
        crate::messages::describe(self, Locale::from_tag(&language_tag))
    }
}
