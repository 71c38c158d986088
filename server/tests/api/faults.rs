//! Proof under faults, with the real binary on a real port: kill -9 in the
//! middle of a write storm, SIGTERM with requests in flight, slow clients, a
//! bounded soak, and (PostgreSQL) the database stopped for a while and TLS.
//! Every loop is bounded in count and time, and talks to 127.0.0.1 only.

use std::{
    net::SocketAddr,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{
    PASSWORD, TEST_SECRET, eventually, fresh_database_url, login_at, postgres_admin_url, spawn_app,
    start_process, stop_process, unique_name, user_at,
};

/// Held by each test that loads the machine for long (the storms and the
/// soak), so they run one at a time. A server's Argon2 threads run at nice 10
/// on purpose (auth/password.rs), so while another test's storm keeps both
/// cores busy at normal priority, a login can wait past the client's
/// timeout: the machine's load, not the behaviour under test.
static MACHINE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Settings for a server that a storm must not trip over.
fn storm_vars(database_url: &str) -> Vec<(&str, &str)> {
    vec![
        ("DATABASE_URL", database_url),
        ("JOTPASS_JWT_SECRET", TEST_SECRET),
        ("JOTPASS_LOGIN_LIMIT", "100000/5m"),
        ("JOTPASS_REGISTER_LIMIT", "100000/1h"),
    ]
}

/// A client with a bound on every request, so that no test can hang.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// What the storm's workers had acknowledged (a 2xx answer) when the server died.
#[derive(Default)]
struct Acknowledged {
    /// (access token, note id, title)
    notes: Vec<(String, String, String)>,
    /// Access tokens of sessions whose logout was answered `204`.
    logouts: Vec<String>,
    /// The last refresh token each refresh worker was handed.
    refreshed: Vec<String>,
}

#[tokio::test]
async fn after_kill_9_mid_storm_every_acknowledged_write_and_revocation_holds() {
    let _machine = MACHINE.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let vars = storm_vars(&database_url);
    let (mut server, url) = start_process(dir.path(), &vars);
    let client = client();
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));

    let mut workers = Vec::new();
    for worker in 0..12 {
        let (client, url, acked, stop) = (client.clone(), url.clone(), acked.clone(), stop.clone());
        let (name, tokens) = user_at(&client, &url).await;
        workers.push(tokio::spawn(async move {
            let mut refresh_token = tokens.refresh_token.expose().clone();
            for i in 0..10_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let done = match worker % 3 {
                    0 => {
                        let title = format!("note {worker}-{i}");
                        let answer = client
                            .post(format!("{url}/api/notes"))
                            .header("x-access-token", tokens.token.expose())
                            .json(&json!({ "title": title, "body": "storm" }))
                            .send()
                            .await;
                        match answer {
                            Ok(r) if r.status() == StatusCode::CREATED => {
                                match r.json::<Value>().await {
                                    Ok(note) => {
                                        let id = note["id"].as_str().unwrap().to_owned();
                                        let token = tokens.token.expose().clone();
                                        acked.lock().unwrap().notes.push((token, id, title));
                                        true
                                    }
                                    Err(_) => false,
                                }
                            }
                            _ => false,
                        }
                    }
                    1 => {
                        let Ok(session) = login_at(&client, &url, &name).await else {
                            break;
                        };
                        let answer = client
                            .post(format!("{url}/api/auth/logout"))
                            .header("x-access-token", session.token.expose())
                            .send()
                            .await;
                        if answer.is_ok_and(|r| r.status() == StatusCode::NO_CONTENT) {
                            acked
                                .lock()
                                .unwrap()
                                .logouts
                                .push(session.token.into_inner());
                            true
                        } else {
                            false
                        }
                    }
                    _ => {
                        let answer = client
                            .post(format!("{url}/api/auth/refresh"))
                            .json(&json!({ "refresh_token": refresh_token }))
                            .send()
                            .await;
                        match answer {
                            Ok(r) if r.status() == StatusCode::OK => {
                                match r.json::<TokenResponse>().await {
                                    Ok(next) => {
                                        refresh_token = next.refresh_token.into_inner();
                                        true
                                    }
                                    Err(_) => false,
                                }
                            }
                            _ => false,
                        }
                    }
                };
                if !done {
                    break;
                }
            }
            if worker % 3 == 2 {
                acked.lock().unwrap().refreshed.push(refresh_token);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }

    let (mut again, url) = start_process(dir.path(), &vars);
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    eprintln!(
        "kill -9 storm: {} notes, {} logouts and 4 refresh chains acknowledged before the kill",
        acked.notes.len(),
        acked.logouts.len()
    );
    assert!(
        acked.notes.len() > 10,
        "the storm wrote: {}",
        acked.notes.len()
    );
    assert!(!acked.logouts.is_empty() && acked.refreshed.len() == 4);
    // First, while a retry is still within its ten seconds:
    for refresh_token in &acked.refreshed {
        // The last token a worker was handed still refreshes (it is unspent,
        // or it was spent by an answer that never arrived: a retry).
        let answer = client
            .post(format!("{url}/api/auth/refresh"))
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            StatusCode::OK,
            "an acknowledged refresh was lost"
        );
    }
    for (token, id, title) in &acked.notes {
        let note: Value = client
            .get(format!("{url}/api/notes/{id}"))
            .header("x-access-token", token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            note["title"],
            title.as_str(),
            "an acknowledged note was lost"
        );
    }
    for token in &acked.logouts {
        let me = client
            .get(format!("{url}/api/me"))
            .header("x-access-token", token)
            .send()
            .await
            .unwrap();
        let body: Value = me.json().await.unwrap();
        assert_eq!(
            body["error"], "token_revoked",
            "an acknowledged logout was lost"
        );
    }
    assert!(stop_process(&mut again).success());
}

#[tokio::test]
async fn sigterm_answers_every_request_in_flight_and_exits_0() {
    let _machine = MACHINE.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let (mut server, url) = start_process(dir.path(), &storm_vars(&database_url));
    let client = client();
    let (name, _) = user_at(&client, &url).await;
    // Logins are slow (Argon2 on a bounded pool): many are in flight at once.
    let logins: Vec<_> = (0..24)
        .map(|_| {
            let (client, url, name) = (client.clone(), url.clone(), name.clone());
            tokio::spawn(async move { login_at(&client, &url, &name).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    for login in logins {
        let tokens = login
            .await
            .unwrap()
            .expect("a complete answer after SIGTERM");
        assert!(!tokens.token.expose().is_empty());
    }
    assert!(server.wait().unwrap().success(), "exit 0");
}

#[tokio::test]
async fn slow_clients_do_not_hold_up_others_and_are_dropped_after_the_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let (mut server, url) = start_process(dir.path(), &storm_vars(&database_url));
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let client = client();
    let (_, tokens) = user_at(&client, &url).await;

    // Hundreds of requests whose headers never end…
    let opened = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nx-access-")
            .await
            .unwrap();
        slow.push(stream);
    }
    // …and one whose body trickles.
    let mut trickle = TcpStream::connect(addr).await.unwrap();
    trickle
        .write_all(
            b"POST /api/notes HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ti",
        )
        .await
        .unwrap();

    // A normal client is answered meanwhile (the bound is generous: this is
    // about not waiting for the slow ones, whose timeout is 10 s).
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let me = client
            .get(format!("{url}/api/me"))
            .header("x-access-token", tokens.token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(5));
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("slow clients: 301 held open; a normal request answered in at most {slowest:?}");

    // After the timeouts every slow connection has been closed by the server.
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(opened.elapsed())).await;
    let mut closed = 0;
    for stream in &mut slow {
        // The end of the stream (or a reset) within a second: closed.
        let mut rest = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut rest)).await;
        if read.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, slow.len(), "every slow connection was dropped");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), trickle.read_to_end(&mut answer))
        .await
        .expect("the trickling request was answered and closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("invalid_request"), "{answer}");
    assert!(stop_process(&mut server).success());
}

