-- Users, their sessions (the "record of issued tokens"), refresh tokens, notes,
-- and the counters behind the login and registration limits.
-- Times are Unix seconds. `seq` orders rows by creation; `id` is the public id.

CREATE TABLE users (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    username      TEXT    NOT NULL UNIQUE, -- stored lower-cased: unique ignoring case
    password_hash TEXT    NOT NULL,
    roles         TEXT    NOT NULL DEFAULT '', -- comma-separated role names
    created_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    revoked_at   BIGINT,
    user_agent   TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Only SHA-256 hashes of refresh tokens are stored. Spent ones are kept until
-- their session ends, to tell a late second tab from a thief.
CREATE TABLE refresh_tokens (
    token_hash TEXT    PRIMARY KEY,
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    spent_at   BIGINT
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

CREATE TABLE notes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX notes_by_user ON notes (user_id, seq);

-- One fixed window per key ("login:user:alice", "login:addr:127.0.0.1", …).
CREATE TABLE rate_limits (
    key          TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    count        BIGINT  NOT NULL
);
