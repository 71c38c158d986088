//! The API test suite: one binary, each test against its own real server on
//! a free port, with a fresh SQLite file, talking HTTP.

mod helpers;

mod account;
mod activity;
mod admin_and_cli;
mod bad_input;
mod config;
mod devices;
mod errors_and_headers;
mod faults;
mod keys;
mod login;
mod mail;
mod mfa;
mod notes;
mod pages;
mod passkeys;
mod refresh;
mod register;
mod scale_out;
mod sessions;
mod token_sources;
mod verification;
