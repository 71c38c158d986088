-- Second factors (API.md v2). TOTP secrets are stored only sealed
-- (XChaCha20-Poly1305) under the key-encryption key, with the user's id as
-- associated data; totp_last_step is the newest 30-second step whose code
-- was accepted, so that a code is accepted at most once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT; -- an enrolment not yet confirmed
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Recovery codes: SHA-256 hashes of 80 random bits each, single use.
CREATE TABLE recovery_codes (
    code_hash  TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- The second step of a login: an mfa_token (stored as a hash) that lives
-- five minutes and is spent by its first success or its fifth failure.
CREATE TABLE mfa_challenges (
    token_hash  TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0,
    spent_at    BIGINT,
    device_hash TEXT, -- the valid device token the password step presented
    user_agent  TEXT
);

-- Passkeys: the WebAuthn credential (public key, counter…) as webauthn-rs
-- stores it, as JSON; credential_id is its id, base64url.
CREATE TABLE passkeys (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    credential_id TEXT    NOT NULL UNIQUE,
    credential    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- WebAuthn ceremonies in flight: single use, five minutes, any process can
-- finish one. A registration belongs to a user; a login to nobody yet.
CREATE TABLE webauthn_ceremonies (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL, -- 'register' or 'login'
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- How each session was authenticated (RFC 8176 amr values), kept across refreshes.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
