//! SCRAM-SHA-256 password verifiers, in the form PostgreSQL stores in `pg_authid.rolpassword`:
//!
//! ```text
//! SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
//! ```
//!
//! Computed as in RFC 5802 / RFC 7677 (and PostgreSQL's `scram_build_secret`):
//!
//! ```text
//! SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)   (32 bytes)
//! ClientKey      = HMAC-SHA-256(SaltedPassword, "Client Key")
//! StoredKey      = SHA-256(ClientKey)
//! ServerKey      = HMAC-SHA-256(SaltedPassword, "Server Key")
//! ```
//!
//! Base64 is the standard alphabet with padding. PostgreSQL stores a well-formed verifier given
//! in `CREATE/ALTER ROLE ... PASSWORD '<verifier>'` verbatim, but silently hashes a malformed one
//! as if it were a plaintext password: run [`validate_verifier`] on user-supplied verifiers.
//!
//! # Passwords and SASLprep
//!
//! PostgreSQL (server and libpq alike) first normalises the password with SASLprep (RFC 4013:
//! NFKC normalisation, non-ASCII spaces mapped to U+0020, "mapped to nothing" characters such as
//! U+00AD SOFT HYPHEN removed) and falls back to the raw bytes if the password is not valid
//! UTF-8 or contains prohibited characters. For ASCII passwords SASLprep is the identity
//! (PostgreSQL even short-cuts it), so [`verifier`] is exact for them. This module does *not*
//! implement SASLprep: a non-ASCII password is hashed as its raw UTF-8 bytes. That agrees with
//! PostgreSQL whenever SASLprep leaves the password unchanged (e.g. already NFKC-normalised
//! letters such as a precomposed `ä`) or rejects it, and differs when SASLprep would change it
//! (e.g. U+00A0 NO-BREAK SPACE, full-width forms, decomposed accents, ligatures such as `ﬁ`):
//! the resulting verifier would then not accept the password at login.
//! [`saslprep_may_change`] flags such passwords conservatively.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Every SCRAM-SHA-256 verifier starts with this.
pub const PREFIX: &str = "SCRAM-SHA-256$";
/// PostgreSQL's default iteration count (`scram_iterations`, settable since PostgreSQL 16).
pub const DEFAULT_ITERATIONS: u32 = 4096;
/// PostgreSQL's salt length (`SCRAM_DEFAULT_SALT_LEN`).
pub const SALT_LEN: usize = 16;
/// Length of StoredKey and ServerKey (SHA-256 output).
pub const KEY_LEN: usize = 32;

/// The SCRAM-SHA-256 verifier of `password`, byte for byte as PostgreSQL computes it for the
/// same salt and iteration count (see the module documentation for non-ASCII passwords).
///
/// # Panics
/// If `iterations` is 0 or above `i32::MAX` (PostgreSQL reads it as an `int`), or `salt` is
/// empty.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    assert!((1..=i32::MAX as u32).contains(&iterations), "SCRAM iteration count must be between 1 and {}", i32::MAX);
    assert!(!salt.is_empty(), "SCRAM salt must not be empty");
    let (stored_key, server_key) = keys(password.as_bytes(), salt, iterations);
    format!("{PREFIX}{iterations}:{}${}:{}", BASE64.encode(salt), BASE64.encode(stored_key), BASE64.encode(server_key))
}

/// (StoredKey, ServerKey) for a password.
fn keys(password: &[u8], salt: &[u8], iterations: u32) -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let mut salted = [0u8; KEY_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut salted);
    let client_key = hmac_sha256(&salted, b"Client Key");
    let stored_key: [u8; KEY_LEN] = Sha256::digest(client_key).into();
    let server_key = hmac_sha256(&salted, b"Server Key");
    (stored_key, server_key)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; KEY_LEN] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A 16-byte salt derived from the role name and the password:
/// `HMAC-SHA-256(key = password, "rolec-salt" ‖ role name)`, truncated to 16 bytes.
///
/// Why deterministic: rolec compiles a policy to SQL, and the same policy must give the same
/// SQL (reproducible builds, stable diffs, no spurious "password changed" drift on every run).
/// A random salt would change the verifier on every build. A fixed global salt would make the
/// verifier depend on the password alone, so two roles with the same password would get the
/// same, visibly equal verifier (and one precomputed dictionary would serve for every role of
/// every rolec user). Mixing in the role name gives each role its own salt; keying the HMAC with
/// the password makes the salt change whenever the password does.
///
/// The salt is stored in clear inside the verifier, so it must not be cheaper to compute from
/// a password guess than the verifier itself: it is PBKDF2-HMAC-SHA-256 of the password with
/// `"rolec-salt" ‖ role name` as salt and [`DEFAULT_ITERATIONS`] rounds. Testing a guess
/// against the salt then costs as much as testing it against the StoredKey.
pub fn deterministic_salt(role_name: &str, password: &str) -> [u8; SALT_LEN] {
    let mut input = b"rolec-salt".to_vec();
    input.extend_from_slice(role_name.as_bytes());
    let mut salt = [0u8; SALT_LEN];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &input, DEFAULT_ITERATIONS, &mut salt);
    salt
}

