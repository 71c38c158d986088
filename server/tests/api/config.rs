//! The real binary's start-up: no settings needed, a bad one stops it with
//! one line naming the variable, the generated secret is kept, SIGTERM stops
//! it gracefully.

use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::{start_process, stop_process, user_at};

#[tokio::test]
async fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("JOTPASS_ACCESS_TTL", "fifteen minutes"),
        ("JOTPASS_JWT_SECRET", "short"),
        ("JOTPASS_TOKEN_SOURCES", "cookie"),
        ("JOTPASS_LOGIN_LIMIT", "lots"),
        ("JOTPASS_JWT_ALG", "RS256"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_jotpass"))
            .current_dir(dir.path())
            .env_clear()
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
        if var == "JOTPASS_JWT_SECRET" {
            assert!(
                !stderr.contains("short\""),
                "the secret is not echoed: {stderr}"
            );
        }
    }
}

#[tokio::test]
async fn with_no_settings_it_serves_and_keeps_its_generated_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = start_process(dir.path(), &[]);
    let client = reqwest::Client::new();
    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // The default database and secret live in ./data.
    assert!(dir.path().join("data/jotpass.db").exists());
    use std::os::unix::fs::PermissionsExt;
    let data_mode = std::fs::metadata(dir.path().join("data"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(data_mode & 0o777, 0o700);
    let secret = dir.path().join("data/jwt_secret");
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let (_, tokens) = user_at(&client, &url).await;
    assert!(
        stop_process(&mut server).success(),
        "SIGTERM is a clean stop"
    );

    // Restarted on the same folder: same secret, same database, token still good.
    let (mut again, url) = start_process(dir.path(), &[]);
    let me = client
        .get(format!("{url}/api/me"))
        .header("x-access-token", tokens.token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert!(stop_process(&mut again).success());
}
