//! The only HTTP code of the client: every call to the jotpass API goes
//! through the private `send` below.
//!
//! This replaces the article's `Backbone.sync` override. Calls that need a
//! user exist only on [`AuthedApi`], which can only be made from an access
//! token, and `send` adds `x-access-token` whenever it has one, so no page
//! can forget the header. Non-2xx answers become an [`ApiError`] carrying the
//! server's error body, which pages match on.

use jotpass_shared::{
    ActivityEvent, AdminUser, CeremonyOptions, ChangePasswordRequest, CodeRequest,
    CredentialsRequest, DeleteAccountRequest, EmailRequest, ErrorBody, ErrorCode, MfaRequest,
    MfaStatus, Note, NoteRequest, Passkey, PasskeyLogin, PasskeyRegistration,
    PasswordAndCodeRequest, PasswordRequest, PasswordResetConfirm, PasswordResetRequest,
    RecoveryCodes, RefreshRequest, Session, TokenRequest, TokenResponse, TotpEnrolment, User,
};
use reqwasm::http::{Method, Request, Response};
use serde::{Serialize, de::DeserializeOwned};

/// Why an API call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The server answered with an error body.
    Server {
        status: u16,
        body: ErrorBody,
        /// `Retry-After`, in seconds, on `429`.
        retry_after: Option<u64>,
    },
    /// No answer, or one that could not be read.
    Network(String),
    /// The browser itself refused (a passkey ceremony); the message says why.
    Browser(String),
}

/// A split-off part of the app's code (a WASM module) could not be fetched:
/// to the caller that is the network failing, which never ends a session.
/// The next call fetches it again.
impl From<leptos::wasm_split::SplitLoaderError> for ApiError {
    fn from(e: leptos::wasm_split::SplitLoaderError) -> Self {
        Self::Network(e.to_string())
    }
}

impl ApiError {
    /// The server's error code, if the server answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { body, .. } => Some(body.error),
            Self::Network(_) | Self::Browser(_) => None,
        }
    }

    /// The `mfa_token` of an `mfa_required` answer.
    pub fn mfa_token(&self) -> Option<String> {
        match self {
            Self::Server { body, .. } => body.mfa_token.as_ref().map(|t| t.expose().clone()),
            _ => None,
        }
    }

    /// A sentence for the person.
    pub fn message(&self) -> String {
        match self {
            Self::Server {
                body,
                retry_after: Some(secs),
                ..
            } if body.error == ErrorCode::RateLimited => {
                format!("Too many attempts. Try again in {secs} seconds.")
            }
            Self::Server { body, .. } => body.message.clone(),
            Self::Network(_) => "The server could not be reached. Try again.".to_owned(),
            Self::Browser(why) => why.clone(),
        }
    }

    /// The message about one field of an `invalid_input` answer.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Server { body, .. } => body.fields.as_ref()?.get(name).map(str::to_owned),
            Self::Network(_) | Self::Browser(_) => None,
        }
    }

    /// What the client answers itself when it holds no session.
    pub fn not_logged_in() -> Self {
        Self::Server {
            status: 401,
            body: ErrorBody {
                error: ErrorCode::MissingToken,
                message: "You are not logged in.".to_owned(),
                fields: None,
                mfa_token: None,
                mfa_expires: None,
            },
            retry_after: None,
        }
    }
}

/// The calls anyone may make.
pub struct Api;

impl Api {
    pub async fn register(req: CredentialsRequest) -> Result<User, ApiError> {
        json(send(Method::POST, "/api/users", None, Some(&req)).await?).await
    }

    pub async fn login(req: CredentialsRequest) -> Result<TokenResponse, ApiError> {
        json(send(Method::POST, "/api/auth/token", None, Some(&req)).await?).await
    }

    pub async fn refresh(refresh_token: String) -> Result<TokenResponse, ApiError> {
        let req = RefreshRequest {
            refresh_token: refresh_token.into(),
        };
        json(send(Method::POST, "/api/auth/refresh", None, Some(&req)).await?).await
    }

    /// The second step of a login (TOTP on).
    pub async fn finish_mfa(req: MfaRequest) -> Result<TokenResponse, ApiError> {
        json(send(Method::POST, "/api/auth/mfa", None, Some(&req)).await?).await
    }

    pub async fn passkey_login_options() -> Result<CeremonyOptions, ApiError> {
        let body = serde_json::json!({});
        json(send(Method::POST, "/api/auth/passkey/options", None, Some(&body)).await?).await
    }

