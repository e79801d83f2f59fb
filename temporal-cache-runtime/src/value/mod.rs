//! A call's stored value on its way in and out of the backend: the outcome's bytes (JSON, or a
//! Payload through the worker's DataConverter), their stored form (compressed, encrypted,
//! framed), the backend's size limit, and the log line for each value that cannot be read or
//! written.

mod compression;
mod converter;
mod encryption;
pub(crate) mod envelope;
mod form;
pub(crate) mod inspect;
mod storage;

use std::future::Future;
use std::pin::Pin;

use temporalio_common::data_converters::PayloadConversionError;

pub use self::compression::Compression;
pub use self::encryption::{EncryptionKey, Keyring};
use self::envelope::DecodeError;
pub use self::storage::Storage;
use crate::log::{Caller, event};
use crate::metrics::FallbackReason;
use crate::outcome::OutcomeCodec;

/// A boxed future, as the DataConverter's codec returns them. (Declared here rather than taken
/// from `backend`, which depends on this module for [`Storage`].)
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decodes an entry read from the backend; an unreadable one (corrupt, planted, tampered with,
/// of another format) is logged and counted as a fallback, and the body's result overwrites it.
pub(crate) async fn decode<R>(
    bytes: &[u8],
    codec: OutcomeCodec<R>,
    storage: &Storage,
    limit: usize,
    caller: &Caller<'_>,
    key: &str,
) -> Option<R> {
    match read(bytes, codec, storage, limit, key).await {
        Ok(outcome) => Some(outcome),
        Err(error) => {
            caller.metrics.fallback(FallbackReason::UnreadableEntry);
            event!(warn, caller, key, %error, cache.status = "fallback",
                "cache fallback: the stored entry is unreadable; the body runs and its result \
                 overwrites it");
            None
        }
    }
}

async fn read<R>(
    bytes: &[u8],
    codec: OutcomeCodec<R>,
    storage: &Storage,
    limit: usize,
    key: &str,
) -> Result<R, DecodeError> {
    let raw = form::read(storage, key, bytes, limit)?;
    match storage.data_converter() {
        None => codec
            .read_json(&raw)
            .map_err(|error| DecodeError::Payload(error.to_string())),
        // Boxed: the codec's path, so that its state does not widen every hit's future.
        Some(converter) => Box::pin(converter::from_bytes(converter, codec, &raw)).await,
    }
}

/// The first step of encoding `outcome`, taken where the outcome is: `None` for an error (never
/// stored), else its JSON, or its payload on its way through the DataConverter's codec.
pub(crate) fn raw<R>(outcome: &R, codec: OutcomeCodec<R>, storage: &Storage) -> Option<Raw> {
    Some(match storage.data_converter() {
        None => Raw::Ready(
            codec
                .write_json(outcome)?
                .map_err(|error| error.to_string()),
        ),
        Some(converter) => Raw::Converting(converter::to_bytes(converter, codec, outcome)?),
    })
}

/// A result's bytes before their stored form: see [`raw`].
pub(crate) enum Raw {
    Ready(Result<Vec<u8>, String>),
    Converting(BoxFuture<'static, Result<Vec<u8>, PayloadConversionError>>),
}

/// The bytes to store for a result whose first step is `raw`: `None` (logged) for a value that
/// cannot be encoded or is larger than `limit` bytes.
pub(crate) async fn stored_form(
    raw: Raw,
    storage: &Storage,
    limit: usize,
    caller: &Caller<'_>,
    key: &str,
) -> Option<Vec<u8>> {
    let raw = match raw {
        Raw::Ready(raw) => raw,
        Raw::Converting(converting) => converting
            .await
            .map_err(|error| format!("the DataConverter failed: {error}")),
    };
    let stored = raw.and_then(|raw| {
        // The limit bounds the value as read back, compressed or not.
        if raw.len() > limit {
            return Ok(raw);
        }
        form::write(storage, key, raw).map_err(|error| error.to_string())
    });
    match stored {
        Ok(bytes) if bytes.len() > limit => {
            caller.metrics.store_skipped();
            event!(
                warn,
                caller,
                key,
                bytes = bytes.len(),
                limit,
                "cache skip: the result is larger than the backend stores; it is returned but not cached"
            );
            None
        }
        Ok(bytes) => Some(bytes),
        Err(error) => {
            caller.metrics.fallback(FallbackReason::Encode);
            event!(warn, caller, key, %error, cache.status = "fallback",
                "cache fallback: the result could not be encoded; it is returned but not stored");
            None
        }
    }
}

/// For the fuzz targets: how many of a plain, a compressing and an encrypting backend decode
/// `bytes` as a stored JSON value.
pub(crate) fn decodes_as_json(bytes: &[u8]) -> usize {
    static STORAGES: std::sync::LazyLock<[Storage; 3]> = std::sync::LazyLock::new(|| {
        [
            Storage::new(),
            Storage::new().with_compression(Compression::zstd_above(1)),
            Storage::new().with_encryption(Keyring::new(EncryptionKey::new([7; 32]))),
        ]
    });
    STORAGES
        .iter()
        .filter(|storage| {
            form::read(storage, "fuzz", bytes, 1 << 20)
                .is_ok_and(|raw| serde_json::from_slice::<serde_json::Value>(&raw).is_ok())
        })
        .count()
}
