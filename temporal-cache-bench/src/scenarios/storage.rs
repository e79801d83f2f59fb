//! Hits of values stored in each form (plain, compressed, encrypted, through a DataConverter)
//! against one floor per result size: a bare `GET` of the plain, uncompressed entry, so that
//! every form is judged by what a user would otherwise pay, alternating call by call.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use temporal_cache_runtime::{Compression, EncryptionKey, Keyring, RedisCacheBackend, Storage};
use temporalio_common::data_converters::DataConverter;

use super::{Op, ROUNDS, bare_get, get, op};
use crate::activities::{DOCUMENT, Form, PROFILE, STORAGE_BACKENDS, StorageActivities};
use crate::context::context_for;
use crate::error::{BenchResult, activity_result};
use crate::stats::{self, Latency, median};

/// One stored form of one result size, against the floor of its size.
#[derive(Debug, Clone)]
pub(crate) struct FormHits {
    pub(crate) form: Form,
    /// `true` for the 100 KB result, `false` for the 233 B one.
    pub(crate) large: bool,
    /// Bytes of the entry in Redis.
    pub(crate) entry_bytes: usize,
    /// (floor, hit) per round.
    pub(crate) rounds: Vec<(Latency, Latency)>,
}

impl FormHits {
    pub(crate) fn floor_p50(&self) -> std::time::Duration {
        median(&self.rounds, |(floor, _)| floor.p50)
    }

    pub(crate) fn hit_p50(&self) -> std::time::Duration {
        median(&self.rounds, |(_, hit)| hit.p50)
    }

    pub(crate) fn ratio(&self) -> f64 {
        self.hit_p50().as_secs_f64() / self.floor_p50().as_secs_f64()
    }
}

/// The parts of a compressed 100 KB hit, per round: what any hit of that entry pays before
/// decoding it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompressedParts {
    /// A bare `GET` of the compressed entry itself.
    pub(crate) get: Latency,
    /// zstd decompressing its body, nothing else.
    pub(crate) decompress: Latency,
}

#[derive(Debug, Clone)]
pub(crate) struct StorageReport {
    pub(crate) forms: Vec<FormHits>,
    /// Per round, the compressed entry's bare `GET` and its decompression alone.
    pub(crate) compressed_parts: Vec<CompressedParts>,
    pub(crate) small_iterations: usize,
    pub(crate) large_iterations: usize,
}

impl StorageReport {
    pub(crate) fn of(&self, form: Form, large: bool) -> Option<&FormHits> {
        self.forms
            .iter()
            .find(|hits| hits.form == form && hits.large == large)
    }
}

const SMALL: (usize, usize) = (1_000, 5_000);
const LARGE: (usize, usize) = (100, 1_000);

/// The prefix of each form's backend.
fn prefix(form: Form) -> &'static str {
    match form {
        Form::Plain => "bench-plain",
        Form::Compressed => "bench-compressed",
        Form::Encrypted => "bench-encrypted",
        Form::Converted => "bench-converted",
    }
}

fn storage(form: Form) -> Storage {
    match form {
        Form::Plain => Storage::new().with_compression(Compression::Off),
        Form::Compressed => {
            Storage::new().with_compression(Compression::zstd_above(Compression::DEFAULT_THRESHOLD))
        }
        Form::Encrypted => {
            Storage::new().with_encryption(Keyring::new(EncryptionKey::new([0x5a; 32])))
        }
        Form::Converted => Storage::new().with_data_converter(DataConverter::default()),
    }
}

