//! The cache entry of one activity call, as a call and an invalidation both describe it.
//!
//! Both paths decide the same things in the same order: is caching on (the cargo feature
//! `disabled` and `TEMPORAL_CACHE_DISABLED` both say no), which backend holds the entry (the
//! activity's own, else the global one), and its key under that backend's prefix. So
//! `invalidate_cache!` always removes exactly the entry the call would read.

use std::sync::Arc;

use crate::backend::SharedBackend;
use crate::global;
use crate::key::{EncodeError, KeyBuilder, KeyInput, Scope};
use crate::spec::CacheSpec;

/// One call's entry being described, input by input.
#[doc(hidden)]
pub struct Entry {
    state: State,
}

#[allow(
    clippy::large_enum_variant,
    reason = "an entry lives on the stack until its key is finished, before any `.await`: \
              boxing its key builder would cost every call an allocation for nothing"
)]
enum State {
    /// Caching is off, or the activity never caches (`no_cache`): there is no entry.
    Off,
    /// Caching is on but no backend is configured.
    NoBackend,
    /// The entry's key is being hashed.
    Hashing {
        spec: &'static CacheSpec,
        backend: SharedBackend,
        key: KeyBuilder,
    },
}

/// What an entry is, once all of its inputs are hashed.
pub(crate) enum Described {
    Off,
    NoBackend,
    Keyed(Keyed),
}

/// An entry whose key is known: where it lives and how the activity caches it.
pub(crate) struct Keyed {
    pub(crate) spec: &'static CacheSpec,
    pub(crate) backend: SharedBackend,
    pub(crate) key: Arc<str>,
}

impl Entry {
    /// The entry of a call of the activity in `scope` with the activity's `spec`, in its own
    /// backend if it has one, else in the global one.
    pub fn new(
        spec: &'static CacheSpec,
        scope: Scope<'_>,
        own_backend: Option<SharedBackend>,
    ) -> Self {
        if !global::caching_enabled() {
            return Self::nothing();
        }
        let state = match global::resolve(own_backend) {
            Some(backend) => State::Hashing {
                key: KeyBuilder::new(
                    backend.key_prefix(),
                    backend.storage().key_secret(),
                    spec,
                    scope,
                ),
                spec,
                backend,
            },
            None => State::NoBackend,
        };
        Self { state }
    }

    /// The entry of an activity that never caches.
    pub fn nothing() -> Self {
        Self { state: State::Off }
    }

    /// Finishes the key; fails if an input could not be hashed.
    pub(crate) fn describe(self) -> Result<Described, EncodeError> {
        Ok(match self.state {
            State::Off => Described::Off,
            State::NoBackend => Described::NoBackend,
            State::Hashing { spec, backend, key } => Described::Keyed(Keyed {
                spec,
                backend,
                key: key.finish()?,
            }),
        })
    }
}

/// Adds the input at `position` to `entry`'s key. One function for calls and invalidations, so a
/// type that cannot be hashed is reported once.
#[doc(hidden)]
pub fn key_input<T: KeyInput + ?Sized>(entry: &mut Entry, position: u8, value: &T) {
    if let State::Hashing { key, .. } = &mut entry.state {
        key.input(position, value);
    }
}
