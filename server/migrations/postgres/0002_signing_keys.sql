-- EdDSA signing keys, shared by every server process. The private key (the
-- Ed25519 seed) is encrypted with XChaCha20-Poly1305 under a key-encryption
-- key that never enters the database (JOTPASS_KEY_ENCRYPTION_KEY, or a 0600
-- file in the data folder), with the kid as associated data.
CREATE TABLE signing_keys (
    kid          TEXT    PRIMARY KEY,
    public_key   TEXT    NOT NULL, -- base64url of the 32-byte Ed25519 public key
    private_key  TEXT    NOT NULL, -- base64url of nonce || ciphertext
    created_at   BIGINT NOT NULL,
    activates_at BIGINT NOT NULL, -- published from creation, signs from here on
    retired_at   BIGINT           -- a newer key took over; published until its tokens expired
);
