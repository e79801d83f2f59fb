//! The common shape: an async activity keyed by its inputs, one of them left out of the key.
//! (`#[activities]`, which would first rename the method `__fetch_user`, is left out.)
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    /// Looks a user up.
    pub fn fetch_user(
        ctx: ActivityContext,
        id: u64,
        trace_id: String,
    ) -> impl ::core::future::Future<Output = Result<String, ActivityError>> {
        let (__temporal_cache_entry, __temporal_cache_context) = {
            #[allow(clippy::used_underscore_binding)]
            let __temporal_cache_context = ctx;
            const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
                ttl: ::temporal_cache_runtime::__private::Some(
                    ::temporal_cache_runtime::__private::Duration::from_millis(
                        3600000u64,
                    ),
                ),
                version: "2",
                source_hash: ::temporal_cache_runtime::__private::None,
                lock: ::temporal_cache_runtime::__private::Some(::temporal_cache_runtime::__private::LockSpec {
                    lease: ::temporal_cache_runtime::__private::Duration::from_millis(
                        30000u64,
                    ),
                    wait: ::temporal_cache_runtime::__private::Duration::from_millis(
                        300000u64,
                    ),
                }),
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
                u64,
            >(&mut __temporal_cache_entry, 0u8, &id);
            (__temporal_cache_entry, __temporal_cache_context)
        };
        ::temporal_cache_runtime::__private::run(
            __temporal_cache_entry,
            __temporal_cache_context,
            ::temporal_cache_runtime::__private::outcome_codec(),
            move |ctx: ::temporal_cache_runtime::__private::ActivityContext| async move {
                #[allow(
                    unreachable_code,
                    clippy::diverging_sub_expression,
                    clippy::empty_loop,
                    clippy::let_unit_value,
                    clippy::needless_return
                )]
                if false {
                    let __temporal_cache_unreachable: Result<String, ActivityError> = loop {};
                    return __temporal_cache_unreachable;
                }
                {
                    let _ = (ctx, trace_id);
                    let name = lookup(id).await?;
                    Ok(name)
                }
            },
        )
    }
    /// Describes the cache of `fetch_user`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_fetch_user() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(
            u64,
            String,
        ) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
            ttl: ::temporal_cache_runtime::__private::Some(
                ::temporal_cache_runtime::__private::Duration::from_millis(3600000u64),
            ),
            version: "2",
            source_hash: ::temporal_cache_runtime::__private::None,
            lock: ::temporal_cache_runtime::__private::Some(::temporal_cache_runtime::__private::LockSpec {
                lease: ::temporal_cache_runtime::__private::Duration::from_millis(
                    30000u64,
                ),
                wait: ::temporal_cache_runtime::__private::Duration::from_millis(
                    300000u64,
                ),
            }),
            namespaces: ::temporal_cache_runtime::__private::Namespaces::Isolated,
            stale: ::temporal_cache_runtime::__private::None,
            on_error: ::temporal_cache_runtime::__private::OnError::Fail,
        };
        ::temporal_cache_runtime::__private::Companion {
            activity: ::temporal_cache_runtime::__private::ActivityCache::new(
                &__TEMPORAL_CACHE_SPEC,
                || ::temporal_cache_runtime::__private::None,
            ),
            describe: move |id: u64, _: String| {
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
                        u64,
                    >(&mut __temporal_cache_entry, 0u8, &id);
                    __temporal_cache_entry
                })
            },
        }
    }
}
