//! The second factor: TOTP enrolment, the login's second step, recovery
//! codes, replays, limits, and turning it off.

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_error, jwt_part, run_cli, spawn_app, spawn_app_with, totp_code,
};

/// The second step with a TOTP code.
async fn with_code(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.finish_mfa(&json!({ "mfa_token": mfa_token, "code": code }))
        .await
}

#[tokio::test]
async fn an_enrolment_gives_a_secret_a_uri_and_a_qr_code_and_turns_nothing_on_yet() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.start_totp(user.token(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let enrolment: Value = response.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains(&user.name));
    assert!(uri.contains("issuer=jotpass"));
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let status = app.mfa_status(user.token()).await;
    assert_eq!(
        status,
        json!({ "totp": false, "recovery_codes_left": 0, "passkeys": 0 })
    );
    // Still a plain password login.
    let tokens = app.login(&user.name, PASSWORD).await;
    assert_eq!(jwt_part(tokens.token.expose(), 1)["amr"], json!(["pwd"]));
    // The step-up needs the password.
    let response = app.start_totp(user.token(), "not my password").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn confirming_turns_totp_on_with_ten_recovery_codes_and_revokes_the_other_sessions() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let elsewhere = app.login_again(&user).await;
    let response = app.start_totp(user.token(), PASSWORD).await;
    let secret = response.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app.confirm_totp(user.token(), "000000").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.confirm_totp(user.token(), &app.code_now(&secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let codes: Value = response.json().await.unwrap();
    let codes = codes["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<_> = codes.iter().map(|c| c.as_str()).collect();
    assert_eq!(distinct.len(), 10);

    assert_error(
        app.me(elsewhere.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
    let status = app.mfa_status(user.token()).await;
    assert_eq!(
        status,
        json!({ "totp": true, "recovery_codes_left": 10, "passkeys": 0 })
    );

    // On already: a new enrolment or confirmation is a conflict.
    let response = app.start_totp(user.token(), PASSWORD).await;
    assert_error(response, StatusCode::CONFLICT, "conflict").await;
    let response = app.confirm_totp(user.token(), &app.code_now(&secret)).await;
    assert_error(response, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn confirming_without_an_enrolment_is_409() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.confirm_totp(user.token(), "123456").await;
    assert_error(response, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn a_login_with_totp_on_asks_for_the_second_step_and_a_code_finishes_it() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let sessions_before = app.sessions(user.token()).await.len();

    let response = app.login_response(&user.name, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("www-authenticate").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert!(body["message"].is_string());
    let mfa_token = body["mfa_token"].as_str().unwrap();
    assert!(mfa_token.len() >= 43, "256 bits");
    let expires = body["mfa_expires"].as_i64().unwrap();
    assert!((app.clock.now() + 299..=app.clock.now() + 300).contains(&expires));
    // No session was started by the password alone.
    assert_eq!(app.sessions(user.token()).await.len(), sessions_before);

    let response = with_code(&app, mfa_token, &app.code_now(&secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    assert!(tokens.device_token.is_some());
    assert_eq!(
        jwt_part(tokens.token.expose(), 1)["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    assert_eq!(app.me(tokens.token.expose()).await.status(), StatusCode::OK);
    // The amr stays with the session across refreshes.
    let refreshed: TokenResponse = app
        .refresh(tokens.refresh_token.expose())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwt_part(refreshed.token.expose(), 1)["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    // The mfa_token is spent by its success.
    let response = with_code(&app, mfa_token, &app.code_now(&secret)).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn a_basic_login_with_totp_on_gets_mfa_required_too() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.turn_on_totp(&user).await;
    let response = app.basic_login(&user.name, PASSWORD).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert!(body["mfa_token"].is_string());
}

#[tokio::test]
async fn a_code_is_accepted_once_and_codes_of_an_earlier_step_after_it_never() {
    let app = spawn_app().await;
    app.clock.freeze();
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let code = app.code_now(&secret);
    let first = app.mfa_token(&user.name).await;
    assert_eq!(
        with_code(&app, &first, &code).await.status(),
        StatusCode::OK
    );
    // The same code again (a replay within its window) is refused.
    let second = app.mfa_token(&user.name).await;
    let response = with_code(&app, &second, &code).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // So is the previous step's code, which is still within the window.
    let earlier = totp_code(&secret, app.clock.now() - 30);
    let response = with_code(&app, &second, &earlier).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // The next step's code is fine.
    app.clock.advance(30);
    let response = with_code(&app, &second, &app.code_now(&secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn codes_of_one_step_either_side_are_accepted_and_further_ones_not() {
    let app = spawn_app().await;
    app.clock.freeze();
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let now = app.clock.now();
    let token = app.mfa_token(&user.name).await;
    for offset in [-60, 60] {
        let response = with_code(&app, &token, &totp_code(&secret, now + offset)).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = with_code(&app, &token, &totp_code(&secret, now + 30)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_recovery_code_works_once_and_leaves_one_fewer() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (_, codes) = app.turn_on_totp(&user).await;
    let token = app.mfa_token(&user.name).await;
    let response = app
        .finish_mfa(&json!({ "mfa_token": token, "recovery_code": codes[3] }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    assert_eq!(
        jwt_part(tokens.token.expose(), 1)["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    let status = app.mfa_status(tokens.token.expose()).await;
    assert_eq!(status["recovery_codes_left"], 9);
    // Used: refused. Written without dashes and in lower case: the same code.
    let token = app.mfa_token(&user.name).await;
    let loose = codes[3].replace('-', "").to_lowercase();
    let response = app
        .finish_mfa(&json!({ "mfa_token": token, "recovery_code": loose }))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let loose = codes[4].replace('-', " ").to_lowercase();
    let response = app
        .finish_mfa(&json!({ "mfa_token": token, "recovery_code": loose }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_codes_count_as_failed_logins_with_retry_after() {
    let app = spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "3/5m")]).await;
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let token = app.mfa_token(&user.name).await;
    for _ in 0..3 {
        let response = with_code(&app, &token, "000000").await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = with_code(&app, &token, &app.code_now(&secret)).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The username is locked for password logins too.
    let response = app.login_response(&user.name, PASSWORD).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn the_fifth_wrong_code_spends_the_mfa_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let token = app.mfa_token(&user.name).await;
    for _ in 0..5 {
        let response = with_code(&app, &token, "000000").await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = with_code(&app, &token, &app.code_now(&secret)).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn an_mfa_token_expires_after_five_minutes_and_an_unknown_one_is_invalid() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let token = app.mfa_token(&user.name).await;
    app.clock.advance(300);
    let response = with_code(&app, &token, &app.code_now(&secret)).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let response = with_code(&app, "not-an-mfa-token", &app.code_now(&secret)).await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert_eq!(challenge, None);
    // Neither a code nor a recovery code, or both: a bad request body.
    let token = app.mfa_token(&user.name).await;
    for body in [
        json!({ "mfa_token": token }),
        json!({ "mfa_token": token, "code": "1", "recovery_code": "2" }),
    ] {
        let response = app.finish_mfa(&body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
}

#[tokio::test]
async fn another_process_can_finish_an_mfa_token() {
    let first = spawn_app().await;
    let data_dir = first.dir.path().join("data");
    let second = spawn_app_with(&[
        ("DATABASE_URL", &first.database_url),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
    ])
    .await;
    let user = first.new_user().await;
    let (secret, _) = first.turn_on_totp(&user).await;
    second.clock.advance(30);
    let token = first.mfa_token(&user.name).await;
    let response = with_code(&second, &token, &second.code_now(&secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code_and_removes_the_recovery_codes() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, _) = app.turn_on_totp(&user).await;
    let response = app
        .disable_totp(user.token(), "wrong password", &app.code_now(&secret))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.disable_totp(user.token(), PASSWORD, "000000").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app
        .disable_totp(user.token(), PASSWORD, &app.code_now(&secret))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let status = app.mfa_status(user.token()).await;
    assert_eq!(
        status,
        json!({ "totp": false, "recovery_codes_left": 0, "passkeys": 0 })
    );
    // A password is enough again.
    let tokens = app.login(&user.name, PASSWORD).await;
    assert_eq!(jwt_part(tokens.token.expose(), 1)["amr"], json!(["pwd"]));
    let response = app.disable_totp(user.token(), PASSWORD, "123456").await;
    assert_error(response, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn regenerating_recovery_codes_makes_a_new_set_and_kills_the_old_one() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, old) = app.turn_on_totp(&user).await;
    let response = app
        .regenerate_recovery_codes(user.token(), PASSWORD, &app.code_now(&secret))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new: Value = response.json().await.unwrap();
    let new = new["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(new.len(), 10);
    let token = app.mfa_token(&user.name).await;
    let response = app
        .finish_mfa(&json!({ "mfa_token": token, "recovery_code": old[0] }))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app
        .finish_mfa(&json!({ "mfa_token": token, "recovery_code": new[0] }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A recovery code stands in for the code of a step-up too.
    let response = app
        .regenerate_recovery_codes(user.token(), PASSWORD, new[1].as_str().unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_totp_secret_is_stored_only_sealed() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (secret, codes) = app.turn_on_totp(&user).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (stored,): (String,) = sqlx::query_as("SELECT totp_secret FROM users WHERE id = $1")
        .bind(user.id())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!stored.contains(&secret) && !stored.contains(&secret.to_lowercase()));
    let hashes: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM recovery_codes")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 10);
    for (hash,) in hashes {
        assert!(codes.iter().all(|c| !hash.contains(c.as_str())));
    }
    pool.close().await;
}

#[tokio::test]
async fn the_cli_resets_a_lost_second_factor_and_the_admin_sees_who_has_one() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.turn_on_totp(&user).await;
    let data_dir = app.dir.path().join("data");
    let vars = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
    ];
    let admin = crate::helpers::unique_name("root");
    let out = run_cli(
        app.dir.path(),
        &vars,
        &["user", "add", &admin, "--admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success());
    let admin = app.login(&admin, PASSWORD).await;
    let users: Vec<Value> = app
        .admin_users(admin.token.expose())
        .await
        .json()
        .await
        .unwrap();
    let row = users
        .iter()
        .find(|u| u["username"] == user.name.as_str())
        .unwrap();
    assert_eq!(
        (row["totp"].clone(), row["passkeys"].clone()),
        (json!(true), json!(0))
    );

    let out = run_cli(
        app.dir.path(),
        &vars,
        &["user", "mfa-reset", &user.name],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its sessions are revoked (reaching this process within the cache's half second)…
    assert!(
        crate::helpers::eventually(3, || async {
            app.me(user.token()).await.status() == StatusCode::UNAUTHORIZED
        })
        .await
    );
    // …and a password logs in again.
    let tokens = app.login(&user.name, PASSWORD).await;
    assert_eq!(jwt_part(tokens.token.expose(), 1)["amr"], json!(["pwd"]));
    let out = run_cli(
        app.dir.path(),
        &vars,
        &["user", "mfa-reset", "nobody_here"],
        "",
    );
    assert!(!out.status.success());
}
