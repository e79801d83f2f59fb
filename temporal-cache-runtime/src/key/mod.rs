//! Cache keys: what identifies one cached result.
//!
//! A key reads `<prefix>:v2:<namespace>:<activity type>:{<digest>}` (the namespace reads `*` for
//! an activity whose entries all namespaces share). The digest is a blake3 hash over the Temporal
//! namespace (or the mark of a shared entry), the activity type, the activity's `version` salt,
//! the source hash of `task_source` activities, and the canonical encoding of every input not
//! excluded, each tagged with its position; with a [`KeySecret`] it is blake3's keyed hash, so
//! that whoever can list the keys cannot test a guessed input against them. The braces make the
//! digest a Redis Cluster hash tag, so every key that belongs to one entry lands in the same
//! slot. Redis takes the first `{` of a key and the first `}` after it as the tag, so braces (and
//! `%`, to keep the escape unambiguous) in the prefix, the namespace and the activity type are
//! written percent-escaped (`%7B`, `%7D`, `%25`): the digest is the hash tag whatever the names.
//! (The digest holds the names as given, so escaping never makes two keys alike.) `v2` is the key
//! layout's version: a release that changes the layout changes it, and old entries are then
//! simply never read.

mod buffered;
mod encoding;
mod head;
mod secret;

use std::cell::RefCell;
use std::sync::Arc;

use serde::Serialize;

use self::buffered::BufferedHasher;
pub(crate) use self::encoding::EncodeError;
use self::encoding::Encoder;
pub(crate) use self::head::activity_head;
#[cfg(feature = "redis")]
pub(crate) use self::head::escaped;
use self::head::key_head;
pub use self::secret::KeySecret;
use crate::spec::{CacheSpec, Namespaces};

/// The key layout version, part of every key.
pub(crate) const KEY_LAYOUT: &str = "v2";

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

/// Which activity a key belongs to, and in which Temporal namespace it runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The registered activity type.
    pub activity_type: &'a str,
    /// The Temporal namespace of the call.
    pub namespace: &'a str,
}

/// Hashes an activity's identity and inputs into its cache key.
///
/// The readable head of the key (`<prefix>:v2:<namespace>:<activity type>:{`) is written when the
/// builder is made, from the same names that open the digest, so [`finish`](Self::finish) only
/// adds the digest.
pub(crate) struct KeyBuilder {
    head: Arc<str>,
    // Not boxed, and small (see `BufferedHasher`): the generated code builds the key before the
    // activity's first `.await`, so it lives on the stack, never in a future.
    encoder: Encoder,
    error: Option<EncodeError>,
}

