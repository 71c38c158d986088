-- E-mail (API.md v2): an optional address per user, lower-cased, attached
-- only once verified; an address verified by one account is never attached
-- to another (the partial unique index decides a race).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_by_verified_email ON users (email) WHERE email_verified = 1;

-- Where each session came from, to tell a new device (user-agent family and
-- /24 or /64 block) from one the user has used before.
ALTER TABLE sessions ADD COLUMN ip TEXT;

-- Links mailed out: 256-bit tokens, stored as SHA-256 hashes, single use.
CREATE TABLE email_verifications (
    token_hash TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
-- A request for an unknown login writes a row too (user_id NULL), so that
-- both answers cost the same; such a row never resets anything.
CREATE TABLE password_resets (
    token_hash TEXT    PRIMARY KEY,
    user_id    TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- The outbox: every mail is stored in the transaction of the change that
-- causes it, and a background worker sends it, with retries and a lease so
-- that of several processes one sends each mail. The message (which may
-- hold a link) is sealed under the key-encryption key and wiped once sent.
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_until     BIGINT,
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- What happened to each account, newest last; kept for
-- JOTPASS_ACTIVITY_RETENTION. Rows outlive a deleted account (the admin's
-- view), so user_id is not a foreign key.
CREATE TABLE activity (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    at         BIGINT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    session_id TEXT
);
CREATE INDEX activity_by_user ON activity (user_id, seq);
CREATE INDEX activity_by_time ON activity (at);
