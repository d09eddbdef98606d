//! `linkage-server`: the sync server of Linkage (DESIGN §8–9). Phones push outbox operations, which are judged
//! with the very rules the phone applied offline (`linkage_protocol::rules`), and pull a change feed limited to
//! their node's subtree. Storage sits behind one trait with an embedded SQLite default; admin commands import
//! the org tree and households, add users, revoke devices, and seed a demo county.

pub mod api;
pub mod apply;
pub mod audit;
pub mod auth;
pub mod console;
pub mod county_settings;
pub mod demo;
pub mod directive_cli;
pub mod error;
pub mod forms;
pub mod guard;
pub mod import;
pub mod measures;
pub mod openapi;
pub mod postgres;
pub mod readtx;
pub mod sqlite;
pub mod storage;
pub mod transport;

pub use error::{Error, Result};
