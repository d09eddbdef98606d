//! Workspace-level integration tests: the public `FieldApp` API as a shell uses it, on real database files.
//! One binary, one module per area. (Phone ↔ server tests join here with the sync server.)

mod common;
mod directives;
mod households;
mod issues;
mod robustness;
