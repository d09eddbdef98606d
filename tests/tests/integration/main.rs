//! Workspace-level integration tests: the public `FieldApp` API as a shell uses it, on real database files.
//! One binary, one module per area; `server` runs the real sync server on loopback for the phone ↔ server
//! modules (`sync_*`), `fault_proxy` sits between them to inject network faults. With `LINKAGE_TEST_DATABASE`
//! naming a PostgreSQL cluster the server runs on a database of its own there (scripts/test.sh's second run),
//! and `several_servers` puts two servers behind one database.

mod accounts;
mod autosync;
mod branch_day;
mod common;
mod county;
mod directives;
mod drafts;
mod fault_proxy;
mod forms;
mod grid_worker_day;
mod households;
mod issues;
mod robustness;
mod server;
mod several_servers;
mod sync_faults;
mod sync_longpoll;
mod sync_merge;
mod sync_photos;
mod sync_story;
mod sync_workflows;
mod township_day;
