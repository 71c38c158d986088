//! Verification of access tokens: each failure and its code and challenge.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, forge, jwt_part, spawn_app, spawn_app_with};

const INVALID: &str = r#"Bearer realm="jotpass", error="invalid_token""#;

async fn assert_invalid(app: &crate::helpers::TestApp, token: &str, what: &str) {
    let challenge = assert_error(
        app.me(token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert_eq!(challenge.as_deref(), Some(INVALID), "{what}");
}

#[tokio::test]
async fn no_token_is_missing_token_with_a_bare_challenge() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/api/me").await;
    let challenge = assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="jotpass""#));
}

#[tokio::test]
async fn every_kind_of_bad_token_is_invalid_token() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let header = jwt_part(user.token(), 0);
    let claims = jwt_part(user.token(), 1);
    // The forging helper makes tokens the server accepts; each case breaks one thing.
    assert_eq!(
        app.me(&forge(&header, &claims)).await.status(),
        StatusCode::OK
    );

    let now = claims["iat"].as_i64().unwrap();
    let with = |name: &str, value: Value| {
        let mut c = claims.clone();
        c[name] = value;
        forge(&header, &c)
    };
    let without = |name: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(name);
        forge(&header, &c)
    };
    let with_header = |h: Value| forge(&h, &claims);
    let kid = header["kid"].clone();

    let mut bad_signature = user.token().to_owned();
    bad_signature.push('A');
    let cases: Vec<(String, &str)> = vec![
        ("not a jwt".into(), "malformed"),
        ("a.b.c".into(), "malformed parts"),
        (bad_signature, "bad signature"),
        (
            with("sub", json!("someone-else")),
            "sub not the session's user",
        ),
        (with("iss", json!("evil")), "wrong iss"),
        (with("iss", json!("JOTPASS")), "iss is case-sensitive"),
        (with("aud", json!("other-api")), "wrong aud"),
        (with("nbf", json!(now + 60)), "nbf in the future"),
        (with("iat", json!(now + 60)), "iat in the future"),
        (
            with("exp", json!(format!("{}", now + 60))),
            "exp of the wrong type",
        ),
        (with("roles", json!("admin")), "roles of the wrong type"),
        (with("sid", json!("no-such-session")), "unknown sid"),
        (without("jti"), "missing jti"),
        (without("sid"), "missing sid"),
        (without("exp"), "missing exp"),
        (
            with_header(json!({"alg": "none", "typ": "JWT", "kid": kid})),
            "alg none",
        ),
        (
            with_header(json!({"alg": "HS512", "typ": "JWT", "kid": kid})),
            "other alg",
        ),
        (
            with_header(json!({"alg": "HS256", "typ": "JWT", "kid": "unknown"})),
            "unknown kid",
        ),
        (
            with_header(json!({"alg": "HS256", "typ": "JWT", "kid": kid, "crit": ["exp"]})),
            "crit",
        ),
        (
            with_header(
                json!({"alg": "HS256", "typ": "JWT", "kid": kid, "jku": "http://127.0.0.1:9/k"}),
            ),
            "jku is never followed (the signature is ours, so only a fetched key could matter)",
        ),
    ];
    for (token, what) in cases {
        if what.starts_with("jku") {
            // jku is ignored: the token is otherwise valid and signed with our key.
            assert_eq!(app.me(&token).await.status(), StatusCode::OK, "{what}");
            continue;
        }
        assert_invalid(&app, &token, what).await;
    }

    // alg=none with an empty signature.
    let unsigned = format!(
        "{}.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({"alg":"none","typ":"JWT"}).to_string()
        ),
        user.token().split('.').nth(1).unwrap()
    );
    assert_invalid(&app, &unsigned, "unsigned").await;
}

#[tokio::test]
async fn the_rfc_7515_example_token_is_not_a_jotpass_token() {
    let app = spawn_app().await;
    // RFC 7515 Appendix A.1: HS256 with the RFC's own key.
    let example = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
        eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.\
        dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_invalid(&app, example, "RFC 7515 A.1").await;
}

#[tokio::test]
async fn an_expired_token_is_token_expired_with_its_description() {
    let app = spawn_app_with(&[("JOTPASS_ACCESS_TTL", "90s")]).await;
    // The test stands on exact second boundaries.
    app.clock.freeze();
    let user = app.new_user().await;
    app.clock.advance(89);
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
    app.clock.advance(1); // exp == now
    let challenge = assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer realm="jotpass", error="invalid_token", error_description="The access token expired""#
        )
    );
}

