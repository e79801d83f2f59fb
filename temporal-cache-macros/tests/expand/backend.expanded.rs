//! An instance activity with its own backend and lock durations: the backend expression is
//! passed to `backend(...)`, spanned at the expression.
use std::sync::{Arc, LazyLock};
use temporal_cache_runtime::{MemoryCacheBackend, cached_activity};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
static BACKEND: LazyLock<Arc<MemoryCacheBackend>> = LazyLock::new(|| Arc::new(
    MemoryCacheBackend::new(),
));
pub struct Activities {
    greeting: String,
}
impl Activities {
    pub fn greet(
        self: Arc<Self>,
        ctx: ActivityContext,
        name: String,
    ) -> impl ::core::future::Future<Output = Result<String, ActivityError>> {
        let (__temporal_cache_entry, __temporal_cache_context) = {
            #[allow(clippy::used_underscore_binding)]
            let __temporal_cache_context = ctx;
            const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
                ttl: ::temporal_cache_runtime::__private::Some(
                    ::temporal_cache_runtime::__private::Duration::from_millis(
                        86400000u64,
                    ),
                ),
                version: "",
                source_hash: ::temporal_cache_runtime::__private::None,
                lock: ::temporal_cache_runtime::__private::Some(::temporal_cache_runtime::__private::LockSpec {
                    lease: ::temporal_cache_runtime::__private::Duration::from_millis(
                        10000u64,
                    ),
                    wait: ::temporal_cache_runtime::__private::Duration::from_millis(
                        60000u64,
                    ),
                }),
                namespaces: ::temporal_cache_runtime::__private::Namespaces::Isolated,
                stale: ::temporal_cache_runtime::__private::None,
                on_error: ::temporal_cache_runtime::__private::OnError::Fail,
            };
            let mut __temporal_cache_entry = ::temporal_cache_runtime::__private::Entry::new(
                &__TEMPORAL_CACHE_SPEC,
                ::temporal_cache_runtime::__private::scope(&__temporal_cache_context),
                ::temporal_cache_runtime::__private::backend(&*BACKEND),
            );
            ::temporal_cache_runtime::__private::key_input::<
                String,
            >(&mut __temporal_cache_entry, 0u8, &name);
            (__temporal_cache_entry, __temporal_cache_context)
        };
        ::temporal_cache_runtime::__private::run(
            __temporal_cache_entry,
            __temporal_cache_context,
            ::temporal_cache_runtime::__private::outcome_codec(),
            move |mut ctx: ::temporal_cache_runtime::__private::ActivityContext| async move {
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
                    ctx.record_heartbeat(Vec::new());
                    Ok(format!("{} {name}", self.greeting))
                }
            },
        )
    }
    /// Describes the cache of `greet`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_greet() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(
            String,
        ) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
            ttl: ::temporal_cache_runtime::__private::Some(
                ::temporal_cache_runtime::__private::Duration::from_millis(86400000u64),
            ),
            version: "",
            source_hash: ::temporal_cache_runtime::__private::None,
            lock: ::temporal_cache_runtime::__private::Some(::temporal_cache_runtime::__private::LockSpec {
                lease: ::temporal_cache_runtime::__private::Duration::from_millis(
                    10000u64,
                ),
                wait: ::temporal_cache_runtime::__private::Duration::from_millis(
                    60000u64,
                ),
            }),
            namespaces: ::temporal_cache_runtime::__private::Namespaces::Isolated,
            stale: ::temporal_cache_runtime::__private::None,
            on_error: ::temporal_cache_runtime::__private::OnError::Fail,
        };
        ::temporal_cache_runtime::__private::Companion {
            activity: ::temporal_cache_runtime::__private::ActivityCache::new(
                &__TEMPORAL_CACHE_SPEC,
                || ::temporal_cache_runtime::__private::backend(&*BACKEND),
            ),
            describe: move |name: String| {
                ::temporal_cache_runtime::__private::ScopedEntry::new(move |
                    __temporal_cache_scope: ::temporal_cache_runtime::__private::Scope<
                        '_,
                    >|
                {
                    let mut __temporal_cache_entry = ::temporal_cache_runtime::__private::Entry::new(
                        &__TEMPORAL_CACHE_SPEC,
                        __temporal_cache_scope,
                        ::temporal_cache_runtime::__private::backend(&*BACKEND),
                    );
                    ::temporal_cache_runtime::__private::key_input::<
                        String,
                    >(&mut __temporal_cache_entry, 0u8, &name);
                    __temporal_cache_entry
                })
            },
        }
    }
}
