//! The blake3 hasher keys are digested with, shaped for their usual size: a few hundred bytes.
//!
//! It gathers what it is fed in a buffer inside itself and hashes it in one pass when finalized;
//! only input that outgrows the buffer makes blake3's own incremental hasher (about 2 KB, boxed)
//! and streams into it. blake3's output depends only on the bytes, not on how they were fed, so
//! both ways give the same digest. Keys are fed in many small pieces (a tag, a length, a number),
//! which blake3's hasher takes one call each; and a builder that stays small is cheap to move
//! from the generated code into the call.

use super::KeySecret;

/// How many bytes are hashed without blake3's incremental hasher: an activity's names and a few
/// inputs.
const BUFFERED: usize = 256;

pub(crate) struct BufferedHasher {
    /// The key of blake3's keyed mode, if the digest is keyed.
    secret: Option<KeySecret>,
    buffer: [u8; BUFFERED],
    len: usize,
    /// Where the bytes went once they outgrew the buffer.
    streaming: Option<Box<blake3::Hasher>>,
}

impl BufferedHasher {
    /// A hasher of plain blake3, or of its keyed mode with `secret`.
    pub(crate) fn new(secret: Option<&KeySecret>) -> Self {
        Self {
            secret: secret.cloned(),
            buffer: [0; BUFFERED],
            len: 0,
            streaming: None,
        }
    }

    // Inline, so that the many fixed-size pieces (a tag, a length) are copied without a call.
    #[inline]
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        if self.streaming.is_none()
            && let Some(room) = self.buffer.get_mut(self.len..self.len + bytes.len())
        {
            room.copy_from_slice(bytes);
            self.len += bytes.len();
            return;
        }
        self.stream(bytes);
    }

    /// Feeds blake3's incremental hasher, made (with what the buffer holds) on first use.
    #[inline(never)]
    fn stream(&mut self, bytes: &[u8]) {
        let buffered = &self.buffer[..self.len];
        let secret = self.secret.as_ref();
        self.streaming
            .get_or_insert_with(|| {
                let mut hasher = Box::new(match secret {
                    Some(secret) => blake3::Hasher::new_keyed(secret.bytes()),
                    None => blake3::Hasher::new(),
                });
                hasher.update(buffered);
                hasher
            })
            .update(bytes);
    }

    pub(crate) fn finalize(&self) -> blake3::Hash {
        let buffered = &self.buffer[..self.len];
        match (&self.streaming, &self.secret) {
            (Some(hasher), _) => hasher.finalize(),
            (None, Some(secret)) => blake3::keyed_hash(secret.bytes(), buffered),
            (None, None) => blake3::hash(buffered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same bytes in pieces of every size, below and past the buffer, keyed or not.
    #[test]
    fn digests_as_blake3_does_however_the_bytes_are_fed() {
        let bytes: Vec<u8> = (0..3 * BUFFERED).map(|i| (i * 7 % 251) as u8).collect();
        let secret = KeySecret::new([9; 32]);
        for len in [0, 1, BUFFERED - 1, BUFFERED, BUFFERED + 1, bytes.len()] {
            let input = &bytes[..len];
            for piece in [1, 5, 64, BUFFERED] {
                let mut plain = BufferedHasher::new(None);
                let mut keyed = BufferedHasher::new(Some(&secret));
                for chunk in input.chunks(piece) {
                    plain.update(chunk);
                    keyed.update(chunk);
                }
                assert_eq!(plain.finalize(), blake3::hash(input), "{len} by {piece}");
                assert_eq!(
                    keyed.finalize(),
                    blake3::keyed_hash(secret.bytes(), input),
                    "{len} by {piece}"
                );
            }
        }
    }
}