/// Sends `POST /api/users` for `name` on a connection of its own, then
/// closes it without reading the answer, while the password is hashed:
/// hyper sees the connection close and drops the request's future.
async fn register_and_leave(addr: SocketAddr, name: &str) {
    let body = json!({ "username": name, "password": PASSWORD }).to_string();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // Long enough for the server to read the request and start hashing
    // (Argon2 takes tens of milliseconds), short enough to leave during it.
    tokio::time::sleep(Duration::from_millis(5)).await;
    drop(stream);
}

#[tokio::test]
async fn a_registration_whose_client_leaves_midway_is_still_made() {
    let app = spawn_app().await;
    let addr: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let name = unique_name("gone");
    // A request that changes state runs in a task of its own, which
    // carries on.
    register_and_leave(addr, &name).await;
    let made = eventually(10, || async {
        app.login_response(&name, PASSWORD).await.status() == StatusCode::OK
    })
    .await;
    assert!(made, "the account was made although its client left");
}

#[tokio::test]
async fn sigterm_waits_for_a_write_whose_client_left() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let (mut server, url) = start_process(dir.path(), &storm_vars(&database_url));
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let name = unique_name("left");
    register_and_leave(addr, &name).await;
    // No connection is open now: only the write's own task holds the exit.
    assert!(stop_process(&mut server).success(), "exit 0");
    let (mut again, url) = start_process(dir.path(), &storm_vars(&database_url));
    let login = login_at(&client(), &url, &name).await;
    assert!(login.is_ok(), "the account was made before the exit");
    assert!(stop_process(&mut again).success());
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_soak_of_mixed_traffic_answers_as_expected_and_keeps_memory_flat() {
    let _machine = MACHINE.lock().await;
    let seconds: u64 = std::env::var("JOTPASS_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let (mut server, url) = start_process(dir.path(), &storm_vars(&database_url));
    let client = client();
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut samples = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let mut workers = Vec::new();
    for worker in 0..8_usize {
        let (client, url, unexpected) = (client.clone(), url.clone(), unexpected.clone());
        let (name, mut tokens) = user_at(&client, &url).await;
        workers.push(tokio::spawn(async move {
            let mut i = 0_usize;
            while Instant::now() < deadline {
                i += 1;
                let token = tokens.token.expose().clone();
                let (what, status) = match (worker + i) % 7 {
                    0 => ("me", client.get(format!("{url}/api/me")).header("x-access-token", &token).send().await),
                    1 => ("create note", client.post(format!("{url}/api/notes")).header("x-access-token", &token)
                        .json(&json!({ "title": format!("soak {i}"), "body": "x".repeat(i % 500) })).send().await),
                    2 => ("list notes", client.get(format!("{url}/api/notes")).header("x-access-token", &token).send().await),
                    3 => ("unknown note", client.get(format!("{url}/api/notes/{}", uuid::Uuid::new_v4())).header("x-access-token", &token).send().await),
                    4 => ("bad token", client.get(format!("{url}/api/me")).header("x-access-token", "not.a.token").send().await),
                    5 => {
                        let answer = client.post(format!("{url}/api/auth/refresh"))
                            .json(&json!({ "refresh_token": tokens.refresh_token.expose() })).send().await;
                        match answer {
                            Ok(r) if r.status() == StatusCode::OK => {
                                tokens = r.json().await.unwrap();
                                continue;
                            }
                            other => ("refresh", other),
                        }
                    }
                    _ if i % 50 == 6 => ("login", client.post(format!("{url}/api/auth/token"))
                        .json(&json!({ "username": name, "password": PASSWORD })).send().await),
                    _ => ("livez", client.get(format!("{url}/livez")).send().await),
                };
                let expected = match what {
                    "create note" => StatusCode::CREATED,
                    "unknown note" => StatusCode::NOT_FOUND,
                    "bad token" => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::OK,
                };
                match status {
                    Ok(r) if r.status() == expected => {}
                    Ok(r) => unexpected.lock().unwrap().push(format!("{what}: {}", r.status())),
                    Err(e) => unexpected.lock().unwrap().push(format!("{what}: {e}")),
                }
            }
        }));
    }
    // Memory once warm, then at the end.
    tokio::time::sleep(Duration::from_secs(seconds / 4)).await;
    samples.push(rss_kib(server.id()));
    for worker in workers {
        worker.await.unwrap();
    }
    samples.push(rss_kib(server.id()));
    let unexpected = unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "{} unexpected: {:?}",
        unexpected.len(),
        &unexpected[..unexpected.len().min(10)]
    );
    let (warm, end) = (samples[0], samples[1]);
    eprintln!("soak: {seconds} s, 8 clients; RSS {warm} KiB once warm, {end} KiB at the end");
    assert!(
        end <= warm + 16 * 1024,
        "memory grew from {warm} KiB to {end} KiB in {seconds} s"
    );
    assert!(stop_process(&mut server).success());
}

