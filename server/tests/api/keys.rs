//! EdDSA key rotation: `jotpass keys rotate` never makes a token fail.

use reqwest::StatusCode;

use crate::helpers::{
    PASSWORD, TestApp, eventually, fetch_jwks, jwt_part, run_cli, spawn_app_with,
};

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks = fetch_jwks(&app.client, &app.base).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_rotated_key_is_published_first_and_old_tokens_keep_verifying() {
    let app = spawn_app_with(&[("JOTPASS_JWT_ALG", "EdDSA"), ("JOTPASS_ACCESS_TTL", "60s")]).await;
    let before = app.new_user().await;
    let name = before.name.clone();
    let old_kid = jwt_part(before.token(), 0)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwks_kids(&app).await, std::slice::from_ref(&old_kid));

    let data_dir = app.dir.path().join("data");
    let vars = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("JOTPASS_DATA_DIR", data_dir.to_str().unwrap()),
        ("JOTPASS_JWT_ALG", "EdDSA"),
    ];
    let out = run_cli(app.dir.path(), &vars, &["keys", "rotate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Published at once (within a reload), not yet signing.
    assert!(eventually(3, || async { jwks_kids(&app).await.len() == 2 }).await);
    let new_kid = jwks_kids(&app)
        .await
        .into_iter()
        .find(|k| *k != old_kid)
        .unwrap();
    let still_old = app.login(&name, PASSWORD).await;
    assert_eq!(
        jwt_part(still_old.token.expose(), 0)["kid"],
        old_kid.as_str()
    );

    // Once active, new tokens carry the new kid; the old token still works.
    app.clock.advance(11);
    let signed_new = eventually(3, || async {
        let t = app.login(&name, PASSWORD).await;
        jwt_part(t.token.expose(), 0)["kid"] == new_kid.as_str()
    })
    .await;
    assert!(signed_new, "new tokens are signed with the new key");
    assert_eq!(app.me(before.token()).await.status(), StatusCode::OK);

    // After every token of the old key has expired, it leaves the set.
    app.clock.advance(60 + 10);
    assert!(eventually(3, || async { jwks_kids(&app).await == [new_kid.clone()] }).await);
}

#[tokio::test]
async fn rotation_is_refused_under_hs256() {
    let app = crate::helpers::spawn_app().await;
    let vars = [("DATABASE_URL", app.database_url.as_str())];
    let out = run_cli(app.dir.path(), &vars, &["keys", "rotate"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EdDSA"));
}