    pub async fn passkey_login(req: PasskeyLogin) -> Result<TokenResponse, ApiError> {
        json(send(Method::POST, "/api/auth/passkey", None, Some(&req)).await?).await
    }

    /// Asks for a reset link (the answer never says whether it was sent).
    pub async fn request_reset(req: PasswordResetRequest) -> Result<(), ApiError> {
        empty(send(Method::POST, "/api/auth/password-reset", None, Some(&req)).await?).await
    }

    pub async fn confirm_reset(req: PasswordResetConfirm) -> Result<(), ApiError> {
        let path = "/api/auth/password-reset/confirm";
        empty(send(Method::POST, path, None, Some(&req)).await?).await
    }

    pub async fn verify_email(req: TokenRequest) -> Result<(), ApiError> {
        empty(send(Method::POST, "/api/auth/verify-email", None, Some(&req)).await?).await
    }
}

/// How many events a page of the activity log asks for.
pub const ACTIVITY_PAGE: usize = 25;

/// `?limit=…&before=…` of a page of the activity log.
fn activity_query(before: Option<i64>) -> String {
    match before {
        Some(id) => format!("?limit={ACTIVITY_PAGE}&before={id}"),
        None => format!("?limit={ACTIVITY_PAGE}"),
    }
}

/// The calls that need a user; each carries the access token it was made with.
/// Only `session.rs` makes one, from the stored (and fresh) token.
#[derive(Clone)]
pub struct AuthedApi {
    token: String,
}

