//! How the bench fails: any error ends the run with its message, so one boxed error type serves
//! every step, from starting Redis to writing the report.

use futures::FutureExt;
use temporalio_sdk::activities::ActivityError;

/// Any failure of the bench: it reports the message and exits with an error.
pub(crate) type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Turns an activity's own error (which the benchmarked bodies never return) into a bench error.
pub(crate) fn activity_result<T>(result: Result<T, ActivityError>) -> BenchResult<T> {
    result.map_err(|error| format!("the activity failed: {error:?}").into())
}

/// `call`, an activity's future, settled to a bench result with its value dropped. A combinator
/// rather than an `async` block, which would hold the call's future twice (captured, then
/// awaited) and so widen what every timed call moves and allocates.
pub(crate) fn settled<T>(
    call: impl Future<Output = Result<T, ActivityError>>,
) -> impl Future<Output = BenchResult<()>> {
    call.map(|result| activity_result(result).map(drop))
}
