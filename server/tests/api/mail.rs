//! E-mail (API.md, "E-mail: address, verification, password reset,
//! alerts"): every mail goes through a real SMTP server in the test process
//! (or, by default, to `.eml` files), and every link is followed from the
//! mail received.

use std::time::{Duration, Instant};

use jotpass_server::{config::Config, startup::Application};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Alg, Answer, PASSWORD, SmtpSink, SoftPasskey, TEST_SECRET, TestApp, TestUser, assert_error,
    fresh_database_url, parse_mail, run_cli, spawn_app_with, start_process_logged, stop_process,
    totp_code, user_at,
};

const PUBLIC_URL: &str = "http://app.example:3000";
const VERIFY: &str = "http://app.example:3000/verify-email?token=";
const RESET: &str = "http://app.example:3000/reset?token=";

/// A server that mails through `sink`, with links to [`PUBLIC_URL`].
async fn app_with_sink(sink: &SmtpSink, extra: &[(&str, &str)]) -> TestApp {
    let url = sink.url();
    let mut vars = vec![
        ("JOTPASS_SMTP_URL", url.as_str()),
        ("JOTPASS_PUBLIC_URL", PUBLIC_URL),
        ("JOTPASS_MAIL_FROM", "Jotpass Tests <tests@jotpass.example>"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

/// An address no other test uses.
fn address(user: &TestUser) -> String {
    format!("{}@mail.example", user.name)
}

/// `user` sets `email` and follows the link in the mail: verified.
async fn verify(app: &TestApp, sink: &SmtpSink, user: &TestUser, email: &str) {
    let n = sink.tokens(email, VERIFY).len();
    let response = app.set_email(user.token(), email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let token = sink.wait_for_token(email, VERIFY, n + 1, 10).await;
    let response = app.verify_email(&token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

/// Asks for a reset of `login` and answers the token of the link mailed
/// to `email`.
async fn reset_link(app: &TestApp, sink: &SmtpSink, login: &str, email: &str) -> String {
    let n = sink.tokens(email, RESET).len();
    assert_eq!(
        app.request_reset(login).await.status(),
        StatusCode::ACCEPTED
    );
    sink.wait_for_token(email, RESET, n + 1, 10).await
}

/// A new user with a verified address.
async fn verified_user(app: &TestApp, sink: &SmtpSink) -> (TestUser, String) {
    let user = app.new_user().await;
    let email = address(&user);
    verify(app, sink, &user, &email).await;
    (user, email)
}

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.me(token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Gives the worker time to send anything queued (it is woken at once;
/// this is a generous margin before asserting that nothing came).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn an_address_is_the_users_only_once_the_link_in_the_mail_is_used() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let user = app.new_user().await;
    let fresh = me(&app, user.token()).await;
    assert_eq!(
        (fresh["email"].clone(), fresh["email_verified"].clone()),
        (json!(null), json!(false))
    );

    let email = address(&user);
    let response = app
        .set_email(user.token(), &email.to_uppercase(), PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        me(&app, user.token()).await["email"],
        json!(null),
        "not before the link"
    );

    let mail = sink.wait_for(&email, 1, 10).await.remove(0);
    assert_eq!(mail.from, "\"Jotpass Tests\" <tests@jotpass.example>");
    assert!(mail.subject.contains("Confirm"), "{}", mail.subject);
    let link = mail.link(PUBLIC_URL).unwrap();
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/verify-email?token=")),
        "{link}"
    );
    assert!(mail.html.contains(&link), "the HTML part has the link too");
    let token = mail.token(PUBLIC_URL).unwrap();
    assert_eq!(token.len(), 43, "256 bits, base64url");

    assert_eq!(
        app.verify_email(&token).await.status(),
        StatusCode::NO_CONTENT
    );
    let after = me(&app, user.token()).await;
    assert_eq!(after["email"], json!(email), "lower-cased");
    assert_eq!(after["email_verified"], json!(true));
    // The token response's user has it too.
    assert_eq!(
        app.login_again(&user).await.tokens.user.email.as_deref(),
        Some(email.as_str())
    );

    // Single use; unknown tokens are the same answer.
    assert_error(
        app.verify_email(&token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert_error(
        app.verify_email("not-a-token").await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn a_verification_link_expires_after_24_hours() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let user = app.new_user().await;
    let email = address(&user);
    app.set_email(user.token(), &email, PASSWORD).await;
    let token = sink.wait_for(&email, 1, 10).await[0]
        .token(PUBLIC_URL)
        .unwrap();
    app.clock.advance(24 * 3600 + 1);
    assert_error(
        app.verify_email(&token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn setting_an_address_needs_the_password_and_a_real_address() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let user = app.new_user().await;
    let email = address(&user);
    assert_error(
        app.set_email(user.token(), &email, "wrong password here")
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    for bad in [
        "",
        "nobody",
        "a@b",
        "two@@example.com",
        "x@example.com\r\nBcc: y@example.com",
    ] {
        let response = app.set_email(user.token(), bad, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"]["email"].is_string(), "{body}");
    }
    let response = app
        .send(
            Method::PUT,
            "/api/me/email",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    settle().await;
    assert!(sink.mails().is_empty(), "nothing was mailed");
}

#[tokio::test]
async fn an_address_verified_by_one_account_is_never_attached_to_another() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (alice, email) = verified_user(&app, &sink).await;
    let before = sink.mails_to(&email).len();

    // Bob asks for Alice's address: the same 202, and Alice is told.
    let bob = app.new_user().await;
    let response = app.set_email(bob.token(), &email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(response.text().await.unwrap(), "");
    let mails = sink.wait_for(&email, before + 1, 10).await;
    let note = &mails[before];
    assert!(note.text.contains(&alice.name), "{}", note.text);
    assert!(
        note.token(PUBLIC_URL).is_none(),
        "no link that would attach it"
    );
    assert_eq!(me(&app, bob.token()).await["email"], json!(null));

    // Two accounts with pending links for one new address: the first to
    // verify gets it; the other link is dead.
    let carol = app.new_user().await;
    let dave = app.new_user().await;
    let shared = format!("shared.{}@mail.example", carol.name);
    app.set_email(carol.token(), &shared, PASSWORD).await;
    app.set_email(dave.token(), &shared, PASSWORD).await;
    let mails = sink.wait_for(&shared, 2, 10).await;
    let tokens: Vec<String> = mails.iter().map(|m| m.token(PUBLIC_URL).unwrap()).collect();
    assert_eq!(
        app.verify_email(&tokens[0]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_error(
        app.verify_email(&tokens[1]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let mut verified = 0;
    for owner in [&carol, &dave] {
        if me(&app, owner.token()).await["email"] == json!(shared) {
            verified += 1;
        }
    }
    assert_eq!(verified, 1, "exactly one account has the address");
}

#[tokio::test]
async fn a_reset_link_sets_the_password_and_ends_every_session() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (user, email) = verified_user(&app, &sink).await;
    let other = app.login_again(&user).await;
    let token = reset_link(&app, &sink, &user.name, &email).await;
    let mail = sink
        .mails_to(&email)
        .into_iter()
        .find(|m| m.token(RESET).as_deref() == Some(token.as_str()))
        .unwrap();
    assert!(mail.subject.contains("Reset"), "{}", mail.subject);
    assert!(mail.text.contains("30 minutes"), "{}", mail.text);

    // The same input rules as everywhere; a refused password keeps the link.
    let response = app.confirm_reset(&token, "short", &json!({})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(body["fields"]["new_password"].is_string(), "{body}");

    let new_password = "a brand new passphrase";
    let response = app.confirm_reset(&token, new_password, &json!({})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    for session in [&user, &other] {
        assert_error(
            app.me(session.token()).await,
            StatusCode::UNAUTHORIZED,
            "token_revoked",
        )
        .await;
        assert_error(
            app.refresh(session.refresh_token()).await,
            StatusCode::UNAUTHORIZED,
            "token_revoked",
        )
        .await;
    }
    assert_error(
        app.login_response(&user.name, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.login(&user.name, new_password).await;
    // Device tokens went with the sessions: the old one no longer lets a
    // login skip the username's lockout.
    let response = app
        .login_from(
            "198.51.100.1",
            &user.name,
            new_password,
            Some(user.device_token()),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh: Value = response.json().await.unwrap();
    assert_ne!(
        fresh["device_token"],
        json!(user.device_token()),
        "a new one was issued"
    );

    // Single use.
    assert_error(
        app.confirm_reset(&token, "yet another passphrase", &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    // And the person is told, at the address.
    assert!(
        crate::helpers::eventually(10, || async {
            sink.mails_to(&email).iter().any(|m| {
                m.subject.contains("password was reset")
                    && m.text.contains(&format!("{PUBLIC_URL}/sessions"))
            })
        })
        .await,
        "a reset alert"
    );
}

#[tokio::test]
async fn a_reset_by_address_works_and_older_links_die_with_the_reset() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (user, email) = verified_user(&app, &sink).await;
    let first = reset_link(&app, &sink, &email.to_uppercase(), &email).await;
    let second = reset_link(&app, &sink, &user.name, &email).await;
    assert_eq!(
        app.confirm_reset(&second, "the second link wins", &json!({}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_error(
        app.confirm_reset(&first, "the first link is dead", &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn a_reset_link_expires_after_30_minutes() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (user, email) = verified_user(&app, &sink).await;
    let token = reset_link(&app, &sink, &user.name, &email).await;
    app.clock.advance(30 * 60 + 1);
    assert_error(
        app.confirm_reset(&token, "too late for this", &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    app.login_again(&user).await;
}

#[tokio::test]
async fn a_reset_does_not_bypass_totp() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (user, email) = verified_user(&app, &sink).await;
    let (secret, recovery) = app.turn_on_totp(&user).await;
    let token = reset_link(&app, &sink, &user.name, &email).await;

    // No code: mfa_required, with no mfa_token (the code goes with this request).
    let response = app
        .confirm_reset(&token, "a brand new passphrase", &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert!(body.get("mfa_token").is_none(), "{body}");

    // A wrong code: invalid_credentials, and the link still works.
    let response = app
        .confirm_reset(
            &token,
            "a brand new passphrase",
            &json!({ "code": "000000" }),
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let code = totp_code(&secret, app.clock.now());
    let response = app
        .confirm_reset(&token, "a brand new passphrase", &json!({ "code": code }))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // TOTP is still on: the new password leads to the second step.
    let response = app
        .login_response(&user.name, "a brand new passphrase")
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "mfa_required").await;

    // A recovery code does it too, once.
    let token = reset_link(&app, &sink, &user.name, &email).await;
    let body = json!({ "recovery_code": recovery[0] });
    assert_eq!(
        app.confirm_reset(&token, "another new passphrase", &body)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let token = reset_link(&app, &sink, &user.name, &email).await;
    assert_error(
        app.confirm_reset(&token, "a third new passphrase", &body)
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let kinds = activity_of(&app, &user.name, "another new passphrase", &secret).await;
    assert!(kinds.contains(&"mfa_failed".to_owned()), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| *k == "password_reset").count(),
        2,
        "{kinds:?}"
    );
}

/// The kinds of a TOTP user's activity, through a full login.
async fn activity_of(app: &TestApp, name: &str, password: &str, secret: &str) -> Vec<String> {
    app.clock.advance(30);
    let response = app.login_response(name, password).await;
    let body: Value = response.json().await.unwrap();
    let mfa_token = body["mfa_token"].as_str().unwrap();
    let code = totp_code(secret, app.clock.now());
    let response = app
        .finish_mfa(&json!({ "mfa_token": mfa_token, "code": code }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    app.activity_kinds(tokens["token"].as_str().unwrap()).await
}

#[tokio::test]
async fn the_reset_answer_is_the_same_for_every_login() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[("JOTPASS_LOGIN_LIMIT", "1000/1m")]).await;
    let (real, email) = verified_user(&app, &sink).await;
    let unverified = app.new_user().await;
    app.set_email(unverified.token(), &address(&unverified), PASSWORD)
        .await;
    let logins = [
        real.name.clone(),
        email.clone(),
        unverified.name.clone(),
        address(&unverified),
        "nobody_by_this_name".to_owned(),
        "nobody@mail.example".to_owned(),
        "not a login at all \u{0}".to_owned(),
    ];
    let mut answers = Vec::new();
    for login in &logins {
        let response = app.request_reset(login).await;
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(k, _)| *k != "date")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        answers.push((status, headers, response.bytes().await.unwrap()));
    }
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    for (login, answer) in logins.iter().zip(&answers) {
        assert_eq!(answer, &answers[0], "the answer for {login:?}");
    }
    // Only the real, verified account got a link.
    settle().await;
    let with_links: Vec<_> = sink
        .mails()
        .into_iter()
        .filter(|m| m.link(&format!("{PUBLIC_URL}/reset")).is_some())
        .collect();
    assert_eq!(
        with_links.len(),
        2,
        "for the username and the address of the real one"
    );
    assert!(with_links.iter().all(|m| m.to == [email.clone()]));

    // About the same time: medians of many requests, interleaved.
    let mut real_ms = Vec::new();
    let mut unknown_ms = Vec::new();
    for i in 0..25 {
        for (login, times) in [
            (real.name.as_str(), &mut real_ms),
            ("nobody_by_this_name", &mut unknown_ms),
        ] {
            let started = Instant::now();
            let response = app.request_reset(login).await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(response.status(), StatusCode::ACCEPTED, "request {i}");
        }
    }
    let (real, unknown) = (median(&mut real_ms), median(&mut unknown_ms));
    eprintln!("password-reset medians: real account {real:.2} ms, unknown {unknown:.2} ms");
    assert!(
        (real - unknown).abs() < 25.0_f64.max(real.max(unknown)),
        "medians {real:.2} ms and {unknown:.2} ms differ by more than noise"
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test]
async fn reset_requests_are_limited_per_login_and_per_address() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(
        &sink,
        &[
            ("JOTPASS_LOGIN_LIMIT", "3/1m"),
            ("JOTPASS_TRUST_PROXY", "true"),
        ],
    )
    .await;
    let from = |addr: &'static str, login: String| {
        let app = &app;
        async move {
            app.request(Method::POST, "/api/auth/password-reset")
                .header("x-forwarded-for", addr)
                .json(&json!({ "login": login }))
                .send()
                .await
                .unwrap()
        }
    };
    // One login from many addresses: the fourth is refused.
    for addr in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        assert_eq!(
            from(addr, "victim".into()).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let response = from("192.0.2.4", "Victim".into()).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Many logins from one address: the fourth is refused.
    for n in 0..3 {
        assert_eq!(
            from("203.0.113.9", format!("someone{n}")).await.status(),
            StatusCode::ACCEPTED
        );
    }
    assert_error(
        from("203.0.113.9", "someone_else".into()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    // The window passes.
    app.clock.advance(61);
    assert_eq!(
        from("192.0.2.4", "victim".into()).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn alerts_go_to_the_verified_address() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[("JOTPASS_TRUST_PROXY", "true")]).await;
    let user = app.new_user().await;
    let old = address(&user);
    verify(&app, &sink, &user, &old).await;
    let count = || sink.mails_to(&old).len();
    let alerts = |from: usize| -> Vec<String> {
        sink.mails_to(&old)[from..]
            .iter()
            .map(|m| m.subject.clone())
            .collect()
    };
    let login = |ua: &'static str, ip: &'static str| {
        let app = &app;
        let name = user.name.clone();
        async move {
            let response = app
                .request(Method::POST, "/api/auth/token")
                .header("user-agent", ua)
                .header("x-forwarded-for", ip)
                .json(&json!({ "username": name, "password": PASSWORD }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let tokens: Value = response.json().await.unwrap();
            tokens["token"].as_str().unwrap().to_owned()
        }
    };
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let firefox_next = "Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0";
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    let start = count();
    login(firefox, "198.51.100.7").await; // new: an alert
    let first = sink.wait_for(&old, start + 1, 10).await.remove(start);
    assert!(first.subject.contains("New sign-in"), "{}", first.subject);
    for expected in [
        "Firefox on Linux",
        "198.51.100.7",
        &format!("{PUBLIC_URL}/sessions"),
    ] {
        assert!(
            first.text.contains(expected),
            "{expected} in {}",
            first.text
        );
    }
    // The same browser family, a new version, the same /24: not new.
    login(firefox_next, "198.51.100.200").await;
    // Another browser, or another block: new.
    login(chrome, "198.51.100.7").await;
    login(firefox, "198.51.101.7").await;
    let token = login(firefox, "2001:db8:5:6:1::1").await;
    login(firefox, "2001:db8:5:6:ffff::2").await; // the same /64
    sink.wait_for(&old, start + 4, 10).await;
    settle().await;
    assert_eq!(count(), start + 4, "{:?}", alerts(start));

    // A password change, TOTP off, a passkey added: each mails.
    let before = count();
    let response = app
        .change_password(&token, PASSWORD, "a changed passphrase")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let token = tokens["token"].as_str().unwrap().to_owned();
    let me_now = TestUser {
        name: user.name.clone(),
        tokens: serde_json::from_value(tokens).unwrap(),
    };
    sink.wait_for(&old, before + 1, 10).await;
    let response = app
        .change_password(&token, "a changed passphrase", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let me_now = TestUser {
        tokens: response.json().await.unwrap(),
        ..me_now
    };
    let (secret, _) = app.turn_on_totp(&me_now).await;
    let code = totp_code(&secret, app.clock.now());
    assert_eq!(
        app.disable_totp(me_now.token(), PASSWORD, &code)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let response = app.passkey_options(me_now.token(), PASSWORD).await;
    let options: Value = response.json().await.unwrap();
    let answer = Answer {
        origin: PUBLIC_URL.into(),
        rp_id: "app.example".into(),
        ..Answer::honest()
    };
    let (_, credential) = SoftPasskey::create(&options["options"], Alg::Es256, &answer);
    let ceremony = options["ceremony"].as_str().unwrap();
    let response = app
        .add_passkey(me_now.token(), ceremony, "My laptop", &credential)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mails = sink.wait_for(&old, before + 4, 10).await;
    let subjects: Vec<&str> = mails[before..].iter().map(|m| m.subject.as_str()).collect();
    assert!(subjects[0].contains("password was changed"), "{subjects:?}");
    assert!(
        subjects[2].contains("Two-factor authentication was turned off"),
        "{subjects:?}"
    );
    assert!(subjects[3].contains("passkey was added"), "{subjects:?}");

    // A new address: the old one is told, the new one gets nothing more.
    let new = format!("new.{old}");
    let before = count();
    verify(&app, &sink, &me_now, &new).await;
    let mails = sink.wait_for(&old, before + 1, 10).await;
    assert!(
        mails[before].subject.contains("e-mail address was changed"),
        "{}",
        mails[before].subject
    );
    assert_eq!(me(&app, me_now.token()).await["email"], json!(new));
}

#[tokio::test]
async fn a_mail_server_that_is_down_delays_mail_and_loses_none() {
    let mut sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[]).await;
    let (user, email) = verified_user(&app, &sink).await;
    let before = sink.mails_to(&email).len();
    sink.stop().await;

    // Requests are answered at once while mail waits.
    let started = Instant::now();
    for _ in 0..3 {
        assert_eq!(
            app.request_reset(&user.name).await.status(),
            StatusCode::ACCEPTED
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.mails_to(&email).len(), before);

    sink.start_again().await;
    // The backoff doubles from 2 s: the next attempt comes within ~16 s.
    sink.wait_for(&email, before + 3, 30).await;
    settle().await;
    assert_eq!(sink.mails_to(&email).len(), before + 3, "none twice");
    let mut tokens = sink.tokens(&email, RESET);
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 3);
}

#[tokio::test]
async fn mail_queued_before_a_crash_is_sent_after_the_restart() {
    let mut sink = SmtpSink::start().await;
    sink.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let smtp = sink.url();
    let vars = [
        ("DATABASE_URL", database_url.as_str()),
        ("JOTPASS_JWT_SECRET", TEST_SECRET),
        ("JOTPASS_SMTP_URL", smtp.as_str()),
        ("JOTPASS_PUBLIC_URL", PUBLIC_URL),
    ];
    let (mut server, url, first_log) = start_process_logged(dir.path(), &vars);
    let client = reqwest::Client::new();
    let (_, tokens) = user_at(&client, &url).await;
    let response = client
        .put(format!("{url}/api/me/email"))
        .header("x-access-token", tokens.token.expose())
        .json(&json!({ "email": "crash@mail.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // The first attempt fails (the mail server is down); then SIGKILL, with
    // the mail waiting for its next attempt. (A process killed in the middle
    // of an attempt leaves a lease, which ends after a minute.)
    let tried = crate::helpers::eventually(10, || async {
        first_log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("mail not sent"))
    })
    .await;
    assert!(tried, "a failed attempt");
    server.kill().unwrap();
    server.wait().unwrap();

    sink.start_again().await;
    let (mut again, _, log) = start_process_logged(dir.path(), &vars);
    let arrived = crate::helpers::eventually(30, || async {
        !sink.mails_to("crash@mail.example").is_empty()
    })
    .await;
    assert!(
        arrived,
        "the mail after the restart; logs:\n{}\n---\n{}",
        first_log.lock().unwrap().join("\n"),
        log.lock().unwrap().join("\n")
    );
    let mails = sink.mails_to("crash@mail.example");
    assert!(mails[0].token(PUBLIC_URL).is_some());
    settle().await;
    assert_eq!(sink.mails_to("crash@mail.example").len(), 1);
    assert!(stop_process(&mut again).success());
}

#[tokio::test]
async fn two_processes_send_each_mail_once() {
    let sink = SmtpSink::start().await;
    let app = app_with_sink(&sink, &[("JOTPASS_LOGIN_LIMIT", "1000/1m")]).await;
    // A second server on the same database and data directory (the same
    // key-encryption key): two mail workers on one outbox.
    let mut vars: Vec<(String, String)> = vec![
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), app.database_url.clone()),
        (
            "JOTPASS_DATA_DIR".into(),
            app.dir.path().join("data").display().to_string(),
        ),
        ("JOTPASS_JWT_SECRET".into(), TEST_SECRET.into()),
        ("JOTPASS_SMTP_URL".into(), sink.url()),
        ("JOTPASS_PUBLIC_URL".into(), PUBLIC_URL.into()),
        ("JOTPASS_LOGIN_LIMIT".into(), "1000/1m".into()),
    ];
    vars.dedup();
    let config =
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap();
    let second = Application::build(config, app.clock.clone()).await.unwrap();
    let second_base = format!("http://{}", second.local_addr());
    tokio::spawn(second.run_until(std::future::pending()));

    let (user, email) = verified_user(&app, &sink).await;
    let before = sink.mails_to(&email).len();
    let n = 20;
    for i in 0..n {
        let base = if i % 2 == 0 { &app.base } else { &second_base };
        let response = app
            .client
            .post(format!("{base}/api/auth/password-reset"))
            .json(&json!({ "login": user.name }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    sink.wait_for(&email, before + n, 30).await;
    settle().await;
    assert_eq!(sink.mails_to(&email).len(), before + n, "none twice");
    let mut tokens = sink.tokens(&email, RESET);
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), n, "each mail exactly once");
}

#[tokio::test]
async fn without_a_mail_server_mails_are_eml_files_and_the_log_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(&dir).await;
    let vars = [
        ("DATABASE_URL", database_url.as_str()),
        ("JOTPASS_JWT_SECRET", TEST_SECRET),
    ];
    let (mut server, url, log) = start_process_logged(dir.path(), &vars);
    let client = reqwest::Client::new();
    let (_, tokens) = user_at(&client, &url).await;
    // The folder is there from start-up, empty until the first mail.
    let outbox = dir.path().join("data").join("outbox");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0);
    let token = tokens.token.expose().as_str();
    let response = client
        .put(format!("{url}/api/me/email"))
        .header("x-access-token", token)
        .json(&json!({ "email": "filed@mail.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let mut file = None;
    for _ in 0..100 {
        file = std::fs::read_dir(&outbox)
            .ok()
            .and_then(|mut entries| entries.next())
            .map(|e| e.unwrap().path());
        if file.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = file.expect("an .eml file in data/outbox");
    assert_eq!(file.extension().unwrap(), "eml");
    let mail = parse_mail(&std::fs::read(&file).unwrap(), vec![]);
    assert!(mail.from.contains("no-reply@localhost"), "{}", mail.from);
    let link = mail
        .link("http://localhost:3000/verify-email?token=")
        .unwrap();
    let verify_token = mail.token("http://localhost:3000/").unwrap();
    let response = client
        .post(format!("{url}/api/auth/verify-email"))
        .json(&json!({ "token": verify_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert!(stop_process(&mut server).success());
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains(&file.display().to_string()),
        "the log names the file:\n{log}"
    );
    for secret in [verify_token.as_str(), link.as_str(), token, PASSWORD] {
        assert!(!log.contains(secret), "the log holds a secret:\n{log}");
    }
}

// The CLI runs as a blocking child process: the sink needs its own thread.
#[tokio::test(flavor = "multi_thread")]
async fn mail_test_sends_through_the_configured_transport() {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = sink.url();
    let out = run_cli(
        dir.path(),
        &[("JOTPASS_SMTP_URL", &smtp)],
        &["mail", "test", "ops@mail.example"],
        "",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sent"), "{stdout}");
    let mails = sink.wait_for("ops@mail.example", 1, 5).await;
    assert!(mails[0].subject.contains("test"), "{}", mails[0].subject);

    // A mail server that is not there: a clear failure.
    let mut gone = SmtpSink::start().await;
    let url = gone.url();
    gone.stop().await;
    let out = run_cli(
        dir.path(),
        &[("JOTPASS_SMTP_URL", &url)],
        &["mail", "test", "ops@mail.example"],
        "",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sending through smtp://127.0.0.1"),
        "{stderr}"
    );

    // No mail server configured: a file in data/outbox/.
    let out = run_cli(dir.path(), &[], &["mail", "test", "ops@mail.example"], "");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(".eml"), "{stdout}");
    let out = run_cli(dir.path(), &[], &["mail", "test", "not-an-address"], "");
    assert!(!out.status.success());
}
