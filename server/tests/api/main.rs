//! Integration tests of the sync server: the real router on 127.0.0.1:0 with a temporary data directory,
//! driven over HTTP with reqwest as a phone would. One binary, a module per area.

mod common;

mod auth;
mod blob_abuse;
mod blobs;
mod branch;
mod bundle;
mod cli;
mod console;
mod console_directives;
mod console_forms;
mod console_issues;
mod console_ledger;
mod county;
mod demo;
mod directive_cli;
mod forms;
mod logs;
mod longpoll;
mod matrix;
mod measures;
mod privacy;
mod push;
mod point_moves;
mod portable;
mod postgres;
mod scope;
mod times;
mod security;
mod transport;