/// The parts of a SCRAM-SHA-256 verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; KEY_LEN],
    pub server_key: [u8; KEY_LEN],
}

impl std::fmt::Debug for ScramVerifier {
    // The keys are secrets (they allow impersonating the server); show only their lengths.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .finish_non_exhaustive()
    }
}

impl ScramVerifier {
    /// Whether `password` (hashed as raw UTF-8, see the module documentation) matches.
    pub fn matches(&self, password: &str) -> bool {
        let (stored_key, server_key) = keys(password.as_bytes(), &self.salt, self.iterations);
        stored_key == self.stored_key && server_key == self.server_key
    }
}

/// How a SCRAM-SHA-256 verifier is written, for messages about a malformed one.
const SHAPE: &str = "a SCRAM-SHA-256 verifier has the form \
                     `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`";

/// What is wrong with a verifier. No variant holds (any part of) the input: it may be a secret,
/// such as a password given where a verifier was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    #[error("the verifier does not start with `{PREFIX}` ({SHAPE})")]
    NoPrefix,
    #[error("the verifier does not have exactly two `$`-separated parts after the prefix ({SHAPE})")]
    NotTwoParts,
    #[error("the iteration count and the salt are not separated by `:` ({SHAPE})")]
    NoSaltSeparator,
    #[error("StoredKey and ServerKey are not separated by `:` ({SHAPE})")]
    NoKeySeparator,
    #[error("the iteration count is not a decimal number")]
    IterationsNotDecimal,
    #[error("the iteration count must be positive")]
    IterationsNotPositive,
    #[error("the iteration count is too large (the maximum is {})", i32::MAX)]
    IterationsTooLarge,
    #[error("the salt is not valid base64")]
    SaltNotBase64,
    #[error("the salt is empty")]
    SaltEmpty,
    /// `key` is `StoredKey` or `ServerKey`.
    #[error("the {key} is not valid base64")]
    KeyNotBase64 { key: &'static str },
    #[error("the {key} decodes to {len} bytes instead of {KEY_LEN}")]
    KeyLength { key: &'static str, len: usize },
}

/// Parses a verifier; the error says what is wrong and never contains (any part of) the input.
pub fn parse_verifier(s: &str) -> Result<ScramVerifier, ScramError> {
    let rest = s.strip_prefix(PREFIX).ok_or(ScramError::NoPrefix)?;
    let mut halves = rest.split('$');
    let (Some(params), Some(keys), None) = (halves.next(), halves.next(), halves.next()) else {
        return Err(ScramError::NotTwoParts);
    };
    let (iterations, salt) = params.split_once(':').ok_or(ScramError::NoSaltSeparator)?;
    let (stored_key, server_key) = keys.split_once(':').ok_or(ScramError::NoKeySeparator)?;

    if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScramError::IterationsNotDecimal);
    }
    let iterations: u32 = match iterations.parse() {
        Ok(n) if (1..=i32::MAX as u32).contains(&n) => n,
        Ok(_) => return Err(ScramError::IterationsNotPositive),
        Err(_) => return Err(ScramError::IterationsTooLarge),
    };
    let salt = BASE64.decode(salt).map_err(|_| ScramError::SaltNotBase64)?;
    if salt.is_empty() {
        return Err(ScramError::SaltEmpty);
    }
    let stored_key = decode_key(stored_key, "StoredKey")?;
    let server_key = decode_key(server_key, "ServerKey")?;
    Ok(ScramVerifier { iterations, salt, stored_key, server_key })
}

fn decode_key(b64: &str, key: &'static str) -> Result<[u8; KEY_LEN], ScramError> {
    let bytes = BASE64.decode(b64).map_err(|_| ScramError::KeyNotBase64 { key })?;
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| ScramError::KeyLength { key, len: bytes.len() })
}

