//! Cache keys: what identifies one cached result.
//!
//! A key reads `<prefix>:v1:<activity type>:{<digest>}`. The digest is a blake3 hash over the
//! activity type, the activity's `version` salt, the source hash of `task_source` activities, and
//! the canonical encoding of every input not excluded, each tagged with its position. The braces
//! make the digest a Redis Cluster hash tag, so every key that belongs to one entry lands in the
//! same slot. Redis takes the first `{` of a key and the first `}` after it as the tag, so braces
//! (and `%`, to keep the escape unambiguous) in the prefix and the activity type are written
//! percent-escaped (`%7B`, `%7D`, `%25`): the digest is the hash tag whatever the names. (The
//! digest holds the activity type as registered, so escaping never makes two keys alike.) `v1` is
//! the key layout's version: a release that changes the layout changes it, and old entries are
//! then simply never read.

mod encoding;

use serde::Serialize;

pub(crate) use self::encoding::EncodeError;
use self::encoding::Encoder;
use crate::spec::CacheSpec;

/// The key layout version, part of every key.
pub(crate) const KEY_LAYOUT: &str = "v1";

/// An input the cache can hash into a key: `Serialize`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a cache key: an activity input must implement serde's `Serialize`",
    label = "this input cannot be hashed into the cache key",
    note = "derive `serde::Serialize` for it, or leave it out of the key with `exclude = [...]`"
)]
pub trait KeyInput: Serialize {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> KeyInput for T {}

/// Hashes an activity's identity and inputs into its cache key.
///
/// The readable head of the key (`<prefix>:v1:<activity type>:{`) is written when the builder is
/// made, from the same activity type that opens the digest, so [`finish`](Self::finish) only adds
/// the digest.
pub(crate) struct KeyBuilder {
    head: String,
    // Boxed: a blake3 hasher is about 2 KB, and the builder moves through the activity's future.
    encoder: Box<Encoder>,
    error: Option<EncodeError>,
}

impl KeyBuilder {
    /// A key of `activity_type` under the activity's `spec`, in the namespace `prefix`.
    pub(crate) fn new(prefix: &str, spec: &CacheSpec, activity_type: &str) -> Self {
        let mut head = String::with_capacity(
            prefix.len() + KEY_LAYOUT.len() + activity_type.len() + DIGEST_HEX_LEN + 6,
        );
        push_escaped(&mut head, prefix);
        for part in [":", KEY_LAYOUT, ":"] {
            head.push_str(part);
        }
        push_escaped(&mut head, activity_type);
        head.push_str(":{");
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"temporal-cache key ");
        hasher.update(KEY_LAYOUT.as_bytes());
        for part in [activity_type, spec.version] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        match &spec.source_hash {
            Some(source) => {
                hasher.update(&[1]);
                hasher.update(source);
            }
            None => {
                hasher.update(&[0]);
            }
        }
        Self {
            head,
            encoder: Box::new(Encoder::new(hasher)),
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

    /// The finished key, or why an input could not be encoded.
    pub(crate) fn finish(self) -> Result<String, EncodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let digest = self.encoder.into_hasher().finalize();
        let mut key = self.head;
        key.push_str(&digest.to_hex());
        key.push('}');
        Ok(key)
    }
}

/// The length of a blake3 digest in hex.
const DIGEST_HEX_LEN: usize = 64;

/// `name` as it appears in keys: see [`push_escaped`].
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn escaped(name: &str) -> String {
    let mut text = String::with_capacity(name.len());
    push_escaped(&mut text, name);
    text
}

/// Appends `name` with the characters that could start or end a Redis hash tag percent-escaped.
fn push_escaped(key: &mut String, name: &str) {
    for character in name.chars() {
        match character {
            '{' => key.push_str("%7B"),
            '}' => key.push_str("%7D"),
            '%' => key.push_str("%25"),
            other => key.push(other),
        }
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
        let mut builder = KeyBuilder::new("tc", spec, activity_type);
        for (position, value) in inputs {
            value.add_to(&mut builder, *position);
        }
        builder.finish().expect("encodable")
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

    /// Redis Cluster's rule: the first `{`, then the first `}` after it; the text between is the
    /// hash tag unless it is empty (then the whole key is hashed).
    fn redis_hash_tag(key: &str) -> Option<&str> {
        let open = key.find('{')?;
        let close = key[open + 1..].find('}')? + open + 1;
        (close > open + 1).then(|| &key[open + 1..close])
    }

    fn digest_of(key: &str) -> &str {
        let start = key.rfind('{').expect("the digest opens with a brace") + 1;
        &key[start..key.len() - 1]
    }

    #[test]
    fn names_with_braces_cannot_steal_the_hash_tag() {
        for (prefix, activity_type) in [
            ("tc", "a{}b"),
            ("tc", "a{b}c"),
            ("{x}", "A::f"),
            ("t}c", "{"),
            ("tc", "%7B"),
        ] {
            let mut builder = KeyBuilder::new(prefix, &INPUTS, activity_type);
            builder.input(0, &1u8);
            let key = builder.finish().expect("encodable");
            assert_eq!(redis_hash_tag(&key), Some(digest_of(&key)), "{key}");
            assert_eq!(digest_of(&key).len(), 64, "{key}");
        }
        // The escape is unambiguous: a name that looks escaped is escaped once more.
        assert_ne!(key(&INPUTS, "a{b", &[]), key(&INPUTS, "a%7Bb", &[]));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn the_digest_is_the_hash_tag_of_every_key(
                prefix in "([a-z:{}%]|\\PC){0,12}",
                activity_type in "([A-Za-z:{}%]|\\PC){0,24}",
                input in any::<u64>(),
            ) {
                let mut builder = KeyBuilder::new(&prefix, &INPUTS, &activity_type);
                builder.input(0, &input);
                let key = builder.finish().expect("encodable");
                let lease = format!("{key}:lease");
                let channel = format!("{key}:events");
                let digest = digest_of(&key);
                prop_assert_eq!(digest.len(), 64);
                for related in [&key, &lease, &channel] {
                    prop_assert_eq!(redis_hash_tag(related), Some(digest));
                }
            }
        }
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
        let mut builder = KeyBuilder::new("tc", &INPUTS, "A::f");
        builder.input(0, &Broken);
        builder.input(1, &1u8);
        assert!(builder.finish().is_err());
    }
}