#[tokio::test]
async fn leeway_extends_expiry_and_tolerates_early_nbf() {
    let app = spawn_app_with(&[("JOTPASS_ACCESS_TTL", "90s"), ("JOTPASS_LEEWAY", "30s")]).await;
    // The test stands on exact second boundaries.
    app.clock.freeze();
    let user = app.new_user().await;
    app.clock.advance(119);
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
    app.clock.advance(1);
    assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;

    let fresh = app.new_user().await;
    let header = jwt_part(fresh.token(), 0);
    let mut claims = jwt_part(fresh.token(), 1);
    let iat = claims["iat"].as_i64().unwrap();
    claims["nbf"] = json!(iat + 20);
    claims["iat"] = json!(iat + 20);
    assert_eq!(
        app.me(&forge(&header, &claims)).await.status(),
        StatusCode::OK
    );
    claims["nbf"] = json!(iat + 40);
    assert_invalid(&app, &forge(&header, &claims), "nbf beyond the leeway").await;
}

#[tokio::test]
async fn a_revoked_session_is_token_revoked_with_its_description() {
    let app = spawn_app().await;
    let user = app.new_user().await;
    let response = app.logout(user.token()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let challenge = assert_error(
        app.me(user.token()).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer realm="jotpass", error="invalid_token", error_description="The access token was revoked""#
        )
    );
}

#[tokio::test]
async fn a_token_of_a_deleted_user_is_invalid_token() {
    let app = spawn_app().await;
    let first = app.new_user().await;
    let second = app.login_again(&first).await;
    let response = app.delete_account(first.token(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_invalid(&app, second.token(), "deleted user").await;
}

#[tokio::test]
async fn a_token_from_another_server_key_is_invalid() {
    let app = spawn_app().await;
    let other = spawn_app_with(&[(
        "JOTPASS_JWT_SECRET",
        "a-completely-different-secret-of-32+bytes",
    )])
    .await;
    let stranger = other.new_user().await;
    assert_invalid(&app, stranger.token(), "foreign key").await;
}

#[tokio::test]
async fn eddsa_tokens_verify_and_the_jwks_publishes_the_key() {
    let app = spawn_app_with(&[("JOTPASS_JWT_ALG", "EdDSA")]).await;
    let user = app.new_user().await;
    assert_eq!(app.me(user.token()).await.status(), StatusCode::OK);
    let header = jwt_part(user.token(), 0);
    assert_eq!(header["alg"], "EdDSA");

    let response = app.call(Method::GET, "/.well-known/jwks.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let jwks: Value = response.json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["kid"], header["kid"]);
    assert!(key.get("d").is_none(), "never the private part");

    // Verify with nothing but the JWK, as another service would.
    let decoding =
        jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["jotpass-api"]);
    validation.set_issuer(&["jotpass"]);
    let data = jsonwebtoken::decode::<Value>(user.token(), &decoding, &validation).unwrap();
    assert_eq!(data.claims["sub"], json!(user.id()));

    // An HS256 token (signed with a secret) is refused by an EdDSA server.
    let hs = spawn_app().await;
    let hs_user = hs.new_user().await;
    assert_invalid(&app, hs_user.token(), "HS256 token on an EdDSA server").await;
}

#[tokio::test]
async fn the_eddsa_key_is_kept_and_reused_across_restarts() {
    let first = spawn_app_with(&[("JOTPASS_JWT_ALG", "EdDSA")]).await;
    let before = crate::helpers::fetch_jwks(&first.client, &first.base).await;
    let data_dir = first.dir.path().join("data");
    let kek = data_dir.join("key_encryption_key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&kek).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A second server on the same data folder and database publishes the same key.
    let second = spawn_app_with(&[
        ("JOTPASS_JWT_ALG", "EdDSA"),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
        ("DATABASE_URL", &first.database_url),
    ])
    .await;
    assert_eq!(
        crate::helpers::fetch_jwks(&second.client, &second.base).await,
        before
    );
    let user = first.new_user().await;
    assert_eq!(second.me(user.token()).await.status(), StatusCode::OK);
}
