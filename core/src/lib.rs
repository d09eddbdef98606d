//! `linkage-core`: the shared Rust core of the Linkage field app (五级联动). It keeps the offline store,
//! applies the workflow rules from `linkage-protocol`, and is exported to Kotlin and Swift with UniFFI
//! proc-macros. The shells render and capture; every rule lives here (or in the protocol crate), once.

uniffi::setup_scaffolding!();

pub mod actions;
pub mod api;
mod autosync;
pub mod clock;
mod directives_api;
mod drafts_api;
pub mod error;
mod facade;
pub mod forms;
pub mod overview;
mod ledger_api;
pub mod messages;
pub mod observe;
pub mod photo;
mod settings_api;
pub mod store;
pub mod sync;

pub use error::{ApiError, PhotoProblem};
pub use autosync::{ScheduledSyncResult, SyncStateObserver, SyncStatus};
pub use drafts_api::{Draft, DraftFields, SubmittedRecord};
pub use facade::{gcj02_to_wgs84, wgs84_to_gcj02, FieldApp};
pub use settings_api::{BackgroundSyncGuide, BrandGuide, LanguageChoice, SettingsPage, SignOutCheck, TextScaleChoice, TEXT_SCALES};
pub use ledger_api::{HouseholdFilterChoices, RiskChoice, TagChoice, VisitPage};
pub use observe::{ChangeObserver, ChangeTopic};
pub use sync::CallbackError;
pub use store::DraftKind;
pub use sync::schedule::{SchedulePolicy, SyncState};
