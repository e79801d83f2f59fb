//! What an activity returns, seen from the cache: which part may be stored and served, and how.

use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_common::data_converters::{
    GenericPayloadConverter, PayloadConversionError, SerializationContext,
};
use temporalio_common::error::ApplicationFailure;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_sdk::activities::ActivityError;

use crate::value::{Body, ValueFormat, read_plain};

/// A result value the cache can store and read back: `Serialize` and `Deserialize`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be cached: an activity result must implement serde's `Serialize` and `Deserialize`",
    label = "this result type cannot be stored in the cache",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to the type (Temporal needs them for activity results too)"
)]
pub trait CacheableValue: Serialize + DeserializeOwned + 'static {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + 'static> CacheableValue for T {}

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

    /// The outcome of a cache lookup (the local activity of `execute_cached!`) that found nothing
    /// to serve, if this kind of outcome can say so: a non-retryable failure of type
    /// [`MISS_FAILURE_TYPE`].
    fn missed() -> Option<Self>;

    /// How this outcome failed, if it is an application failure a stale value may answer
    /// (`on_error`): a cancellation is never answered that way.
    fn failure(&self) -> Option<Failure>;
}

/// An application failure of an activity body, as `on_error` sees it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Temporal would retry the activity.
    Retryable,
    /// The failure is marked non-retryable: retrying cannot help.
    NonRetryable,
}

/// The failure type a lookup that found nothing fails with.
pub const MISS_FAILURE_TYPE: &str = "TemporalCacheMiss";

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

    fn missed() -> Option<Self> {
        let failure = ApplicationFailure::builder(std::io::Error::other("not in the cache"))
            .type_name(MISS_FAILURE_TYPE.to_owned())
            .non_retryable(true)
            .build();
        Some(Err(failure.into()))
    }

    fn failure(&self) -> Option<Failure> {
        match self {
            Err(ActivityError::Application(failure)) if failure.is_non_retryable() => {
                Some(Failure::NonRetryable)
            }
            Err(ActivityError::Application(_)) => Some(Failure::Retryable),
            Ok(_) | Err(_) => None,
        }
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

    fn missed() -> Option<Self> {
        None
    }

    fn failure(&self) -> Option<Failure> {
        None
    }
}

/// How the outcomes of one activity are turned into bytes and back, as plain functions: as JSON
/// (Temporal's default payload converter's format) or MessagePack, or as a `Payload` through a
/// DataConverter.
///
/// The generated code builds it with [`outcome_codec`], spanned at the activity's result type:
/// that call is the one place where the result's bounds are checked, so a result type that cannot
/// be cached is one error, on that type. (`run` takes the codec instead of carrying the bounds
/// itself because an `async fn`'s bounds are checked once more where its future is awaited.)
#[doc(hidden)]
pub struct OutcomeCodec<R> {
    to_plain: fn(&R, ValueFormat) -> Option<Result<Body, serde_json::Error>>,
    from_plain: fn(&[u8], bool) -> Result<R, String>,
    to_payload: ToPayload<R>,
    from_payload: FromPayload<R>,
    cancelled: fn() -> Option<R>,
    missed: fn() -> Option<R>,
    failure: fn(&R) -> Option<Failure>,
}

type ToPayload<R> =
    fn(&R, &SerializationContext<'_>) -> Option<Result<Payload, PayloadConversionError>>;
type FromPayload<R> = fn(Payload, &SerializationContext<'_>) -> Result<R, PayloadConversionError>;

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
        to_plain: |outcome, format| Some(Body::of(outcome.cacheable()?, format)),
        from_plain: |bytes, message_pack| read_plain(bytes, message_pack).map(R::from_cached),
        to_payload: |outcome, context| {
            let value = outcome.cacheable()?;
            Some(context.converter.to_payload(context, value))
        },
        from_payload: |payload, context| {
            context
                .converter
                .from_payload(context, payload)
                .map(R::from_cached)
        },
        cancelled: R::cancelled,
        missed: R::missed,
        failure: R::failure,
    }
}

impl<R> OutcomeCodec<R> {
    /// The bytes of `outcome` without a DataConverter, in `format` (see [`Body::of`]): `None` if
    /// it may not be stored (an error), else its encoding, which can fail (a `Serialize`
    /// implementation that reports an error).
    pub(crate) fn write_plain(
        self,
        outcome: &R,
        format: ValueFormat,
    ) -> Option<Result<Body, serde_json::Error>> {
        (self.to_plain)(outcome, format)
    }

    /// The outcome that serves a stored value's bytes: MessagePack or JSON, as the entry's flag
    /// says.
    pub(crate) fn read_plain(self, bytes: &[u8], message_pack: bool) -> Result<R, String> {
        (self.from_plain)(bytes, message_pack)
    }

    /// The payload of `outcome` by the payload converter in `context`: `None` if it may not be
    /// stored.
    pub(crate) fn write_payload(
        self,
        outcome: &R,
        context: &SerializationContext<'_>,
    ) -> Option<Result<Payload, PayloadConversionError>> {
        (self.to_payload)(outcome, context)
    }

    /// The outcome that serves a stored payload, by the payload converter in `context`.
    pub(crate) fn read_payload(
        self,
        payload: Payload,
        context: &SerializationContext<'_>,
    ) -> Result<R, PayloadConversionError> {
        (self.from_payload)(payload, context)
    }

    /// The outcome of a call cancelled while it waited, if `R` can express it.
    pub(crate) fn cancelled(self) -> Option<R> {
        (self.cancelled)()
    }

    /// The outcome of a lookup that found nothing to serve, if `R` can express it.
    pub(crate) fn missed(self) -> Option<R> {
        (self.missed)()
    }

    /// How `outcome` failed, if it is an application failure.
    pub(crate) fn failure(self, outcome: &R) -> Option<Failure> {
        (self.failure)(outcome)
    }
}
