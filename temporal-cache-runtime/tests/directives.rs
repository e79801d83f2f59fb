//! Per-call directives without a server: an activity header asking to `refresh` runs the body
//! and overwrites the entry, one asking to `bypass` runs the body and leaves the entry alone, and
//! a header this version cannot read is ignored (with a warning). The workflow side, on a real
//! dev server, is in `tests/tests/directives.rs`.
// The activities are fixtures: `#[activities]` wants them public, not documented.
#![allow(missing_docs)]

#[allow(dead_code, reason = "each test file uses part of the shared support")]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use temporal_cache_runtime::cached_activity;
use temporal_cache_runtime::directive::{DIRECTIVE_HEADER, Directive};
use temporalio_common::ActivityDefinition;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError, ExecutableActivity};
use temporalio_sdk::testing::{ActivityEnvironment, TestActivityInfoOptions};

use crate::support::{Logs, Op, Scripted, record_run};

static ASYNC: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("async")));
static SYNC: LazyLock<Arc<Scripted>> = LazyLock::new(|| Arc::new(Scripted::new("sync")));

pub struct Directed;

#[activities]
impl Directed {
    #[cached_activity(backend = &*ASYNC)]
    #[activity]
    pub async fn fetch(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }

    #[cached_activity(backend = &*SYNC)]
    #[activity]
    pub fn fetch_sync(_ctx: ActivityContext, token: String) -> Result<u32, ActivityError> {
        Ok(record_run(&token))
    }
}

/// Runs `activity` once, with the directive header reading `header` if there is one.
async fn run<A>(activity: A, token: &str, header: Option<&str>) -> u32
where
    A: ExecutableActivity<Input = String, Output = u32> + ActivityDefinition,
{
    let headers = header
        .map(|text| {
            let payload = Payload {
                metadata: [("encoding".to_owned(), b"json/plain".to_vec())].into(),
                data: text.as_bytes().to_vec(),
                ..Payload::default()
            };
            HashMap::from([(DIRECTIVE_HEADER.to_owned(), payload)])
        })
        .unwrap_or_default();
    ActivityEnvironment::builder_with_default()
        .info(
            TestActivityInfoOptions::builder()
                .activity_type(activity.name())
                .workflow_id(Some("directives-test".to_owned()))
                .build(),
        )
        .headers(headers)
        .build()
        .run(activity, token.to_owned())
        .await
        .unwrap_or_else(|error| panic!("the activity failed: {error:?}"))
}

fn quoted(directive: Directive) -> String {
    format!("\"{}\"", directive.as_str())
}

#[tokio::test]
async fn refresh_overwrites_the_entry_and_bypass_leaves_it() {
    let refresh = quoted(Directive::Refresh);
    let bypass = quoted(Directive::Bypass);
    assert_eq!(run(Directed::fetch, "a", None).await, 1);
    assert_eq!(run(Directed::fetch, "a", None).await, 1, "a hit");
    assert_eq!(
        run(Directed::fetch, "a", Some(&refresh)).await,
        2,
        "refresh runs the body"
    );
    assert_eq!(
        run(Directed::fetch, "a", None).await,
        2,
        "and its result replaced the entry"
    );
    assert_eq!(
        run(Directed::fetch, "a", Some(&bypass)).await,
        3,
        "bypass runs the body"
    );
    assert_eq!(
        run(Directed::fetch, "a", None).await,
        2,
        "and stored nothing"
    );
    assert_eq!(
        ASYNC.count(Op::Delete),
        1,
        "only the refresh removed the entry"
    );
}

#[tokio::test]
async fn a_refresh_of_a_sync_activity_overwrites_its_entry() {
    let refresh = quoted(Directive::Refresh);
    assert_eq!(run(Directed::fetch_sync, "s", None).await, 1);
    assert_eq!(run(Directed::fetch_sync, "s", Some(&refresh)).await, 2);
    assert_eq!(run(Directed::fetch_sync, "s", None).await, 2);
    assert_eq!(run(Directed::fetch_sync, "s", Some("bypass")).await, 3);
    assert_eq!(run(Directed::fetch_sync, "s", None).await, 2);
}

#[tokio::test]
async fn a_header_this_version_cannot_read_is_ignored_with_a_warning() {
    let (logs, _guard) = Logs::record();
    assert_eq!(run(Directed::fetch, "u", None).await, 1);
    assert_eq!(
        run(Directed::fetch, "u", Some("\"flush\"")).await,
        1,
        "served as usual"
    );
    assert_eq!(
        logs.lines("WARN", "cache directive not understood").len(),
        1
    );
}
