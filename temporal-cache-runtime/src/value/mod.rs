//! A call's stored value on its way in and out of the backend: the outcome's bytes (MessagePack
//! or JSON, or a Payload through the worker's DataConverter), their stored form (compressed,
//! encrypted, framed), the backend's size limit, and the log line for each value that cannot be
//! read or written.

mod compression;
mod converter;
mod encryption;
pub(crate) mod envelope;
mod form;
pub(crate) mod inspect;
pub(crate) mod message_pack;
mod storage;

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_common::data_converters::PayloadConversionError;

pub use self::compression::Compression;
pub use self::encryption::{EncryptionKey, Keyring};
use self::envelope::DecodeError;
pub use self::storage::{Storage, ValueFormat};
use crate::log::{Caller, event};
use crate::metrics::FallbackReason;
use crate::outcome::OutcomeCodec;

/// A boxed future, as the DataConverter's codec returns them. (Declared here rather than taken
/// from `backend`, which depends on this module for [`Storage`].)
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stored entry, decoded: the outcome it serves, and until when it is fresh (milliseconds
/// since the Unix epoch; `None` for an entry without a stale window).
pub(crate) struct Decoded<R> {
    pub(crate) outcome: R,
    pub(crate) fresh_until: Option<u64>,
}

/// An entry read from the backend on its way to an outcome: decoded already, or still going
/// through the DataConverter's codec.
pub(crate) enum Decoding<R, Converting> {
    /// The entry, or `None` for an unreadable one (logged and counted).
    Done(Option<Decoded<R>>),
    /// The codec's path, boxed so that its state never widens a hit's future: await it for the
    /// same answer as [`Decoding::Done`].
    Converting(Pin<Box<Converting>>),
}

/// Decodes an entry read from the backend; an unreadable one (corrupt, planted, tampered with,
/// of another format) is logged and counted as a fallback, and the body's result overwrites it.
///
/// A plain entry (MessagePack or JSON) is decoded at once, so that a hit awaits nothing but its
/// read.
pub(crate) fn decode<'a, R: 'a>(
    bytes: &'a [u8],
    codec: OutcomeCodec<R>,
    storage: &'a Storage,
    limit: usize,
    caller: Caller<'a>,
    key: &'a str,
) -> Decoding<R, impl Future<Output = Option<Decoded<R>>> + 'a> {
    let (raw, message_pack, fresh_until) = match form::read(storage, key, bytes, limit) {
        Ok(read) => (read.raw, read.message_pack, read.fresh_until),
        Err(error) => return Decoding::Done(unreadable(&error, caller, key)),
    };
    let decoded = move |outcome| Decoded {
        outcome,
        fresh_until,
    };
    match storage.data_converter() {
        None => Decoding::Done(match codec.read_plain(&raw, message_pack) {
            Ok(outcome) => Some(decoded(outcome)),
            Err(error) => unreadable(&DecodeError::Payload(error), caller, key),
        }),
        Some(converter) => Decoding::Converting(Box::pin(async move {
            match converter::from_bytes(converter, codec, &raw).await {
                Ok(outcome) => Some(decoded(outcome)),
                Err(error) => unreadable(&error, caller, key),
            }
        })),
    }
}

/// Logs and counts an entry that cannot be read.
fn unreadable<R>(error: &DecodeError, caller: Caller<'_>, key: &str) -> Option<R> {
    caller.metrics.fallback(FallbackReason::UnreadableEntry);
    event!(warn, caller, key, %error, cache.status = "fallback",
        "cache fallback: the stored entry is unreadable; the body runs and its result \
         overwrites it");
    None
}

/// The first step of encoding `outcome`, taken where the outcome is: `None` for an error (never
/// stored), else its MessagePack or JSON (as the storage's [`ValueFormat`] says), or its payload
/// on its way through the DataConverter's codec.
pub(crate) fn raw<R>(outcome: &R, codec: OutcomeCodec<R>, storage: &Storage) -> Option<Raw> {
    Some(match storage.data_converter() {
        None => Raw::Ready(
            codec
                .write_plain(outcome, storage.value_format())?
                .map_err(|error| error.to_string()),
        ),
        Some(converter) => Raw::Converting(converter::to_bytes(converter, codec, outcome)?),
    })
}