/// Checks that `s` is a well-formed SCRAM-SHA-256 verifier: the prefix `SCRAM-SHA-256$`, a
/// positive decimal iteration count (at most `i32::MAX`), a non-empty base64 salt, and StoredKey
/// and ServerKey in base64 decoding to 32 bytes each. The error message never includes the input
/// or any part of it (the input may be a secret, e.g. a password given where a verifier was
/// expected).
pub fn validate_verifier(s: &str) -> Result<(), ScramError> {
    parse_verifier(s).map(|_| ())
}

/// Whether PostgreSQL's SASLprep might normalise `password` differently from the raw UTF-8
/// bytes [`verifier`] hashes. Conservative: true for every non-ASCII password.
pub fn saslprep_may_change(password: &str) -> bool {
    !password.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated by PostgreSQL 15: `SET password_encryption = 'scram-sha-256';
    /// CREATE ROLE x PASSWORD 'some pw'` (random salt), read from pg_authid.
    const PG_VERIFIER: &str = "SCRAM-SHA-256$4096:3qUTayil97as7er/MVjqxQ==$xFNkdiubigcGZhODTxg7nIV/78aHeesAYeLlTtOdDes=:ICgHGCBjEvnE/wU/EZxoVY244+EgCVI8QqtzLLdVB3I=";

    #[test]
    fn matches_a_verifier_made_by_postgresql() {
        let v = parse_verifier(PG_VERIFIER).unwrap();
        assert_eq!(v.iterations, 4096);
        assert_eq!(verifier("some pw", &v.salt, v.iterations), PG_VERIFIER);
        assert!(v.matches("some pw"));
        assert!(!v.matches("some pw "));
    }

    /// RFC 7677 section 3: user "user", password "pencil". Checks StoredKey and ServerKey
    /// through the client proof and the server signature of the example exchange.
    #[test]
    fn rfc7677_example_exchange() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = parse_verifier(&verifier("pencil", &salt, 4096)).unwrap();
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        // ServerSignature = HMAC(ServerKey, AuthMessage)
        let server_signature = hmac_sha256(&v.server_key, auth_message.as_bytes());
        assert_eq!(BASE64.encode(server_signature), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); StoredKey = H(ClientKey)
        let proof = BASE64.decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=").unwrap();
        let client_signature = hmac_sha256(&v.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(client_signature).map(|(a, b)| a ^ b).collect();
        assert_eq!(<[u8; 32]>::from(Sha256::digest(&client_key)), v.stored_key);
    }

    #[test]
    fn format() {
        let salt = [7u8; SALT_LEN];
        let v = verifier("secret", &salt, DEFAULT_ITERATIONS);
        assert!(v.starts_with("SCRAM-SHA-256$4096:BwcHBwcHBwcHBwcHBwcHBw==$"), "{v}");
        let (_, keys) = v.rsplit_once('$').unwrap();
        let (stored, server) = keys.split_once(':').unwrap();
        assert_eq!((stored.len(), server.len()), (44, 44));
        validate_verifier(&v).unwrap();
        let parsed = parse_verifier(&v).unwrap();
        assert_eq!((parsed.iterations, parsed.salt.as_slice()), (4096, &salt[..]));
        assert!(parsed.matches("secret"));
        // Deterministic; depends on password, salt and iteration count.
        assert_eq!(v, verifier("secret", &salt, 4096));
        assert_ne!(v, verifier("secret2", &salt, 4096));
        assert_ne!(v, verifier("secret", &[8u8; SALT_LEN], 4096));
        assert_ne!(v, verifier("secret", &salt, 4097));
        // Debug output hides the keys.
        assert_eq!(format!("{parsed:?}"), "ScramVerifier { iterations: 4096, salt_len: 16, .. }");
    }

    #[test]
    #[should_panic(expected = "iteration count")]
    fn zero_iterations_panics() {
        verifier("pw", &[1; 16], 0);
    }

    #[test]
    fn deterministic_salt_depends_on_role_and_password() {
        let a = deterministic_salt("alice", "pw");
        assert_eq!(a, deterministic_salt("alice", "pw"));
        assert_ne!(a, deterministic_salt("bob", "pw"));
        assert_ne!(a, deterministic_salt("alice", "pw2"));
        assert_eq!(a.len(), 16);
        // PBKDF2-HMAC-SHA-256("pw", "rolec-salt" ‖ "alice", 4096) truncated to 16 bytes.
        let mut expected = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", b"rolec-saltalice", DEFAULT_ITERATIONS, &mut expected);
        assert_eq!(a, expected);
    }

    #[test]
    fn validation_errors_say_what_is_wrong_without_echoing_the_input() {
        let key = BASE64.encode([1u8; 32]);
        let short = BASE64.encode([1u8; 31]);
        let salt = "c2FsdHNhbHQ=";
        let cases: Vec<(String, &str)> = vec![
            ("my secret password".into(), "does not start with `SCRAM-SHA-256$`"),
            ("scram-sha-256$4096:c2FsdA==$x:y".into(), "does not start with"),
            ("md5d4d3f1a0e4f3b0d8a5c7e6f9b2a1c3d4".into(), "does not start with"),
            (format!("SCRAM-SHA-256$4096:{salt}"), "exactly two"),
            (format!("SCRAM-SHA-256$4096:{salt}${key}:{key}$extra"), "exactly two"),
            (format!("SCRAM-SHA-256$4096{salt}${key}:{key}"), "not separated by `:`"),
            (format!("SCRAM-SHA-256$4096:{salt}${key}{key}"), "StoredKey and ServerKey are not separated"),
            (format!("SCRAM-SHA-256$:{salt}${key}:{key}"), "iteration count is not a decimal number"),
            (format!("SCRAM-SHA-256$-1:{salt}${key}:{key}"), "iteration count is not a decimal number"),
            (format!("SCRAM-SHA-256$+5:{salt}${key}:{key}"), "iteration count is not a decimal number"),
            (format!("SCRAM-SHA-256$ 5:{salt}${key}:{key}"), "iteration count is not a decimal number"),
            (format!("SCRAM-SHA-256$4k:{salt}${key}:{key}"), "iteration count is not a decimal number"),
            (format!("SCRAM-SHA-256$0:{salt}${key}:{key}"), "iteration count must be positive"),
            (format!("SCRAM-SHA-256$2147483648:{salt}${key}:{key}"), "iteration count must be positive"),
            (format!("SCRAM-SHA-256$99999999999:{salt}${key}:{key}"), "too large"),
            (format!("SCRAM-SHA-256$4096:not*base64${key}:{key}"), "the salt is not valid base64"),
            (format!("SCRAM-SHA-256$4096:c2FsdA${key}:{key}"), "the salt is not valid base64"),
            (format!("SCRAM-SHA-256$4096:${key}:{key}"), "the salt is empty"),
            (format!("SCRAM-SHA-256$4096:{salt}$!!:{key}"), "the StoredKey is not valid base64"),
            (format!("SCRAM-SHA-256$4096:{salt}${key}:!!"), "the ServerKey is not valid base64"),
            (format!("SCRAM-SHA-256$4096:{salt}${short}:{key}"), "the StoredKey decodes to 31 bytes instead of 32"),
            (format!("SCRAM-SHA-256$4096:{salt}${key}:"), "the ServerKey decodes to 0 bytes instead of 32"),
            (format!("SCRAM-SHA-256$4096:{salt}${key}:{key}\n"), "the ServerKey is not valid base64"),
        ];
        for (input, expected) in cases {
            let err = validate_verifier(&input).expect_err(&input).to_string();
            assert!(err.contains(expected), "{input:?}: {err:?} lacks {expected:?}");
            // No part of the input leaks into the message.
            for part in input.split(['$', ':']) {
                if part.len() >= 4 && part != "SCRAM-SHA-256" {
                    assert!(!err.contains(part), "{err:?} contains {part:?}");
                }
            }
            assert!(!err.contains("secret"));
        }
        validate_verifier(&format!("SCRAM-SHA-256$1:{salt}${key}:{key}")).unwrap();
        validate_verifier(&format!("SCRAM-SHA-256$2147483647:{salt}${key}:{key}")).unwrap();
    }

    #[test]
    fn messages_read_as_written() {
        assert_eq!(
            parse_verifier("md5abc").unwrap_err().to_string(),
            "the verifier does not start with `SCRAM-SHA-256$` (a SCRAM-SHA-256 verifier has the form \
             `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`)"
        );
        assert_eq!(
            ScramError::IterationsTooLarge.to_string(),
            "the iteration count is too large (the maximum is 2147483647)"
        );
        assert_eq!(
            ScramError::KeyLength { key: "StoredKey", len: 31 }.to_string(),
            "the StoredKey decodes to 31 bytes instead of 32"
        );
    }

    #[test]
    fn saslprep_flag() {
        assert!(!saslprep_may_change("plain ASCII pw !$'\"\\"));
        assert!(saslprep_may_change("p\u{e4}ss"));
        assert!(saslprep_may_change("a\u{a0}b"));
    }
}