impl AuthedApi {
    pub(crate) fn new(token: String) -> Self {
        Self { token }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Response, ApiError> {
        send(method, path, Some(&self.token), body).await
    }

    pub async fn me(self) -> Result<User, ApiError> {
        json(self.call(Method::GET, "/api/me", NO_BODY).await?).await
    }

    pub async fn logout(self) -> Result<(), ApiError> {
        empty(self.call(Method::POST, "/api/auth/logout", NO_BODY).await?).await
    }

    pub async fn notes(self) -> Result<Vec<Note>, ApiError> {
        json(self.call(Method::GET, "/api/notes", NO_BODY).await?).await
    }

    pub async fn note(self, id: String) -> Result<Note, ApiError> {
        json(
            self.call(Method::GET, &format!("/api/notes/{id}"), NO_BODY)
                .await?,
        )
        .await
    }

    pub async fn create_note(self, req: NoteRequest) -> Result<Note, ApiError> {
        json(self.call(Method::POST, "/api/notes", Some(&req)).await?).await
    }

    pub async fn update_note(self, id: String, req: NoteRequest) -> Result<Note, ApiError> {
        json(
            self.call(Method::PUT, &format!("/api/notes/{id}"), Some(&req))
                .await?,
        )
        .await
    }

    pub async fn delete_note(self, id: String) -> Result<(), ApiError> {
        empty(
            self.call(Method::DELETE, &format!("/api/notes/{id}"), NO_BODY)
                .await?,
        )
        .await
    }

    pub async fn sessions(self) -> Result<Vec<Session>, ApiError> {
        json(self.call(Method::GET, "/api/sessions", NO_BODY).await?).await
    }

    pub async fn delete_session(self, id: String) -> Result<(), ApiError> {
        empty(
            self.call(Method::DELETE, &format!("/api/sessions/{id}"), NO_BODY)
                .await?,
        )
        .await
    }

    pub async fn delete_other_sessions(self) -> Result<(), ApiError> {
        empty(self.call(Method::DELETE, "/api/sessions", NO_BODY).await?).await
    }

    pub async fn change_password(
        self,
        req: ChangePasswordRequest,
    ) -> Result<TokenResponse, ApiError> {
        json(
            self.call(Method::PUT, "/api/me/password", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn delete_account(self, req: DeleteAccountRequest) -> Result<(), ApiError> {
        empty(self.call(Method::DELETE, "/api/me", Some(&req)).await?).await
    }

    pub async fn mfa_status(self) -> Result<MfaStatus, ApiError> {
        json(self.call(Method::GET, "/api/me/mfa", NO_BODY).await?).await
    }

    pub async fn start_totp(self, req: PasswordRequest) -> Result<TotpEnrolment, ApiError> {
        json(self.call(Method::POST, "/api/me/totp", Some(&req)).await?).await
    }

    pub async fn confirm_totp(self, req: CodeRequest) -> Result<RecoveryCodes, ApiError> {
        json(
            self.call(Method::POST, "/api/me/totp/confirm", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn disable_totp(self, req: PasswordAndCodeRequest) -> Result<(), ApiError> {
        empty(
            self.call(Method::DELETE, "/api/me/totp", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn regenerate_recovery_codes(
        self,
        req: PasswordAndCodeRequest,
    ) -> Result<RecoveryCodes, ApiError> {
        json(
            self.call(Method::POST, "/api/me/recovery-codes", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn passkeys(self) -> Result<Vec<Passkey>, ApiError> {
        json(self.call(Method::GET, "/api/me/passkeys", NO_BODY).await?).await
    }

    pub async fn passkey_options(self, req: PasswordRequest) -> Result<CeremonyOptions, ApiError> {
        json(
            self.call(Method::POST, "/api/me/passkeys/options", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn add_passkey(self, req: PasskeyRegistration) -> Result<Passkey, ApiError> {
        json(
            self.call(Method::POST, "/api/me/passkeys", Some(&req))
                .await?,
        )
        .await
    }

    pub async fn remove_passkey(self, id: String, req: PasswordRequest) -> Result<(), ApiError> {
        let path = format!("/api/me/passkeys/{id}");
        empty(self.call(Method::DELETE, &path, Some(&req)).await?).await
    }

    /// Mails a link to the new address; the address changes once it is used.
    pub async fn set_email(self, req: EmailRequest) -> Result<(), ApiError> {
        empty(self.call(Method::PUT, "/api/me/email", Some(&req)).await?).await
    }

    /// A page of the caller's activity, newest first, before event `before`.
    pub async fn activity(self, before: Option<i64>) -> Result<Vec<ActivityEvent>, ApiError> {
        let path = format!("/api/me/activity{}", activity_query(before));
        json(self.call(Method::GET, &path, NO_BODY).await?).await
    }

    /// A page of a user's activity, for an admin.
    pub async fn admin_activity(
        self,
        user_id: String,
        before: Option<i64>,
    ) -> Result<Vec<ActivityEvent>, ApiError> {
        let path = format!(
            "/api/admin/users/{user_id}/activity{}",
            activity_query(before)
        );
        json(self.call(Method::GET, &path, NO_BODY).await?).await
    }

    pub async fn admin_users(self) -> Result<Vec<AdminUser>, ApiError> {
        json(self.call(Method::GET, "/api/admin/users", NO_BODY).await?).await
    }

    pub async fn admin_revoke_sessions(self, user_id: String) -> Result<(), ApiError> {
        let path = format!("/api/admin/users/{user_id}/sessions");
        empty(self.call(Method::DELETE, &path, NO_BODY).await?).await
    }
}

const NO_BODY: Option<&()> = None;

/// The one door: builds the request, adds `x-access-token` when there is a
/// token, sends it, and turns a non-2xx answer into an [`ApiError`].
///
/// Only the body's serialization is generic; the exchange is one function,
/// whose code the WASM then holds once, not once per request type.
fn send(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&impl Serialize>,
) -> impl Future<Output = Result<Response, ApiError>> {
    let text = body.map(crate::json::to_string).transpose();
    exchange(method, path, token, text.map_err(ApiError::Network))
}

async fn exchange(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Result<Option<String>, ApiError>,
) -> Result<Response, ApiError> {
    let mut request = Request::new(path).method(method);
    if let Some(token) = token {
        request = request.header(jotpass_shared::ACCESS_TOKEN_HEADER, token);
    }
    if let Some(text) = body? {
        request = request
            .header("content-type", "application/json")
            .body(text);
    }
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.parse().ok());
    match read_json::<ErrorBody>(&response).await {
        Ok(body) => Err(ApiError::Server {
            status,
            body,
            retry_after,
        }),
        Err(_) => Err(ApiError::Network(format!("unexpected answer {status}"))),
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    read_json(&response).await.map_err(ApiError::Network)
}

/// The body, parsed by the browser (`Response.json()`), as a `T`.
async fn read_json<T: DeserializeOwned>(response: &Response) -> Result<T, String> {
    let promise = response
        .as_raw()
        .json()
        .map_err(|e| crate::json::describe(&e))?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| crate::json::describe(&e))?;
    crate::json::from_value(value)
}

async fn empty(_response: Response) -> Result<(), ApiError> {
    Ok(())
}