/// A result's bytes before their stored form: see [`raw`].
pub(crate) enum Raw {
    Ready(Result<Body, String>),
    Converting(BoxFuture<'static, Result<Vec<u8>, PayloadConversionError>>),
}

/// A result's bytes, and whether they are MessagePack rather than JSON (or a Payload, which the
/// storage's DataConverter says).
pub(crate) struct Body {
    pub(crate) bytes: Vec<u8>,
    pub(crate) message_pack: bool,
}

impl Body {
    /// JSON bytes, or a Payload's.
    pub(crate) fn json(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            message_pack: false,
        }
    }

    /// The bytes of `value` in `format`: its MessagePack where that reads back as its JSON (see
    /// [`message_pack`]), else its JSON.
    pub(crate) fn of<T: Serialize + DeserializeOwned>(
        value: &T,
        format: ValueFormat,
    ) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_vec(value)?;
        Ok(match format {
            ValueFormat::MessagePack => match message_pack::encode(value, &json) {
                Some(bytes) => Self {
                    bytes,
                    message_pack: true,
                },
                None => Self::json(json),
            },
            ValueFormat::Json => Self::json(json),
        })
    }
}

/// The value a stored body that is not a Payload holds: MessagePack or JSON, as its entry's flag
/// says.
pub(crate) fn read_plain<T: DeserializeOwned>(
    bytes: &[u8],
    message_pack: bool,
) -> Result<T, String> {
    if message_pack {
        message_pack::decode(bytes).map_err(|error| error.to_string())
    } else {
        serde_json::from_slice(bytes).map_err(|error| error.to_string())
    }
}

/// The bytes to store for a result whose first step is `raw`: `None` (logged) for a value that
/// cannot be encoded or is larger than `limit` bytes.
pub(crate) async fn stored_form(
    raw: Raw,
    storage: &Storage,
    limit: usize,
    caller: &Caller<'_>,
    key: &str,
    fresh_until: Option<u64>,
) -> Option<Vec<u8>> {
    let raw = match raw {
        Raw::Ready(raw) => raw,
        Raw::Converting(converting) => converting
            .await
            .map(Body::json)
            .map_err(|error| format!("the DataConverter failed: {error}")),
    };
    let stored = raw.and_then(|raw| {
        // The limit bounds the value as read back, compressed or not.
        if raw.bytes.len() > limit {
            return Ok(raw.bytes);
        }
        form::write(storage, key, raw, fresh_until).map_err(|error| error.to_string())
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

/// For the bench: how many bytes a backend with default settings stores for `value`, the
/// envelope's header included (0 if it cannot be encoded).
pub(crate) fn stored_len<T: Serialize + DeserializeOwned>(value: &T) -> usize {
    let storage = Storage::new();
    Body::of(value, storage.value_format())
        .ok()
        .and_then(|body| form::write(&storage, "bench", body, None).ok())
        .map_or(0, |stored| stored.len())
}

/// For the bench: the value a backend with default settings stored in `bytes`, decoded as a hit
/// decodes it (the envelope, then MessagePack or JSON), with nothing else a hit does; `None` if
/// it does not decode.
pub(crate) fn decode_stored<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let storage = Storage::new();
    let read = form::read(&storage, "bench", bytes, usize::MAX).ok()?;
    read_plain(&read.raw, read.message_pack).ok()
}

/// For the fuzz targets: how many of a plain, a compressing and an encrypting backend decode
/// `bytes` as a stored value (MessagePack or JSON) of any shape.
pub(crate) fn decodes(bytes: &[u8]) -> usize {
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
            form::read(storage, "fuzz", bytes, 1 << 20).is_ok_and(|read| {
                read_plain::<serde_json::Value>(&read.raw, read.message_pack).is_ok()
            })
        })
        .count()
}
