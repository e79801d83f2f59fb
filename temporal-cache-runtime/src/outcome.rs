//! What an activity returns, seen from the cache: which part may be stored and served, and how.

use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_sdk::activities::ActivityError;

use crate::envelope::{self, DecodeError};

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

/// A value's stored form, or why its `Serialize` implementation could not produce one.
pub(crate) type Encoded = Result<Vec<u8>, serde_json::Error>;

/// How the outcomes of one activity are stored and served, as plain functions.
///
/// The generated code builds it with [`outcome_codec`], spanned at the activity's result type:
/// that call is the one place where the result's bounds are checked, so a result type that cannot
/// be cached is one error, on that type. (`run` takes the codec instead of carrying the bounds
/// itself because an `async fn`'s bounds are checked once more where its future is awaited.)
#[doc(hidden)]
pub struct OutcomeCodec<R> {
    encode: fn(&R) -> Option<Encoded>,
    decode: fn(&[u8]) -> Result<R, DecodeError>,
    cancelled: fn() -> Option<R>,
}

impl<R> Clone for OutcomeCodec<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for OutcomeCodec<R> {}

/// The codec of outcome type `R`.
#[doc(hidden)]
pub fn outcome_codec<R>() -> OutcomeCodec<R>
where
    R: Outcome,
    R::Value: CacheableValue,
{
    OutcomeCodec {
        encode: |outcome| outcome.cacheable().map(envelope::encode),
        decode: |bytes| envelope::decode(bytes).map(R::from_cached),
        cancelled: R::cancelled,
    }
}

impl<R> OutcomeCodec<R> {
    /// The stored form of `outcome`: `None` if it may not be stored (an error), else its
    /// encoding, which can fail (a `Serialize` implementation that reports an error).
    pub(crate) fn encode(self, outcome: &R) -> Option<Encoded> {
        (self.encode)(outcome)
    }

    /// The outcome that serves stored bytes.
    pub(crate) fn decode(self, bytes: &[u8]) -> Result<R, DecodeError> {
        (self.decode)(bytes)
    }

    /// The outcome of a call cancelled while it waited, if `R` can express it.
    pub(crate) fn cancelled(self) -> Option<R> {
        (self.cancelled)()
    }
}
