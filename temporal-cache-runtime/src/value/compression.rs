//! Compression of large stored values with zstd (already built for the Temporal SDK), off unless
//! a backend's [`Storage`](crate::Storage) turns it on.
//!
//! A compressed body is one zstd frame that records its decompressed size. Reading one checks
//! that size against the backend's value limit before allocating anything, and decompresses
//! into exactly that much room, so a crafted frame (a "decompression bomb") is a miss, never an
//! out-of-memory.

use std::sync::{Mutex, PoisonError};

use zstd::bulk::Decompressor;

use super::envelope::DecodeError;

/// Whether and when stored values are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Values are stored as they are.
    Off,
    /// Values of at least `threshold` bytes are compressed with zstd at `level`, when that makes
    /// them smaller.
    Zstd {
        /// The size, in bytes, from which a value is compressed.
        threshold: usize,
        /// The zstd level (1 to 22; 3 is zstd's default).
        level: i32,
    },
}

impl Compression {
    /// A threshold to start from when turning compression on: below it, values are too small for
    /// compression to save much.
    pub const DEFAULT_THRESHOLD: usize = 16 * 1024;
    /// The default zstd level, zstd's own. On JSON text (the bench's 100 KB result) it
    /// decompresses about 10 % faster than level 1 and stores 6 % less, compressing in the same
    /// time; levels from 9 up decompress faster still, but compress ten times slower or more.
    pub const DEFAULT_LEVEL: i32 = 3;

    /// What a backend does unless told otherwise: [`Off`](Self::Off). Measured on loopback Redis
    /// (`BENCHMARKS.md`), decompressing a 100 KB value costs about twice what transferring the
    /// bytes it saves does, so compression makes hits slower there; it pays where Redis memory
    /// or network bandwidth is the scarce resource (a managed Redis billed by memory, a network
    /// between zones), where it stores values about four times smaller.
    pub const DEFAULT: Self = Self::Off;

    /// zstd for values of at least `threshold` bytes, at the default level.
    pub const fn zstd_above(threshold: usize) -> Self {
        Self::Zstd {
            threshold,
            level: Self::DEFAULT_LEVEL,
        }
    }

    /// `raw` compressed, if this setting compresses it and that makes it smaller.
    pub(crate) fn compress(self, raw: &[u8]) -> Option<Vec<u8>> {
        let Self::Zstd { threshold, level } = self else {
            return None;
        };
        if raw.len() < threshold {
            return None;
        }
        zstd::bulk::compress(raw, level)
            .ok()
            .filter(|compressed| compressed.len() < raw.len())
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Decompresses one frame of at most `limit` bytes.
pub(crate) fn decompress(frame: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) => size,
        Ok(None) => {
            return Err(DecodeError::Decompress(
                "the frame does not record its size".to_owned(),
            ));
        }
        Err(_) => return Err(DecodeError::Decompress("not a zstd frame".to_owned())),
    };
    let size = usize::try_from(size)
        .ok()
        .filter(|size| *size <= limit)
        .ok_or_else(|| {
            DecodeError::Decompress(format!(
                "it would inflate to {size} bytes, past the limit of {limit}"
            ))
        })?;
    let mut decompressor = IDLE_DECOMPRESSORS
        .take()
        .map_or_else(Decompressor::new, Ok)
        .map_err(|error| DecodeError::Decompress(error.to_string()))?;
    let raw = decompressor
        .decompress(frame, size)
        .map_err(|error| DecodeError::Decompress(error.to_string()))?;
    IDLE_DECOMPRESSORS.give_back(decompressor);
    if raw.len() != size {
        return Err(DecodeError::Decompress(
            "it inflates to another size than it records".to_owned(),
        ));
    }
    Ok(raw)
}

/// Decompression contexts kept for the next reads. Making one allocates and sets up its tables
/// afresh, about a tenth of the time a 100 KB value takes to decompress. A few are kept for the
/// whole process rather than one per thread: sync activities run on up to hundreds of blocking
/// threads. (Compressing makes a context per store: at level 3 one is about 800 KB, and a store
/// is a miss's, whose body and round trips cost far more.)
static IDLE_DECOMPRESSORS: Idle<Decompressor<'static>> = Idle::new();

/// Contexts not in use, at most [`Idle::KEPT`] of them.
struct Idle<T> {
    contexts: Mutex<Vec<T>>,
}

impl<T> Idle<T> {
    const KEPT: usize = 8;

    const fn new() -> Self {
        Self {
            contexts: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<T> {
        self.contexts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    /// Keeps `context` for the next call, unless enough are kept. A context that failed is not
    /// given back: nothing it was in the middle of can leak into the next value.
    fn give_back(&self, context: T) {
        let mut contexts = self.contexts.lock().unwrap_or_else(PoisonError::into_inner);
        if contexts.len() < Self::KEPT {
            contexts.push(context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(len: usize) -> Vec<u8> {
        let mut text = String::from("[");
        let mut i = 0;
        while text.len() < len {
            text.push_str(&format!("{{\"id\":{i},\"name\":\"user {i}\"}},"));
            i += 1;
        }
        text.push_str("0]");
        text.into_bytes()
    }

    #[test]
    fn compresses_only_from_the_threshold_and_only_when_smaller() {
        let setting = Compression::zstd_above(1024);
        assert!(setting.compress(&json(1000)[..1000]).is_none());
        let large = json(100_000);
        let compressed = setting.compress(&large).expect("JSON compresses");
        assert!(compressed.len() < large.len() / 4);
        assert_eq!(decompress(&compressed, large.len()).unwrap(), large);
        let random: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let _ = setting
            .compress(&random)
            .map(|c| assert!(c.len() < random.len()));
        assert!(Compression::Off.compress(&large).is_none());
    }

    #[test]
    fn kept_contexts_decompress_every_frame_exactly_even_after_a_failure() {
        let (small, large) = (json(20_000), json(200_000));
        let frames = [
            zstd::bulk::compress(&small, 3).unwrap(),
            zstd::bulk::compress(&large, 1).unwrap(),
        ];
        for _ in 0..3 {
            assert_eq!(decompress(&frames[1], large.len()).unwrap(), large);
            let truncated = &frames[0][..frames[0].len() - 8];
            assert!(decompress(truncated, small.len()).is_err());
            assert_eq!(decompress(&frames[0], small.len()).unwrap(), small);
        }
        let idle = Idle::new();
        for kept in 0..Idle::<Decompressor<'static>>::KEPT + 2 {
            idle.give_back(Decompressor::new().unwrap());
            let len = idle.contexts.lock().unwrap().len();
            assert_eq!(len, (kept + 1).min(Idle::<Decompressor<'static>>::KEPT));
        }
    }

    #[test]
    fn a_bomb_is_refused_before_it_inflates() {
        let zeros = vec![0u8; 10_000_000];
        let bomb = zstd::bulk::compress(&zeros, 3).unwrap();
        assert!(bomb.len() < 2_000);
        let error = decompress(&bomb, 1_000_000).unwrap_err().to_string();
        assert!(error.contains("past the limit of 1000000"), "{error}");
    }

    #[test]
    fn a_frame_that_lies_about_its_size_is_refused() {
        let raw = json(50_000);
        let mut frame = zstd::bulk::compress(&raw, 1).unwrap();
        assert!(decompress(&frame[..frame.len() / 2], raw.len()).is_err());
        let last = frame.len() - 1;
        frame[last] ^= 0xff;
        let _ = decompress(&frame, raw.len());
        assert!(decompress(b"not zstd", 100).is_err());
    }
}
