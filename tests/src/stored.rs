//! What the tests of stored values share: activities whose results hold a distinctive plaintext
//! or are large, and an encrypting Temporal `PayloadCodec` as a user would write one.

// The SDK's `#[activities]` generates undocumented marker constants.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::sync::OnceLock;

use futures::future::BoxFuture;
use prost::Message;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use temporal_cache_runtime::{RedisCacheBackend, Storage, cached_activity, set_cache_backend};
use temporalio_common::data_converters::{
    DataConverter, DefaultFailureConverter, PayloadCodec, PayloadConversionError, PayloadConverter,
    SerializationContextData,
};
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::record_run;
use crate::redis_server::RedisServer;

/// The text every [`Profile`] carries: a test asserts it never reaches Redis in the clear.
pub const PLAINTEXT_MARKER: &str = "PLAINTEXT-MARKER";

/// The Redis of this process's tests of stored values, started by the first call.
pub fn redis() -> &'static RedisServer {
    static REDIS: OnceLock<RedisServer> = OnceLock::new();
    REDIS.get_or_init(|| {
        crate::init_tracing();
        RedisServer::start()
    })
}

/// Makes a backend on [`redis`] with `storage` the global one.
pub fn use_storage(storage: Storage) {
    set_cache_backend(
        RedisCacheBackend::new(&redis().url())
            .expect("a Redis URL")
            .with_storage(storage),
    );
}

/// Whether `bytes` hold `text` anywhere, as a test looks for plaintext in a stored entry.
pub fn contains_text(bytes: &[u8], text: &str) -> bool {
    bytes
        .windows(text.len())
        .any(|window| window == text.as_bytes())
}

/// A result with a secret in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub token: String,
    pub secret: String,
    pub run: u32,
    pub pid: u32,
}

/// A large result: `rows` rows of JSON-typical data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub token: String,
    pub run: u32,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: u32,
    pub name: String,
    pub email: String,
    pub active: bool,
}

/// Activities that use the global backend, whatever its storage settings.
pub struct Stored;

#[activities]
impl Stored {
    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn profile(_ctx: ActivityContext, token: String) -> Result<Profile, ActivityError> {
        let run = record_run(&token);
        Ok(Profile {
            secret: format!("{PLAINTEXT_MARKER}-{token}"),
            token,
            run,
            pid: std::process::id(),
        })
    }

    /// As `profile`, with one entry for every namespace.
    #[cached_activity(ttl = "1h", namespaces = "shared")]
    #[activity]
    pub async fn shared_profile(
        _ctx: ActivityContext,
        token: String,
    ) -> Result<Profile, ActivityError> {
        let run = record_run(&format!("{token}/shared"));
        Ok(Profile {
            secret: format!("{PLAINTEXT_MARKER}-{token}"),
            token,
            run,
            pid: std::process::id(),
        })
    }

    #[cached_activity(ttl = "1h")]
    #[activity]
    pub async fn report(
        _ctx: ActivityContext,
        token: String,
        rows: u32,
    ) -> Result<Report, ActivityError> {
        let run = record_run(&token);
        let rows = (0..rows)
            .map(|id| Row {
                id,
                name: format!("user number {id}"),
                email: format!("user{id}@example.com"),
                active: id % 3 != 0,
            })
            .collect();
        Ok(Report { token, run, rows })
    }
}

/// An encrypting payload codec, as users write them: AES-256-GCM over the whole encoded
/// payload, with the key's id in the metadata. Payloads it did not encrypt pass through on
/// decode (as with Temporal's sample codecs); one it cannot decrypt is an error.
pub struct SealingCodec {
    key_id: String,
    key: [u8; 32],
}

const ENCODING: &str = "binary/test-encrypted";

impl SealingCodec {
    pub fn new(key_id: &str, key: [u8; 32]) -> Self {
        Self {
            key_id: key_id.to_owned(),
            key,
        }
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.key).expect("32 bytes"))
    }

    fn seal(&self, payload: &Payload) -> Payload {
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("randomness");
        let mut data = payload.encode_to_vec();
        self.aead()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("seals");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        let metadata = HashMap::from([
            ("encoding".to_owned(), ENCODING.as_bytes().to_vec()),
            (
                "encryption-key-id".to_owned(),
                self.key_id.as_bytes().to_vec(),
            ),
        ]);
        Payload {
            metadata,
            data: sealed,
            external_payloads: vec![],
        }
    }

    fn open(&self, payload: Payload) -> Result<Payload, PayloadConversionError> {
        if payload.metadata.get("encoding").map(Vec::as_slice) != Some(ENCODING.as_bytes()) {
            return Ok(payload);
        }
        let failed = |why: &str| PayloadConversionError::EncodingError(why.to_owned().into());
        if payload.data.len() < NONCE_LEN {
            return Err(failed("truncated"));
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let mut data = sealed.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| failed("nonce"))?;
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| failed("the payload does not decrypt with this key"))?;
        Payload::decode(&plain[..]).map_err(|_| failed("not a payload"))
    }
}

impl PayloadCodec for SealingCodec {
    fn encode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let sealed = payloads.iter().map(|payload| self.seal(payload)).collect();
        Box::pin(async move { Ok(sealed) })
    }

    fn decode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let opened: Result<Vec<Payload>, _> = payloads
            .into_iter()
            .map(|payload| self.open(payload))
            .collect();
        Box::pin(async move { opened })
    }
}

/// The DataConverter of a worker whose payloads are encrypted with the key made of `byte`.
pub fn sealing_converter(byte: u8) -> DataConverter {
    DataConverter::new(
        PayloadConverter::default(),
        DefaultFailureConverter::default(),
        SealingCodec::new(&format!("key-{byte}"), [byte; 32]),
    )
}
