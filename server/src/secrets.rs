//! Secret material: random bytes, opaque tokens and their stored hashes, and
//! the secret files kept in the data folder.
//!
//! Every random value of the server comes from [`random_bytes`], and every
//! opaque token the server hands out (refresh tokens today) is made by
//! [`new_token`] and stored only as [`token_hash`], so the rules "256 bits"
//! and "stored as a SHA-256 hash" are written once.

use std::{
    fs,
    io::Write,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::Path,
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use jotpass_shared::Redacted;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's generator.
///
/// # Panics
/// When the OS has no randomness to give, which on Linux means the machine
/// is unusable for anything secure: carrying on would be worse.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// A fresh opaque token: 256 random bits, base64url without padding.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the database keeps of an opaque token: its SHA-256, base64url.
/// The tokens carry 256 random bits, so a fast hash is enough (no salt or
/// stretching): nobody can search that space.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A 256-bit key for XChaCha20-Poly1305: what jotpass seals secrets with
/// (EdDSA private keys and TOTP secrets under the key-encryption key; a
/// refresh token's successor under a key derived from the token). Never
/// printed.
#[derive(Debug)]
pub struct SealKey(Redacted<[u8; 32]>);

impl SealKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Redacted::new(bytes))
    }

    /// A key derived from an opaque token with HKDF-SHA256: whoever holds the
    /// token can open what was sealed for it; the database, which holds only
    /// the token's hash, cannot. `purpose` keeps keys for different uses apart.
    pub fn derive_from_token(token: &str, purpose: &str) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, token.as_bytes())
            .expand(purpose.as_bytes(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self::from_bytes(key)
    }

    /// Encrypts `message`, bound to `context` (associated data that must be
    /// given again to open it): base64url(nonce || ciphertext).
    pub fn seal(&self, context: &[u8], message: &[u8]) -> String {
        let nonce = random_bytes::<24>();
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: message,
                    aad: context,
                },
            )
            .expect("XChaCha20-Poly1305 seals any message of our sizes");
        URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`SealKey::seal`] made with this key and `context`;
    /// `None` for another key, another context, or tampered text.
    pub fn open(&self, context: &[u8], sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() <= 24 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        self.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose().into())
    }
}

/// Creates `dir` (and its parents) readable by the owner only, if it is
/// missing. An existing folder is left as it is. Every folder it creates is
/// 0700, not only the last: `data/outbox` made first must not leave `data`
/// readable by others.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

/// Reads at least 32 secret bytes from `path`, or creates the file (mode
/// 0600, in a 0700 folder) with 32 fresh random bytes.
pub fn load_or_create_secret_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    match fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => anyhow::bail!("{} holds fewer than 32 bytes", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let bytes = random_bytes::<32>().to_vec();
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_are_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("jwt_secret");
        let first = load_or_create_secret_file(&path).unwrap();
        assert_eq!(first.len(), 32);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        assert_eq!(load_or_create_secret_file(&path).unwrap(), first);
    }

    #[test]
    fn every_folder_made_for_a_private_one_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("data").join("outbox");
        ensure_private_dir(&outbox).unwrap();
        for made in [&outbox, &dir.path().join("data")] {
            let mode = fs::metadata(made).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", made.display());
        }
    }

    #[test]
    fn sealed_text_opens_only_with_its_key_and_context() {
        let key = SealKey::derive_from_token("a token", "test");
        let sealed = key.seal(b"ctx", b"the secret");
        assert!(!sealed.contains("the secret"));
        assert_eq!(key.open(b"ctx", &sealed).unwrap(), b"the secret");
        assert!(key.open(b"other", &sealed).is_none());
        assert!(
            SealKey::derive_from_token("another token", "test")
                .open(b"ctx", &sealed)
                .is_none()
        );
        assert!(
            SealKey::derive_from_token("a token", "another purpose")
                .open(b"ctx", &sealed)
                .is_none()
        );
        assert!(key.open(b"ctx", "not base64 at all!").is_none());
        assert!(key.open(b"ctx", "").is_none());
    }

    #[test]
    fn tokens_are_256_bits_and_hash_to_something_else() {
        let token = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(new_token(), token);
        assert_ne!(token_hash(&token), token);
        assert_eq!(token_hash(&token), token_hash(&token));
    }
}
