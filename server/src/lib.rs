//! The jotpass server.
//!
//! - [`config`]: one typed `Config` from the environment.
//! - [`startup`]: `Application::build`, used by `main` and by the tests.
//! - [`http`]: the routes, one module per API resource, and the layers.
//! - [`auth`]: passwords, keys, token verification, the session check, limits,
//!   and the `AuthUser`/`AdminUser` extractors.
//! - [`db`]: the only module that speaks SQL.
//! - [`error`]: `ApiError`, the only place that builds error responses.
//! - [`cli`]: the `jotpass` command (serve, `user add`, `user role`).

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod startup;
pub mod state;