impl KeyBuilder {
    /// A key of the activity and namespace `scope` under the activity's `spec`, after `prefix`,
    /// hashed with `secret` if there is one.
    pub(crate) fn new(
        prefix: &str,
        secret: Option<&KeySecret>,
        spec: &CacheSpec,
        scope: Scope<'_>,
    ) -> Self {
        let namespace = match spec.namespaces {
            Namespaces::Isolated => Some(scope.namespace),
            Namespaces::Shared => None,
        };
        let head = key_head(prefix, namespace, scope.activity_type);
        let mut hasher = BufferedHasher::new(secret);
        hasher.update(b"temporal-cache key ");
        hasher.update(KEY_LAYOUT.as_bytes());
        match namespace {
            Some(namespace) => {
                hasher.update(&[1]);
                hash_str(&mut hasher, namespace);
            }
            None => {
                hasher.update(&[0]);
            }
        }
        for part in [scope.activity_type, spec.version] {
            hash_str(&mut hasher, part);
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
            encoder: Encoder::new(hasher),
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
    ///
    /// Assembled in a buffer this thread keeps, so that the key costs one allocation: its own.
    pub(crate) fn finish(self) -> Result<Arc<str>, EncodeError> {
        thread_local! {
            static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
        }
        if let Some(error) = self.error {
            return Err(error);
        }
        let digest = self.encoder.into_hasher().finalize();
        Ok(SCRATCH.with_borrow_mut(|key| {
            key.clear();
            key.push_str(&self.head);
            key.push_str(&digest.to_hex());
            key.push('}');
            Arc::from(key.as_str())
        }))
    }
}

/// Hashes a length-prefixed name.
fn hash_str(hasher: &mut BufferedHasher, text: &str) {
    hasher.update(&(text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::spec::OnError;

    const INPUTS: CacheSpec = CacheSpec {
        ttl: Some(Duration::from_secs(60)),
        version: "",
        source_hash: None,
        lock: None,
        namespaces: Namespaces::Isolated,
        stale: None,
        on_error: OnError::Fail,
    };

    fn scope(activity_type: &str) -> Scope<'_> {
        Scope {
            activity_type,
            namespace: "default",
        }
    }

    fn key(spec: &CacheSpec, activity_type: &str, inputs: &[(u8, &dyn erased::Input)]) -> String {
        let mut builder = KeyBuilder::new("tc", None, spec, scope(activity_type));
        for (position, value) in inputs {
            value.add_to(&mut builder, *position);
        }
        builder.finish().expect("encodable").to_string()
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
        assert_eq!(head, "tc:v2:default:Users::fetch:");
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
            let mut builder = KeyBuilder::new(prefix, None, &INPUTS, scope(activity_type));
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
                namespace in "([a-z.{}%-]|\\PC){0,12}",
                activity_type in "([A-Za-z:{}%]|\\PC){0,24}",
                shared in any::<bool>(),
                input in any::<u64>(),
            ) {
                let spec = CacheSpec {
                    namespaces: if shared { Namespaces::Shared } else { Namespaces::Isolated },
                    ..INPUTS
                };
                let scope = Scope { activity_type: &activity_type, namespace: &namespace };
                let mut builder = KeyBuilder::new(&prefix, None, &spec, scope);
                builder.input(0, &input);
                let key = builder.finish().expect("encodable");
                let lease = format!("{key}:lease");
                let channel = format!("{key}:events");
                let digest = digest_of(&key);
                prop_assert_eq!(digest.len(), 64);
                for related in [&*key, &lease, &channel] {
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
            "tc:v2:default:A::f:{2f6b99ca17421cc1ee7b520ff8666663d41ce945edcb3a95f6598299ee1a5a07}"
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
        let mut builder = KeyBuilder::new("tc", None, &INPUTS, scope("A::f"));
        builder.input(0, &Broken);
        builder.input(1, &1u8);
        assert!(builder.finish().is_err());
    }

    #[test]
    fn namespaces_keep_entries_apart_unless_shared() {
        let in_namespace = |namespaces, namespace| {
            let spec = CacheSpec {
                namespaces,
                ..INPUTS
            };
            let scope = Scope {
                activity_type: "A::f",
                namespace,
            };
            let mut builder = KeyBuilder::new("tc", None, &spec, scope);
            builder.input(0, &1u8);
            builder.finish().expect("encodable")
        };
        let (isolated, shared) = (Namespaces::Isolated, Namespaces::Shared);
        assert_ne!(in_namespace(isolated, "a"), in_namespace(isolated, "b"));
        assert_eq!(in_namespace(shared, "a"), in_namespace(shared, "b"));
        assert!(in_namespace(shared, "a").starts_with("tc:v2:*:A::f:{"));
        assert!(in_namespace(isolated, "a").starts_with("tc:v2:a:A::f:{"));
        // A namespace literally named like the shared mark is still its own.
        assert_ne!(in_namespace(isolated, "*"), in_namespace(shared, "a"));
        // Names run together differently are different keys.
        let split = |namespace, activity_type| {
            let scope = Scope {
                activity_type,
                namespace,
            };
            KeyBuilder::new("tc", None, &INPUTS, scope)
                .finish()
                .expect("encodable")
        };
        assert_ne!(split("a:b", "c"), split("a", "b:c"));
    }

    #[test]
    fn a_secret_changes_every_digest_and_nothing_else() {
        let with = |secret: Option<&KeySecret>| {
            let mut builder = KeyBuilder::new("tc", secret, &INPUTS, scope("A::f"));
            builder.input(0, &"ada@example.com");
            builder.finish().expect("encodable")
        };
        let one = KeySecret::new([1; 32]);
        let two = KeySecret::new([2; 32]);
        let (plain, keyed, other) = (with(None), with(Some(&one)), with(Some(&two)));
        assert_ne!(plain, keyed);
        assert_ne!(keyed, other);
        assert_eq!(keyed, with(Some(&KeySecret::new([1; 32]))));
        let head = |key: &str| key.split_once('{').expect("a hash tag").0.to_owned();
        assert_eq!(head(&plain), head(&keyed));
    }
}
