//! The real `jotpass` binary as a process: a server, or a CLI command.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Arc, Mutex},
};

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::json;

/// Starts the real `jotpass` binary in `dir` with `vars` (and nothing
/// inherited but PATH) on a free port; answers the child and its base URL
/// once it listens.
pub(crate) fn start_process(dir: &Path, vars: &[(&str, &str)]) -> (Child, String) {
    let (child, url, _log) = start_process_logged(dir, vars);
    (child, url)
}

/// What a server process has logged so far, line by line.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// [`start_process`], keeping every line the server logs.
pub(crate) fn start_process_logged(dir: &Path, vars: &[(&str, &str)]) -> (Child, String, Log) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jotpass"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        // Only a start-up failure is written there (one line, then exit).
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let Some(line) = lines.next() else {
            let mut why = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut why);
            panic!("the server exited before listening: {why}");
        };
        let line = line.unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    let log = Log::default();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(line);
        }
    });
    (child, url, log)
}

/// SIGTERM, then wait.
pub(crate) fn stop_process(child: &mut Child) -> ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

/// Runs `jotpass` with `args` in `dir` with `vars`, `stdin` on its input.
pub(crate) fn run_cli(dir: &Path, vars: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jotpass"))
        .args(args)
        .current_dir(dir)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Registers a fresh user at `url` and logs in once.
pub(crate) async fn user_at(client: &reqwest::Client, url: &str) -> (String, TokenResponse) {
    let name = super::unique_name("proc");
    let body = json!({ "username": name, "password": super::PASSWORD });
    let created = client
        .post(format!("{url}/api/users"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    (name.clone(), login_at(client, url, &name).await.unwrap())
}

pub(crate) async fn login_at(
    client: &reqwest::Client,
    url: &str,
    name: &str,
) -> Result<TokenResponse, reqwest::Error> {
    client
        .post(format!("{url}/api/auth/token"))
        .json(&json!({ "username": name, "password": super::PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}
