//! Workspace-level end-to-end tests live in `tests/integration/`; this library is intentionally empty.
