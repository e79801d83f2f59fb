//! What an activity returns, seen from the cache: which part may be stored and served.

use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityError;

/// A result value the cache can store and read back: `Serialize` and `Deserialize`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be cached: an activity result must implement serde's `Serialize` and `Deserialize`",
    label = "this result type cannot be stored in the cache",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to the type (Temporal needs them for activity results too)"
)]
pub trait CacheableValue: Serialize + DeserializeOwned {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> CacheableValue for T {}

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

/// The return type of a cached activity body.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a cached activity must return `Result<T, ActivityError>` or nothing, not `{Self}`",
    label = "this return type cannot be cached"
)]
pub trait Outcome: Sized {
    /// The part that is cached. (It must be a [`CacheableValue`]; the functions that cache
    /// require that, so that the error names the value type rather than this trait.)
    type Value;

    /// The value to store, if this outcome may be stored. Errors never are.
    fn cacheable(&self) -> Option<&Self::Value>;

    /// The outcome that serves a stored value.
    fn from_cached(value: Self::Value) -> Self;

    /// The outcome of an activity cancelled while it waited for another caller's result, if this
    /// kind of outcome can say so.
    fn cancelled() -> Option<Self>;
}

impl<T> Outcome for Result<T, ActivityError> {
    type Value = T;

    fn cacheable(&self) -> Option<&T> {
        self.as_ref().ok()
    }

    fn from_cached(value: T) -> Self {
        Ok(value)
    }

    fn cancelled() -> Option<Self> {
        Some(Err(ActivityError::cancelled()))
    }
}

/// An activity declared without a return type: there is nothing to store but the fact that it
/// ran, so a hit skips the body.
impl Outcome for () {
    type Value = ();

    fn cacheable(&self) -> Option<&()> {
        Some(self)
    }

    fn from_cached((): ()) -> Self {}

    /// Nothing to report a cancellation with: the body runs, and can notice it itself.
    fn cancelled() -> Option<Self> {
        None
    }
}
