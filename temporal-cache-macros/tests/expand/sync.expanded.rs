//! A sync activity: the body runs in `run_blocking`, without single-flight here.
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    pub fn exchange_rate(
        _ctx: ActivityContext,
        from: String,
        to: String,
    ) -> Result<f64, ActivityError> {
        let (__temporal_cache_entry, __temporal_cache_context) = {
            #[allow(clippy::used_underscore_binding)]
            let __temporal_cache_context = _ctx;
            const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
                ttl: ::temporal_cache_runtime::__private::Some(
                    ::temporal_cache_runtime::__private::Duration::from_millis(900000u64),
                ),
                version: "",
                source_hash: ::temporal_cache_runtime::__private::None,
                lock: ::temporal_cache_runtime::__private::None,
                namespaces: ::temporal_cache_runtime::__private::Namespaces::Isolated,
                stale: ::temporal_cache_runtime::__private::None,
                on_error: ::temporal_cache_runtime::__private::OnError::Fail,
            };
            let mut __temporal_cache_entry = ::temporal_cache_runtime::__private::Entry::new(
                &__TEMPORAL_CACHE_SPEC,
                ::temporal_cache_runtime::__private::scope(&__temporal_cache_context),
                ::temporal_cache_runtime::__private::None,
            );
            ::temporal_cache_runtime::__private::key_input::<
                String,
            >(&mut __temporal_cache_entry, 0u8, &from);
            ::temporal_cache_runtime::__private::key_input::<
                String,
            >(&mut __temporal_cache_entry, 1u8, &to);
            (__temporal_cache_entry, __temporal_cache_context)
        };
        ::temporal_cache_runtime::__private::run_blocking(
            __temporal_cache_entry,
            __temporal_cache_context,
            ::temporal_cache_runtime::__private::outcome_codec(),
            move |
                _ctx: ::temporal_cache_runtime::__private::ActivityContext,
            | -> Result<f64, ActivityError> { Ok(rate(&from, &to)?) },
        )
    }
    /// Describes the cache of `exchange_rate`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_exchange_rate() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(
            String,
            String,
        ) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
            ttl: ::temporal_cache_runtime::__private::Some(
                ::temporal_cache_runtime::__private::Duration::from_millis(900000u64),
            ),
            version: "",
            source_hash: ::temporal_cache_runtime::__private::None,
            lock: ::temporal_cache_runtime::__private::None,
            namespaces: ::temporal_cache_runtime::__private::Namespaces::Isolated,
            stale: ::temporal_cache_runtime::__private::None,
            on_error: ::temporal_cache_runtime::__private::OnError::Fail,
        };
        ::temporal_cache_runtime::__private::Companion {
            activity: ::temporal_cache_runtime::__private::ActivityCache::new(
                &__TEMPORAL_CACHE_SPEC,
                || ::temporal_cache_runtime::__private::None,
            ),
            describe: move |from: String, to: String| {
                ::temporal_cache_runtime::__private::ScopedEntry::new(move |
                    __temporal_cache_scope: ::temporal_cache_runtime::__private::Scope<
                        '_,
                    >|
                {
                    let mut __temporal_cache_entry = ::temporal_cache_runtime::__private::Entry::new(
                        &__TEMPORAL_CACHE_SPEC,
                        __temporal_cache_scope,
                        ::temporal_cache_runtime::__private::None,
                    );
                    ::temporal_cache_runtime::__private::key_input::<
                        String,
                    >(&mut __temporal_cache_entry, 0u8, &from);
                    ::temporal_cache_runtime::__private::key_input::<
                        String,
                    >(&mut __temporal_cache_entry, 1u8, &to);
                    __temporal_cache_entry
                })
            },
        }
    }
}
