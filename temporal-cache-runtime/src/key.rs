//! Cache keys: what identifies one cached result.
//!
//! A key reads `<prefix>:v1:<activity type>:{<digest>}`. The digest is a blake3 hash over the
//! activity type, the activity's `version` salt, the source hash of `task_source` activities, and
//! the canonical encoding of every input not excluded, each tagged with its position. The braces
//! make the digest a Redis Cluster hash tag, so every key that belongs to one entry lands in the
//! same slot. `v1` is the key layout's version: a release that changes the layout changes it, and
//! old entries are then simply never read.

use serde::Serialize;

use crate::encoding::{EncodeError, Encoder};
use crate::spec::CacheSpec;

/// The key layout version, part of every key.
pub(crate) const KEY_LAYOUT: &str = "v1";

/// Hashes an activity's identity and inputs into its cache key.
#[doc(hidden)]
pub struct KeyBuilder {
    // Boxed: a blake3 hasher is about 2 KB, and the builder moves through the activity's future.
    encoder: Box<Encoder>,
    error: Option<EncodeError>,
}

impl KeyBuilder {
    pub(crate) fn new(spec: &CacheSpec, activity_type: &str) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"temporal-cache key ");
        hasher.update(KEY_LAYOUT.as_bytes());
        let mut encoder = Encoder::new(hasher);
        for part in [activity_type, spec.version] {
            let hasher = encoder.hasher_mut();
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        match &spec.source_hash {
            Some(source) => {
                encoder.hasher_mut().update(&[1]);
                encoder.hasher_mut().update(source);
            }
            None => {
                encoder.hasher_mut().update(&[0]);
            }
        }
        Self {
            encoder: Box::new(encoder),
            error: None,
        }
    }

    /// Adds the input at `position` (its index among the activity's inputs, so that excluding one
    /// input never shifts another into its place).
    pub(crate) fn input<T: Serialize + ?Sized>(&mut self, position: u8, value: &T) {
        if self.error.is_some() {
            return;
        }
        self.encoder.hasher_mut().update(&[position]);
        if let Err(error) = self.encoder.encode(value) {
            self.error = Some(error);
        }
    }

    /// The finished key under `prefix`, or why an input could not be encoded.
    pub(crate) fn finish(self, prefix: &str, activity_type: &str) -> Result<String, EncodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let digest = self.encoder.into_hasher().finalize();
        let hex = digest.to_hex();
        let mut key = String::with_capacity(
            prefix.len() + KEY_LAYOUT.len() + activity_type.len() + hex.len() + 6,
        );
        for part in [prefix, ":", KEY_LAYOUT, ":", activity_type, ":{", &hex, "}"] {
            key.push_str(part);
        }
        Ok(key)
    }
}

/// Something the inputs of an activity call are hashed into: a call or an invalidation.
#[doc(hidden)]
pub trait KeySink {
    /// The key being built; `None` when nothing is cached (caching off, or no backend).
    fn key_builder(&mut self) -> Option<&mut KeyBuilder>;
}

/// Adds the input at `position` to `sink`'s key. One function for calls and invalidations, so a
/// type that cannot be hashed is reported once.
#[doc(hidden)]
pub fn key_input<T: crate::outcome::KeyInput + ?Sized>(
    sink: &mut dyn KeySink,
    position: u8,
    value: &T,
) {
    if let Some(key) = sink.key_builder() {
        key.input(position, value);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const INPUTS: CacheSpec = CacheSpec {
        ttl: Some(Duration::from_secs(60)),
        version: "",
        source_hash: None,
        lock: None,
    };

    fn key(spec: &CacheSpec, activity_type: &str, inputs: &[(u8, &dyn erased::Input)]) -> String {
        let mut builder = KeyBuilder::new(spec, activity_type);
        for (position, value) in inputs {
            value.add_to(&mut builder, *position);
        }
        builder.finish("tc", activity_type).expect("encodable")
    }

    /// Lets a test list inputs of different types in one slice.
    mod erased {
        pub(super) trait Input {
            fn add_to(&self, builder: &mut super::KeyBuilder, position: u8);
        }

        impl<T: serde::Serialize> Input for T {
            fn add_to(&self, builder: &mut super::KeyBuilder, position: u8) {
                builder.input(position, self);
            }
        }
    }

    #[test]
    fn layout_is_prefix_version_activity_and_hash_tag() {
        let key = key(&INPUTS, "Users::fetch", &[(0, &7u64)]);
        let (head, tag) = key.split_once('{').expect("a hash tag");
        assert_eq!(head, "tc:v1:Users::fetch:");
        assert_eq!(tag.len(), 65);
        assert!(tag.ends_with('}'));
        assert!(tag[..64].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(
            key(&INPUTS, "A::f", &[(0, &"x"), (1, &3u8)]),
            key(&INPUTS, "A::f", &[(0, &"x"), (1, &3u8)])
        );
        // Pinned: a change to the encoding or the layout must be deliberate (and bump KEY_LAYOUT).
        assert_eq!(
            key(&INPUTS, "A::f", &[(0, &"x"), (1, &3u8)]),
            "tc:v1:A::f:{ee00c23393f03acf75aff074ace82a92e73fc68fad9c4a1b0b85c7b9f0b1c1d2}"
        );
    }

    #[test]
    fn activity_type_version_and_source_separate_entries() {
        let base = key(&INPUTS, "A::f", &[(0, &1u8)]);
        assert_ne!(base, key(&INPUTS, "B::f", &[(0, &1u8)]));
        let versioned = CacheSpec {
            version: "2",
            ..INPUTS
        };
        assert_ne!(base, key(&versioned, "A::f", &[(0, &1u8)]));
        let sourced = CacheSpec {
            source_hash: Some([0; 32]),
            ..INPUTS
        };
        let resourced = CacheSpec {
            source_hash: Some([1; 32]),
            ..INPUTS
        };
        assert_ne!(base, key(&sourced, "A::f", &[(0, &1u8)]));
        assert_ne!(
            key(&sourced, "A::f", &[(0, &1u8)]),
            key(&resourced, "A::f", &[(0, &1u8)])
        );
    }

    #[test]
    fn the_ttl_is_not_part_of_the_key() {
        let longer = CacheSpec {
            ttl: Some(Duration::from_secs(3600)),
            ..INPUTS
        };
        assert_eq!(
            key(&INPUTS, "A::f", &[(0, &1u8)]),
            key(&longer, "A::f", &[(0, &1u8)])
        );
    }

    #[test]
    fn positions_keep_inputs_apart() {
        assert_ne!(
            key(&INPUTS, "A::f", &[(0, &1u8), (1, &2u8)]),
            key(&INPUTS, "A::f", &[(0, &2u8), (1, &1u8)])
        );
        // Excluding the first of two inputs is not the same as an activity with one input.
        assert_ne!(
            key(&INPUTS, "A::f", &[(1, &2u8)]),
            key(&INPUTS, "A::f", &[(0, &2u8)])
        );
        assert_ne!(key(&INPUTS, "A::f", &[]), key(&INPUTS, "A::f", &[(0, &())]));
    }

    #[test]
    fn an_input_that_fails_to_serialize_is_reported() {
        struct Broken;
        impl Serialize for Broken {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let mut builder = KeyBuilder::new(&INPUTS, "A::f");
        builder.input(0, &Broken);
        builder.input(1, &1u8);
        assert!(builder.finish("tc", "A::f").is_err());
    }
}
