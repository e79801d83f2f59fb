//! `policy = "task_source"`: the spec carries a hash of the function's code, computed here.
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
pub struct Activities;
impl Activities {
    pub fn render(
        _ctx: ActivityContext,
        template: String,
        size: u32,
    ) -> impl ::core::future::Future<Output = Result<Vec<u8>, ActivityError>> {
        let (__temporal_cache_entry, __temporal_cache_context) = {
            #[allow(clippy::used_underscore_binding)]
            let __temporal_cache_context = _ctx;
            const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
                ttl: ::temporal_cache_runtime::__private::None,
                version: "",
                source_hash: ::temporal_cache_runtime::__private::Some([
                    201u8, 234u8, 9u8, 2u8, 157u8, 98u8, 85u8, 142u8, 193u8, 54u8, 91u8,
                    220u8, 223u8, 82u8, 221u8, 94u8, 95u8, 174u8, 102u8, 108u8, 227u8,
                    211u8, 167u8, 200u8, 112u8, 194u8, 119u8, 7u8, 163u8, 29u8, 227u8,
                    56u8,
                ]),
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
                String,
            >(&mut __temporal_cache_entry, 0u8, &template);
            ::temporal_cache_runtime::__private::key_input::<
                u32,
            >(&mut __temporal_cache_entry, 1u8, &size);
            (__temporal_cache_entry, __temporal_cache_context)
        };
        ::temporal_cache_runtime::__private::run(
            __temporal_cache_entry,
            __temporal_cache_context,
            ::temporal_cache_runtime::__private::outcome_codec(),
            move |_ctx: ::temporal_cache_runtime::__private::ActivityContext| async move {
                #[allow(
                    unreachable_code,
                    clippy::diverging_sub_expression,
                    clippy::empty_loop,
                    clippy::let_unit_value,
                    clippy::needless_return
                )]
                if false {
                    let __temporal_cache_unreachable: Result<Vec<u8>, ActivityError> = loop {};
                    return __temporal_cache_unreachable;
                }
                {
                    match size {
                        0 => Ok(Vec::new()),
                        size => Ok(template.repeat(size as usize).into_bytes()),
                    }
                }
            },
        )
    }
    /// Describes the cache of `render`, for `invalidate_cache!` and `invalidate_activity!`.
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        clippy::too_many_arguments,
        clippy::type_complexity
    )]
    pub fn __temporal_cache_render() -> ::temporal_cache_runtime::__private::Companion<
        impl ::core::ops::FnOnce(
            String,
            u32,
        ) -> ::temporal_cache_runtime::__private::ScopedEntry,
    > {
        const __TEMPORAL_CACHE_SPEC: ::temporal_cache_runtime::__private::CacheSpec = ::temporal_cache_runtime::__private::CacheSpec {
            ttl: ::temporal_cache_runtime::__private::None,
            version: "",
            source_hash: ::temporal_cache_runtime::__private::Some([
                201u8, 234u8, 9u8, 2u8, 157u8, 98u8, 85u8, 142u8, 193u8, 54u8, 91u8,
                220u8, 223u8, 82u8, 221u8, 94u8, 95u8, 174u8, 102u8, 108u8, 227u8, 211u8,
                167u8, 200u8, 112u8, 194u8, 119u8, 7u8, 163u8, 29u8, 227u8, 56u8,
            ]),
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
            describe: move |template: String, size: u32| {
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
                    >(&mut __temporal_cache_entry, 0u8, &template);
                    ::temporal_cache_runtime::__private::key_input::<
                        u32,
                    >(&mut __temporal_cache_entry, 1u8, &size);
                    __temporal_cache_entry
                })
            },
        }
    }
}
