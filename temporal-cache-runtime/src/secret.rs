//! Secret key material: 32 random bytes, read from code, an environment variable or a file, and
//! never shown by `Debug` or in a log line.
//!
//! Text forms are base64 (what `openssl rand -base64 32` prints) or 64 hex digits; surrounding
//! whitespace (a file's final newline) is ignored. The bytes are wiped when dropped.

use std::fmt;
use std::path::Path;

use base64::Engine;
use zeroize::Zeroizing;

/// The length of every secret: a 256-bit key.
pub(crate) const SECRET_LEN: usize = 32;

/// Why secret key material could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable is not set (or not Unicode).
    MissingEnv(String),
    /// The file could not be read.
    File(std::path::PathBuf, std::io::Error),
    /// The text is neither base64 nor hex of exactly 32 bytes. (What the text was is not shown.)
    Malformed {
        /// Where the text came from: "an environment variable `X`", "the file `p`", "code".
        source: String,
        /// What was wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEnv(var) => write!(f, "the environment variable `{var}` is not set"),
            Self::File(path, error) => write!(f, "cannot read `{}`: {error}", path.display()),
            Self::Malformed { source, reason } => write!(
                f,
                "{source} does not hold a 32-byte key in base64 or hex ({reason}); make one with \
                 `openssl rand -base64 32`"
            ),
        }
    }
}

impl std::error::Error for SecretError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::File(_, error) => Some(error),
            _ => None,
        }
    }
}

/// 32 secret bytes, wiped on drop.
#[derive(Clone)]
pub(crate) struct Secret(Zeroizing<[u8; SECRET_LEN]>);

impl Secret {
    pub(crate) fn new(bytes: [u8; SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// Parses base64 or hex text; `source` names where it came from, for the error.
    pub(crate) fn parse(text: &str, source: impl Fn() -> String) -> Result<Self, SecretError> {
        let malformed = |reason| SecretError::Malformed {
            source: source(),
            reason,
        };
        let text = text.trim();
        let decoded = if text.len() == 2 * SECRET_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            Zeroizing::new(hex(text))
        } else {
            Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| malformed("not base64 or hex"))?,
            )
        };
        let bytes: [u8; SECRET_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| malformed("not 32 bytes long"))?;
        Ok(Self::new(bytes))
    }

    /// Reads the text of the environment variable `var`.
    pub(crate) fn from_env(var: &str) -> Result<Self, SecretError> {
        let text = SecretText::from_env(var)?;
        Self::parse(&text.text, || text.source.clone())
    }

    /// Reads the text of the file at `path`.
    pub(crate) fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = SecretText::from_file(path)?;
        Self::parse(&text.text, || text.source.clone())
    }
}

/// The text of secret key material, wiped on drop, and where it came from (for errors).
pub(crate) struct SecretText {
    pub(crate) text: Zeroizing<String>,
    pub(crate) source: String,
}

impl SecretText {
    /// The text of the environment variable `var`.
    pub(crate) fn from_env(var: &str) -> Result<Self, SecretError> {
        let text = std::env::var(var).map_err(|_| SecretError::MissingEnv(var.to_owned()))?;
        Ok(Self {
            text: Zeroizing::new(text),
            source: format!("the environment variable `{var}`"),
        })
    }

    /// The text of the file at `path`.
    pub(crate) fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| SecretError::File(path.to_owned(), error))?;
        Ok(Self {
            text: Zeroizing::new(text),
            source: format!("the file `{}`", path.display()),
        })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn hex(text: &str) -> Vec<u8> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| digit(pair[0]) << 4 | digit(pair[1]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> String {
        "code".to_owned()
    }

    #[test]
    fn reads_base64_and_hex_of_32_bytes() {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
        let base64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(
            Secret::parse(&format!(" {base64}\n"), code)
                .unwrap()
                .bytes(),
            &bytes
        );
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(Secret::parse(&hex, code).unwrap().bytes(), &bytes);
    }

    #[test]
    fn rejects_other_lengths_and_text_without_echoing_it() {
        for text in [
            "",
            "c2hvcnQ=",
            "not a key at all, but a sentence",
            &"ab".repeat(31),
        ] {
            let error = Secret::parse(text, code).unwrap_err().to_string();
            assert!(
                error.starts_with("code does not hold a 32-byte key"),
                "{error}"
            );
            if !text.is_empty() {
                assert!(!error.contains(text), "{error}");
            }
        }
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret = Secret::new([0xab; 32]);
        let shown = format!("{secret:?}");
        assert_eq!(shown, "<redacted>");
    }

    #[test]
    fn env_and_file_sources_are_named_in_errors() {
        let error = Secret::from_env("TEMPORAL_CACHE_TEST_UNSET_SECRET").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the environment variable `TEMPORAL_CACHE_TEST_UNSET_SECRET` is not set"
        );
        let error = Secret::from_file(Path::new("/nonexistent/key")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read `/nonexistent/key`")
        );
    }
}
