//! Per-call directives: a workflow asks, for one activity call, that the cache `refresh` the
//! entry (run the body and overwrite it) or `bypass` it (run the body, store nothing); a worker
//! started with `TEMPORAL_CACHE_REFRESH=1` refreshes on every call.
//!
//! A directive travels as an activity header, [`DIRECTIVE_HEADER`]: the workflow side
//! ([`refresh`], [`bypass`] and the [`interceptor`] that writes the header) is in
//! `workflow.rs`; the activity side reads it here, once per call, before the lookup.

mod workflow;

use std::sync::LazyLock;

use temporalio_sdk::activities::ActivityContext;

use crate::backend::health;
use crate::entry::Keyed;
use crate::lock;
use crate::log::{Caller, event};

pub(crate) use self::workflow::interceptor_installed;
pub use self::workflow::{DirectiveInterceptor, bypass, interceptor, refresh, with_directive};

/// The activity header a directive travels in.
pub const DIRECTIVE_HEADER: &str = "temporal-cache-directive";

/// The environment variable that makes a worker refresh every cached call: `1` (or `true`) reads
/// nothing from the cache and stores every result, to repopulate it after a bad deploy without a
/// code change.
pub const REFRESH_ENV_VAR: &str = "TEMPORAL_CACHE_REFRESH";

/// What a workflow asks of the cache for one activity call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// Run the body even if an entry is stored, and store its result over the entry. Calls
    /// waiting on the same entry meanwhile get the new result.
    Refresh,
    /// Run the body as if the activity were not cached: read nothing, store nothing.
    Bypass,
    /// Only look the entry up: serve a hit, else fail with a miss and never run the body. What
    /// [`execute_cached!`](crate::execute_cached) asks of the local activity it runs first; a
    /// call that is not a local activity ignores it.
    Lookup,
}

impl Directive {
    /// The header's text for this directive.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refresh => "refresh",
            Self::Bypass => "bypass",
            Self::Lookup => "lookup",
        }
    }

    /// The directive a header's text names (a JSON string, as the header is written, or bare).
    fn parse(data: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(data).ok()?.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|text| text.strip_suffix('"'))
            .unwrap_or(text);
        match text {
            "refresh" => Some(Self::Refresh),
            "bypass" => Some(Self::Bypass),
            "lookup" => Some(Self::Lookup),
            _ => None,
        }
    }
}

/// Whether the call running in `ctx` may carry a directive: cheap enough for every hit (no
/// header at all is the common case), so that [`apply`] runs only when it may do something.
pub(crate) fn may_apply(ctx: &ActivityContext) -> bool {
    !ctx.headers().is_empty() || refreshes_everything()
}

/// Whether this worker refreshes every call (`TEMPORAL_CACHE_REFRESH`), read once.
fn refreshes_everything() -> bool {
    static REFRESH: LazyLock<bool> = LazyLock::new(|| {
        std::env::var(REFRESH_ENV_VAR)
            .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes" | "on"))
    });
    *REFRESH
}

/// The directive for the call running in `ctx`: its header's, else the worker-wide switch's. A
/// header this version cannot read is logged and ignored.
pub(crate) fn of(ctx: &ActivityContext) -> Option<Directive> {
    let from_header = ctx.headers().get(DIRECTIVE_HEADER).and_then(|payload| {
        let directive = Directive::parse(&payload.data);
        if directive.is_none() {
            tracing::warn!(
                target: crate::log::TARGET,
                activity_type = %ctx.info().activity_type,
                header = DIRECTIVE_HEADER,
                "cache directive not understood (expected \"refresh\" or \"bypass\"); ignoring it"
            );
        }
        directive
    });
    from_header.or_else(|| refreshes_everything().then_some(Directive::Refresh))
}

/// Whether a call goes through the cache after its directive was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// As usual: look up, single-flight, store.
    Cached,
    /// Run the body as if the activity were not cached.
    Uncached,
    /// Only look up: serve a hit, else answer with a miss.
    LookupOnly,
}

/// Applies the directive of the call running in `ctx` to its entry: a refresh removes the entry
/// (and voids the lease of any call computing it from older data, as an invalidation does), so
/// that the call runs its body and stores the result; a bypass sends the call around the cache.
pub(crate) async fn apply(ctx: &ActivityContext, keyed: &Keyed, caller: &Caller<'_>) -> Route {
    match of(ctx) {
        None => Route::Cached,
        Some(Directive::Lookup) if ctx.info().is_local => Route::LookupOnly,
        Some(Directive::Lookup) => Route::Cached,
        Some(Directive::Bypass) => {
            event!(
                debug,
                caller,
                keyed.key,
                cache.status = "bypass",
                "cache bypassed, as the call's directive asks: running the body, storing nothing"
            );
            Route::Uncached
        }
        Some(Directive::Refresh) => {
            match health::healthy(
                &keyed.backend,
                &keyed.key,
                keyed.backend.delete(&keyed.key).await,
            ) {
                Ok(_) => {
                    lock::retire(&keyed.key);
                    event!(
                        debug,
                        caller,
                        keyed.key,
                        cache.status = "refresh",
                        "cache refresh, as the call's directive asks: entry removed, running the body"
                    );
                    Route::Cached
                }
                Err(error) => {
                    // Without the removal a lookup could serve the entry the call must replace.
                    health::fallback(
                        &keyed.backend,
                        caller,
                        &keyed.key,
                        &error,
                        "refreshing the entry",
                    );
                    Route::Uncached
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_as_written_and_bare() {
        assert_eq!(Directive::parse(b"\"refresh\""), Some(Directive::Refresh));
        assert_eq!(Directive::parse(b"bypass"), Some(Directive::Bypass));
        assert_eq!(Directive::parse(b"\"flush\""), None);
        assert_eq!(Directive::parse(&[0xff]), None);
        for directive in [Directive::Refresh, Directive::Bypass] {
            let written = serde_json::to_vec(directive.as_str()).unwrap();
            assert_eq!(Directive::parse(&written), Some(directive));
        }
    }
}
