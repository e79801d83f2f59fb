//! The README's promise, checked with the real formatter: one activity formatted by rustfmt at
//! two widths (a one-line signature, then a split one with trailing commas, wrapped match arms
//! and closures) hashes the same.
//!
//! rustfmt is found as `$RUSTFMT` or on `PATH`. Without it the test fails rather than skips: a
//! skipped test would let the promise break unnoticed.

use std::io::Write as _;
use std::process::{Command, Stdio};

use syn::{ImplItem, Item};

use super::{hash, hash_tokens};

/// A cached activity as someone might write it, before any formatting.
const ACTIVITY: &str = r#"
use temporal_cache_runtime::cached_activity;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct Activities;

impl Activities {
    #[cached_activity(policy = "task_source", ttl = "1h")]
    #[activity]
    pub async fn summarize_order_history(_ctx: ActivityContext, customer_id: u64, region: String, include_cancelled: bool) -> Result<Vec<String>, ActivityError> {
        use std::collections::{BTreeMap, HashSet};
        use std::fmt::Write;
        let orders = load_orders(customer_id, &region).await?;
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        let seen: HashSet<u64> = orders.iter().map(|order| order.identifier_of_the_order_in_the_ledger).collect();
        for order in &orders {
            let status = match order.status {
                Status::Cancelled if !include_cancelled => continue,
                Status::Cancelled => "cancelled",
                Status::Shipped { carrier, tracking } => describe_shipment_for_summary(carrier, tracking, &region),
                Status::Pending => { "pending" }
            };
            *totals.entry(status.to_owned()).or_default() += order.amount_in_cents * u64::from(order.quantity);
        }
        let mut lines = Vec::with_capacity(totals.len());
        for (status, total) in totals {
            let mut line = String::new();
            write!(line, "{status}: {total}").map_err(|error| ActivityError::from(anyhow::anyhow!(error)))?;
            lines.push(line);
        }
        if lines.is_empty() && seen.is_empty() {
            return Ok(vec![format!("no orders for customer {customer_id} in region {region}")])
        }
        Ok(lines)
    }
}
"#;

fn rustfmt(source: &str, max_width: u32) -> String {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(&program)
        .args(["--edition", "2024", "--emit", "stdout", "--config"])
        .arg(format!("max_width={max_width}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {}: {error}. This test needs rustfmt: install it with `rustup \
                 component add rustfmt`, or set RUSTFMT to a rustfmt binary",
                program.to_string_lossy()
            )
        });
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(source.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The activity's method in a formatted file.
fn activity(source: &str) -> syn::ImplItemFn {
    let file: syn::File = syn::parse_str(source).unwrap();
    file.items
        .into_iter()
        .find_map(|item| match item {
            Item::Impl(block) => block.items.into_iter().find_map(|item| match item {
                ImplItem::Fn(function) => Some(function),
                _ => None,
            }),
            _ => None,
        })
        .expect("the activity")
}

#[test]
fn formatting_with_rustfmt_at_any_width_keeps_the_hash() {
    let wide = rustfmt(ACTIVITY, 200);
    let narrow = rustfmt(ACTIVITY, 50);
    assert_ne!(wide, narrow, "the two widths must format differently");
    assert!(
        wide.contains("include_cancelled: bool) -> Result<Vec<String>, ActivityError> {"),
        "at width 200 the signature fits on one line:\n{wide}"
    );
    assert!(
        narrow.contains("include_cancelled: bool,\n"),
        "at width 50 the signature is split, with a trailing comma:\n{narrow}"
    );

    let (wide, narrow) = (activity(&wide), activity(&narrow));
    let tokens = |function: &syn::ImplItemFn| {
        let mut tokens = quote::ToTokens::to_token_stream(&function.sig);
        quote::ToTokens::to_tokens(&function.block, &mut tokens);
        tokens
    };
    // Without the normalization, rustfmt's choices would change the hash: the test can fail.
    assert_ne!(hash_tokens(tokens(&wide)), hash_tokens(tokens(&narrow)));
    assert_eq!(
        hash(&wide.sig, &wide.block),
        hash(&narrow.sig, &narrow.block)
    );
}
