//! The jotpass server.
//!
//! - [`config`]: one typed `Config` from the environment.
//! - [`startup`]: `Application::build`, used by `main` and by the tests.
//! - [`http`]: the routes, one module per API resource, and the layers.
//! - [`accounts`]: the account flows (log in, refresh, change password,
//!   revoke…), called by `http` and `cli`.
//! - [`auth`]: passwords, keys, token issue and verification, the session
//!   check and the one revocation path, limits.
//! - [`mail`]: the mails, the SMTP or `.eml` transport, and the worker that
//!   drains the outbox (and prunes the activity log).
//! - [`db`]: the only module that speaks SQL.
//! - [`error`]: `ApiError`, the only place that builds error responses.
//! - [`secrets`]: random bytes, opaque tokens, secret files.
//! - [`allocator`]: glibc told to give Argon2's 19 MiB blocks back.
//! - [`cli`]: the `jotpass` command (serve, `user add`, `user role`, `keys rotate`).
//!
//! Layers, top to bottom; a module imports only from below it:
//! `cli` → `startup` → `http` → `state` → `accounts` → `mail` → `auth` → `db` →
//! `config`, `clock`, `secrets`, `error`.

pub mod accounts;
pub mod allocator;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod mail;
pub mod secrets;
pub mod startup;
pub mod state;
