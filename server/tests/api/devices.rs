//! Device tokens (OWASP "device cookies"): a guessing attack from elsewhere
//! cannot lock a person out of the devices they already use.

use jotpass_shared::TokenResponse;
use reqwest::{Method, StatusCode};

use crate::helpers::{
    PASSWORD, TestApp, assert_error, run_cli, spawn_app, spawn_app_with, unique_name,
};

/// A server with a small login limit that trusts `X-Forwarded-For`, so that
/// each test can log in from several addresses.
async fn limited() -> TestApp {
    spawn_app_with(&[
        ("JOTPASS_LOGIN_LIMIT", "3/5m"),
        ("JOTPASS_TRUST_PROXY", "true"),
    ])
    .await
}

/// A fresh user and the device token of their first login, from `addr`.
async fn user_with_device(app: &TestApp, addr: &str) -> (String, String) {
    let name = unique_name("device");
    assert_eq!(
        app.register(&name, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let response = app.login_from(addr, &name, PASSWORD, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    (name, tokens.device_token.unwrap().into_inner())
}

/// Three wrong passwords for `name` from `addr`: the username is locked.
async fn lock_out(app: &TestApp, addr: &str, name: &str) {
    for _ in 0..3 {
        let response = app.login_from(addr, name, "not the password", None).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = app.login_from("192.0.2.200", name, PASSWORD, None).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn every_login_hands_out_a_device_token_and_a_refresh_none() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let device = user.device_token();
    assert!(device.len() >= 43, "256 bits");
    assert_ne!(device, user.refresh_token());
    let refreshed: TokenResponse = app
        .refresh(user.refresh_token())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refreshed.device_token, None);
    // A login that presents a valid device token gets the same one back.
    let response = app
        .send(
            Method::POST,
            "/api/auth/token",
            &serde_json::json!({ "username": user.name, "password": PASSWORD, "device_token": device }),
        )
        .await;
    let again: TokenResponse = response.json().await.unwrap();
    assert_eq!(again.device_token.unwrap().expose(), device);
}

#[tokio::test]
async fn a_valid_device_token_gets_past_a_username_lockout_while_a_strangers_attempts_stay_429() {
    let app = limited().await;
    let (name, device) = user_with_device(&app, "198.51.100.1").await;
    lock_out(&app, "203.0.113.9", &name).await;

    // The owner, from a third address, with the device token: in.
    let response = app
        .login_from("198.51.100.2", &name, PASSWORD, Some(&device))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // The stranger, even with the right password, stays locked out.
    let response = app.login_from("203.0.113.9", &name, PASSWORD, None).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let response = app.login_from("203.0.113.10", &name, PASSWORD, None).await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn a_device_token_has_its_own_count_and_the_address_count_still_applies() {
    let app = limited().await;
    let (name, device) = user_with_device(&app, "198.51.100.1").await;
    // Wrong passwords with the device token count against the device token…
    for _ in 0..3 {
        let response = app
            .login_from("198.51.100.3", &name, "not the password", Some(&device))
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = app
        .login_from("198.51.100.4", &name, PASSWORD, Some(&device))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // …and not against the username, which still logs in without it…
    let response = app.login_from("198.51.100.5", &name, PASSWORD, None).await;
    assert_eq!(response.status(), StatusCode::OK);

    // …while an address that failed too often is refused, device token or not.
    let (other, other_device) = user_with_device(&app, "198.51.100.6").await;
    for i in 0..3 {
        app.login_from(
            "203.0.113.50",
            &format!("nobody{i}"),
            "wrong password",
            None,
        )
        .await;
    }
    let response = app
        .login_from("203.0.113.50", &other, PASSWORD, Some(&other_device))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn an_invalid_or_foreign_device_token_is_ignored_without_a_hint() {
    let app = limited().await;
    let (name, _) = user_with_device(&app, "198.51.100.1").await;
    let (_, foreign) = user_with_device(&app, "198.51.100.2").await;
    // Not locked: a bad device token changes nothing, and says nothing.
    for bad in ["", "not-a-device-token", foreign.as_str()] {
        let response = app
            .login_from("198.51.100.7", &name, PASSWORD, Some(bad))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{bad:?}");
        let tokens: TokenResponse = response.json().await.unwrap();
        assert_ne!(tokens.device_token.unwrap().expose(), bad);
    }
    // Locked: a foreign device token does not open it.
    lock_out(&app, "203.0.113.9", &name).await;
    let response = app
        .login_from("198.51.100.8", &name, PASSWORD, Some(&foreign))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn an_expired_device_token_is_ignored() {
    let app = limited().await;
    let (name, device) = user_with_device(&app, "198.51.100.1").await;
    app.clock.advance(90 * 86_400);
    lock_out(&app, "203.0.113.9", &name).await;
    let response = app
        .login_from("198.51.100.2", &name, PASSWORD, Some(&device))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn a_password_change_keeps_this_devices_token_and_revokes_the_others() {
    let app = limited().await;
    let name = unique_name("changer");
    app.register(&name, PASSWORD).await;
    let here: TokenResponse = app
        .login_from("198.51.100.1", &name, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let there: TokenResponse = app
        .login_from("198.51.100.2", &name, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let new_password = "a changed long passphrase";
    let response = app
        .change_password(here.token.expose(), PASSWORD, new_password)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    lock_out(&app, "203.0.113.9", &name).await;
    let kept = here.device_token.unwrap().into_inner();
    let revoked = there.device_token.unwrap().into_inner();
    let response = app
        .login_from("198.51.100.3", &name, new_password, Some(&revoked))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let response = app
        .login_from("198.51.100.3", &name, new_password, Some(&kept))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admins_force_logout_revokes_every_device_token() {
    let app = limited().await;
    let admin = unique_name("root");
    let data_dir = app.dir.path().join("data");
    let vars = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
    ];
    let out = run_cli(
        app.dir.path(),
        &vars,
        &["user", "add", &admin, "--admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success());
    let admin: TokenResponse = app
        .login_from("198.51.100.9", &admin, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();

    let (name, device) = user_with_device(&app, "198.51.100.1").await;
    let user: TokenResponse = app
        .login_from("198.51.100.1", &name, PASSWORD, Some(&device))
        .await
        .json()
        .await
        .unwrap();
    let response = app.force_logout(admin.token.expose(), &user.user.id).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    lock_out(&app, "203.0.113.9", &name).await;
    let response = app
        .login_from("198.51.100.1", &name, PASSWORD, Some(&device))
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn a_basic_login_sends_its_device_token_in_x_device_token() {
    let app = limited().await;
    let (name, device) = user_with_device(&app, "198.51.100.1").await;
    lock_out(&app, "203.0.113.9", &name).await;
    use base64::{Engine, engine::general_purpose::STANDARD};
    let basic = STANDARD.encode(format!("{name}:{PASSWORD}"));
    let response = app
        .request(Method::GET, "/api/auth/token")
        .header("authorization", format!("Basic {basic}"))
        .header("x-forwarded-for", "198.51.100.2")
        .header("x-device-token", &device)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: TokenResponse = response.json().await.unwrap();
    assert_eq!(tokens.device_token.unwrap().expose(), &device);
}
