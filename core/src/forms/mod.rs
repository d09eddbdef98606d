//! Questionnaires and checklists on the phone (访谈问卷, 排查表; DESIGN §13, issue #15). The county's forms
//! arrive with the sync feed and are kept per version; a user fills one offline, on its own or as part of a
//! visit (入户走访), and the core holds everything the form screen shows: the form model (the current page of
//! questions with labels, kinds, choices, which are relevant, required and in error, repeat instances,
//! computed values), built from the protocol's one evaluator (`linkage_protocol::forms`, shared with the
//! server) so the shells evaluate nothing. Every answer is stored as it is given (one small write), so a
//! killed app resumes the draft where it was; submitting validates the whole response with the same
//! `validate_response` the server judges it by and writes the response and its outbox operation in one
//! transaction. Image questions take their photos through the evidence pipeline.
//!
//! - [`api`]: the exported records (form model, answers, summaries).
//! - `layout`: pages (top-level groups) and rows of a compiled form, built once per form version.
//! - `store`: the SQLite side — forms, drafts (one row per answer), responses, the evaluation session cache.
//! - `export`: the `FieldApp` calls.

pub mod api;
mod export;
mod layout;
mod store;

pub use api::*;
pub(crate) use store::{persist_form, persist_response, retire_form, FormCache};

#[cfg(test)]
mod tests;
