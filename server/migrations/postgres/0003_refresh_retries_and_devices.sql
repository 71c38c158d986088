-- Refresh retries (API.md v2): a spent refresh token keeps the hash of its
-- one successor and the successor itself, sealed (XChaCha20-Poly1305) under
-- a key derived with HKDF from the spent token, which the database never
-- holds: a client that lost the answer can present the spent token again
-- and receive the same successor, while a dump can neither refresh nor replay.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;

-- Device tokens (OWASP "device cookies"): handed out by every login, stored
-- as SHA-256 hashes; a login that presents a valid one of the user's is not
-- held back by failures counted against the username.
CREATE TABLE device_tokens (
    token_hash TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX device_tokens_by_user ON device_tokens (user_id);

-- The device token a session was started with, so that a password change
-- keeps the caller's device and revokes the others.
ALTER TABLE sessions ADD COLUMN device_hash TEXT;