pub(crate) async fn measure(url: &str) -> BenchResult<StorageReport> {
    let forms = [
        Form::Plain,
        Form::Compressed,
        Form::Encrypted,
        Form::Converted,
    ];
    let backends = forms.map(|form| -> BenchResult<Arc<RedisCacheBackend>> {
        Ok(Arc::new(
            RedisCacheBackend::new(url)?
                .with_prefix(prefix(form))
                .with_storage(storage(form)),
        ))
    });
    let [a, b, c, d] = backends;
    STORAGE_BACKENDS
        .set([a?, b?, c?, d?])
        .map_err(|_| "the storage backends are set once")?;
    let connection = ConnectionManager::new(redis::Client::open(url)?).await?;

    let subjects: [(Form, bool); 7] = [
        (Form::Plain, false),
        (Form::Encrypted, false),
        (Form::Converted, false),
        (Form::Plain, true),
        (Form::Compressed, true),
        (Form::Encrypted, true),
        (Form::Converted, true),
    ];
    let mut prepared = Vec::new();
    for (form, large) in subjects {
        let hit = hit_op(form, large).await?;
        hit(0).await?;
        let key = only_key(&connection, form, large).await?;
        let entry_bytes: usize = redis::cmd("STRLEN")
            .arg(&key)
            .query_async(&mut connection.clone())
            .await?;
        prepared.push((form, large, hit, key, entry_bytes));
    }
    let floor_key = |large: bool| {
        prepared
            .iter()
            .find(|(form, l, ..)| *form == Form::Plain && *l == large)
            .map(|(.., key, _)| key.clone())
            .expect("the plain entries are prepared first")
    };
    let (small_floor, large_floor) = (
        bare_get(connection.clone(), vec![floor_key(false)]),
        bare_get(connection.clone(), vec![floor_key(true)]),
    );

    let compressed_key = prepared
        .iter()
        .find(|(form, large, ..)| *form == Form::Compressed && *large)
        .map(|(.., key, _)| key.clone())
        .ok_or("the compressed entry is prepared")?;
    let compressed_get = bare_get(connection.clone(), vec![compressed_key.clone()]);
    let frame = compressed_body(&connection, &compressed_key).await?;
    let raw_len = zstd::zstd_safe::get_frame_content_size(&frame)
        .ok()
        .flatten()
        .and_then(|len| usize::try_from(len).ok())
        .ok_or("the compressed body records its size")?;
    let mut compressed_parts = Vec::new();

    let mut forms: Vec<FormHits> = prepared
        .iter()
        .map(|(form, large, _, _, entry_bytes)| FormHits {
            form: *form,
            large: *large,
            entry_bytes: *entry_bytes,
            rounds: Vec::new(),
        })
        .collect();
    for round in 1..=ROUNDS {
        eprintln!("storage: round {round} of {ROUNDS}");
        for (hits, (_, large, hit, ..)) in forms.iter_mut().zip(&prepared) {
            let (floor, (warm_up, iterations)) = if *large {
                (&large_floor, LARGE)
            } else {
                (&small_floor, SMALL)
            };
            let measured = stats::alternating(warm_up, iterations, || floor(0), || hit(0)).await?;
            hits.rounds.push(measured);
        }
        let (warm_up, iterations) = LARGE;
        compressed_parts.push(CompressedParts {
            get: stats::sequential(warm_up, iterations, || compressed_get(0)).await?,
            // The work is in the future, which is what `sequential` times.
            decompress: stats::sequential(warm_up, iterations, || {
                let frame = &frame;
                async move { Ok(zstd::bulk::decompress(frame, raw_len)?.len()) }
            })
            .await?,
        });
    }
    Ok(StorageReport {
        forms,
        compressed_parts,
        small_iterations: SMALL.1,
        large_iterations: LARGE.1,
    })
}

/// One call of the activity of `form` and size, always the same input: a hit once stored.
async fn hit_op(form: Form, large: bool) -> BenchResult<Op> {
    use futures::future::Either;
    let name = match (form, large) {
        (Form::Plain, false) => StorageActivities::small_plain.name(),
        (Form::Encrypted, false) => StorageActivities::small_encrypted.name(),
        (Form::Converted, false) => StorageActivities::small_converted.name(),
        (Form::Plain, true) => StorageActivities::large_plain.name(),
        (Form::Compressed, true) => StorageActivities::large_compressed.name(),
        (Form::Encrypted, true) => StorageActivities::large_encrypted.name(),
        (Form::Converted, true) => StorageActivities::large_converted.name(),
        (Form::Compressed, false) => {
            return Err("the small result is below the compression threshold".into());
        }
    };
    let ctx = context_for(name).await?;
    Ok(op(move |_| {
        let ctx = ctx.clone();
        if large {
            let id = DOCUMENT.id;
            Either::Left(async move {
                let document = match form {
                    Form::Plain => StorageActivities::__large_plain(ctx, id).await,
                    Form::Compressed => StorageActivities::__large_compressed(ctx, id).await,
                    Form::Encrypted => StorageActivities::__large_encrypted(ctx, id).await,
                    Form::Converted => StorageActivities::__large_converted(ctx, id).await,
                };
                activity_result(document).map(drop)
            })
        } else {
            let id = PROFILE.id;
            Either::Right(async move {
                let profile = match form {
                    Form::Encrypted => StorageActivities::__small_encrypted(ctx, id).await,
                    Form::Converted => StorageActivities::__small_converted(ctx, id).await,
                    _ => StorageActivities::__small_plain(ctx, id).await,
                };
                activity_result(profile).map(drop)
            })
        }
    }))
}

/// The zstd frame a compressed, unencrypted entry without a freshness deadline holds after its
/// 4-byte header.
async fn compressed_body(connection: &ConnectionManager, key: &str) -> BenchResult<Vec<u8>> {
    let entry = get(&mut connection.clone(), key).await?;
    match entry.split_at_checked(4) {
        Some((b"tc\x02\x11", frame)) => Ok(frame.to_vec()),
        _ => {
            Err(format!("{key} is not a compressed MessagePack entry of envelope format 2").into())
        }
    }
}

async fn only_key(connection: &ConnectionManager, form: Form, large: bool) -> BenchResult<String> {
    let activity = if large { "large_" } else { "small_" };
    let pattern = format!("{}:*:StorageActivities::{activity}*", prefix(form));
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut connection.clone())
        .await?;
    match keys.as_slice() {
        [key] => Ok(key.clone()),
        _ => Err(format!(
            "expected one entry matching {pattern}, found {}",
            keys.len()
        )
        .into()),
    }
}