/// A PostgreSQL of its own for one test, on a port outside the ephemeral
/// range (so that no outgoing socket takes it while it is stopped).
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
    url: String,
}

impl OwnPostgres {
    fn start(port: u16, tls: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = postgres_script("start", dir.path(), port, tls);
        let url = String::from_utf8(out).unwrap().trim().to_owned();
        Self { dir, port, url }
    }

    fn stop(&self) {
        postgres_script("stop", self.dir.path(), self.port, false);
    }

    fn resume(&self) {
        postgres_script("resume", self.dir.path(), self.port, false);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn postgres_script(command: &str, dir: &Path, port: u16, tls: bool) -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .args([command, dir.to_str().unwrap()])
        .env("PGPORT", port.to_string())
        .env("PG_TLS", if tls { "1" } else { "0" })
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "postgres.sh {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn with_the_database_stopped_requests_answer_503_quickly_and_service_comes_back_by_itself() {
    assert!(
        postgres_admin_url().is_some(),
        "set JOTPASS_TEST_POSTGRES (scripts/test does)"
    );
    let pg = OwnPostgres::start(25433, false);
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = start_process(dir.path(), &storm_vars(&pg.url));
    let client = client();
    let (_, tokens) = user_at(&client, &url).await;
    let token = tokens.token.expose().clone();
    let note = |title: String| {
        client
            .post(format!("{url}/api/notes"))
            .header("x-access-token", &token)
            .json(&json!({ "title": title, "body": "" }))
            .send()
    };
    let mut acked = Vec::new();
    for i in 0..5 {
        let r = note(format!("before {i}")).await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        acked.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    pg.stop();
    let outage = Instant::now();
    // Past the session cache's half second, every request needs the database.
    tokio::time::sleep(Duration::from_millis(600)).await;
    while outage.elapsed() < Duration::from_secs(4) {
        let started = Instant::now();
        let r = note("during".into()).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "answered quickly"
        );
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unavailable");
        let started = Instant::now();
        let health = client.get(format!("{url}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "healthz answered at once"
        );
    }

    pg.resume();
    let back = Instant::now();
    loop {
        let r = note("after".into()).await.unwrap();
        if r.status() == StatusCode::CREATED {
            break;
        }
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "service came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    for id in &acked {
        let r = client
            .get(format!("{url}/api/notes/{id}"))
            .header("x-access-token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "an acknowledged note was lost");
    }
    assert!(stop_process(&mut server).success());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with JOTPASS_TEST_POSTGRES"]
async fn postgres_urls_honour_sslmode() {
    assert!(
        postgres_admin_url().is_some(),
        "set JOTPASS_TEST_POSTGRES (scripts/test does)"
    );
    let pg = OwnPostgres::start(25434, true);
    let root = pg.dir.path().join("root.crt");
    let client = client();
    for query in [
        "sslmode=require".to_owned(),
        format!("sslmode=verify-full&sslrootcert={}", root.display()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("{}?{query}", pg.url);
        let (mut server, url) = start_process(dir.path(), &storm_vars(&database_url));
        let health = client.get(format!("{url}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "{query}");
        user_at(&client, &url).await;
        // The server's own view: jotpass's connections are encrypted.
        let admin = format!("{}?sslmode=require", pg.url);
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let (plain,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND NOT s.ssl",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(plain, 0, "{query}: a connection without TLS");
        assert!(stop_process(&mut server).success());
    }

    // A certificate no root vouches for, or no TLS at all: start-up stops.
    let admin = postgres_admin_url().unwrap();
    for database_url in [
        format!("{}?sslmode=verify-full", pg.url),
        format!("{admin}?sslmode=require"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_jotpass"))
            .current_dir(dir.path())
            .env_clear()
            .env("DATABASE_URL", &database_url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{database_url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("database"), "{stderr}");
    }
}
