//! Passkeys with a software authenticator: registering with each algorithm,
//! the passwordless login, and every way an answer can be wrong.

use jotpass_shared::TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Alg, Answer, PASSWORD, SoftPasskey, assert_error, jwt_part, spawn_app};

#[tokio::test]
async fn registration_options_ask_for_a_verified_discoverable_passkey_with_eddsa_es256_rs256() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.passkey_options(user.token(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["ceremony"].is_string());
    let options = &body["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost");
    let algorithms: Vec<i64> = options["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algorithms, [-8, -7, -257], "WebAuthn Level 3's order");
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(selection["residentKey"], "required");
    assert!(options["challenge"].as_str().unwrap().len() >= 43);
    // A step-up: the password.
    let response = app.passkey_options(user.token(), "wrong password").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn a_passkey_of_each_algorithm_registers_and_logs_in_alone() {
    let app = spawn_app().await;
    for alg in [Alg::EdDsa, Alg::Es256, Alg::Rs256] {
        let user = app.new_user().await;
        let (mut passkey, id) = app.register_passkey(&user, alg).await;
        let listed = app.passkeys(user.token()).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["id"], id.as_str());
        assert_eq!(listed[0]["name"], "My laptop");
        assert!(listed[0]["created_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(listed[0]["last_used_at"], Value::Null);

        let (ceremony, options) = app.passkey_login_options().await;
        assert_eq!(
            options["publicKey"]["allowCredentials"],
            json!([]),
            "{alg:?}"
        );
        assert_eq!(options["publicKey"]["userVerification"], "required");
        let answer = passkey.get(&options, &Answer::honest());
        let response = app.passkey_login(&ceremony, &answer).await;
        assert_eq!(response.status(), StatusCode::OK, "{alg:?}");
        let tokens: TokenResponse = response.json().await.unwrap();
        assert_eq!(tokens.user.id, user.id());
        assert!(tokens.device_token.is_some());
        assert_eq!(jwt_part(tokens.token.expose(), 1)["amr"], json!(["hwk"]));
        assert_eq!(app.me(tokens.token.expose()).await.status(), StatusCode::OK);
        let listed = app.passkeys(user.token()).await;
        assert!(listed[0]["last_used_at"].is_string(), "{alg:?}");
        // The amr stays across a refresh.
        let refreshed: TokenResponse = app
            .refresh(tokens.refresh_token.expose())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(jwt_part(refreshed.token.expose(), 1)["amr"], json!(["hwk"]));
    }
}

#[tokio::test]
async fn a_passkey_login_asks_no_second_factor_even_with_totp_on() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    app.turn_on_totp(&user).await;
    let (mut passkey, _) = app.register_passkey(&user, Alg::Es256).await;
    let (ceremony, options) = app.passkey_login_options().await;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let status = app.mfa_status(user.token()).await;
    assert_eq!(status["passkeys"], 1);
}

/// A user with one registered passkey, and a login ceremony.
async fn ready_to_log_in(app: &crate::helpers::TestApp) -> (SoftPasskey, String, Value) {
    let user = app.new_user().await;
    let (passkey, _) = app.register_passkey(&user, Alg::Es256).await;
    let (ceremony, options) = app.passkey_login_options().await;
    (passkey, ceremony, options)
}

#[tokio::test]
async fn a_wrong_origin_a_wrong_rp_id_or_no_user_verification_is_refused() {
    let app = spawn_app().await;
    let wrong = [
        Answer {
            origin: "http://evil.example".into(),
            ..Answer::honest()
        },
        Answer {
            rp_id: "evil.example".into(),
            ..Answer::honest()
        },
        Answer {
            user_verified: false,
            ..Answer::honest()
        },
    ];
    for answer in wrong {
        let (mut passkey, ceremony, options) = ready_to_log_in(&app).await;
        let response = app
            .passkey_login(&ceremony, &passkey.get(&options, &answer))
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    // The same for a registration.
    let user = app.new_user().await;
    for answer in [
        Answer {
            origin: "http://evil.example".into(),
            ..Answer::honest()
        },
        Answer {
            user_verified: false,
            ..Answer::honest()
        },
    ] {
        let options: Value = app
            .passkey_options(user.token(), PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        let (_, credential) = SoftPasskey::create(&options["options"], Alg::EdDsa, &answer);
        let response = app
            .add_passkey(
                user.token(),
                options["ceremony"].as_str().unwrap(),
                "x",
                &credential,
            )
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    assert!(app.passkeys(user.token()).await.is_empty());
}

#[tokio::test]
async fn a_ceremony_is_single_use_and_lives_five_minutes() {
    let app = spawn_app().await;
    let (mut passkey, ceremony, options) = ready_to_log_in(&app).await;
    let answer = passkey.get(&options, &Answer::honest());
    assert_eq!(
        app.passkey_login(&ceremony, &answer).await.status(),
        StatusCode::OK
    );
    // Replayed, even with a fresh signature of the same challenge.
    let again = passkey.get(&options, &Answer::honest());
    let response = app.passkey_login(&ceremony, &again).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Expired.
    let (ceremony, options) = app.passkey_login_options().await;
    app.clock.advance(300);
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Unknown.
    let response = app
        .passkey_login(
            "no-such-ceremony",
            &passkey.get(&options, &Answer::honest()),
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn a_signature_counter_that_goes_backwards_is_refused() {
    let app = spawn_app().await;
    let (mut passkey, ceremony, options) = ready_to_log_in(&app).await;
    passkey.counter = 10;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A clone of the authenticator, behind the original.
    passkey.counter = 4;
    let (ceremony, options) = app.passkey_login_options().await;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Moving on from where it was works.
    passkey.counter = 20;
    let (ceremony, options) = app.passkey_login_options().await;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_or_removed_passkey_is_refused_and_removal_needs_the_password() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (mut passkey, id) = app.register_passkey(&user, Alg::EdDsa).await;
    let stranger = app.new_user().await;
    let response = app.remove_passkey(stranger.token(), &id, PASSWORD).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .remove_passkey(user.token(), &id, "wrong password")
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.remove_passkey(user.token(), &id, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(app.passkeys(user.token()).await.is_empty());
    let (ceremony, options) = app.passkey_login_options().await;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn a_registration_ceremony_is_the_users_own_and_names_are_checked() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let stranger = app.new_user().await;
    let options: Value = app
        .passkey_options(user.token(), PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let ceremony = options["ceremony"].as_str().unwrap();
    let (_, credential) = SoftPasskey::create(&options["options"], Alg::Es256, &Answer::honest());
    for name in ["", &"x".repeat(65)] {
        let response = app
            .add_passkey(user.token(), ceremony, name, &credential)
            .await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_input");
        assert!(body["fields"]["name"].is_string());
    }
    let response = app
        .add_passkey(stranger.token(), ceremony, "Stolen", &credential)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // The stranger's attempt spent it: single use.
    let response = app
        .add_passkey(user.token(), ceremony, "Mine", &credential)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn passkey_login_failures_count_against_the_address() {
    let app = crate::helpers::spawn_app_with(&[("JOTPASS_LOGIN_LIMIT", "3/5m")]).await;
    let (mut passkey, _, _) = ready_to_log_in(&app).await;
    for _ in 0..3 {
        let (ceremony, options) = app.passkey_login_options().await;
        let answer = passkey.get(
            &options,
            &Answer {
                user_verified: false,
                ..Answer::honest()
            },
        );
        let response = app.passkey_login(&ceremony, &answer).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let response = app
        .send(
            reqwest::Method::POST,
            "/api/auth/passkey/options",
            &json!({}),
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn deleting_the_account_deletes_its_passkeys() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let (mut passkey, _) = app.register_passkey(&user, Alg::EdDsa).await;
    assert_eq!(
        app.delete_account(user.token(), PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let (ceremony, options) = app.passkey_login_options().await;
    let response = app
        .passkey_login(&ceremony, &passkey.get(&options, &Answer::honest()))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}
