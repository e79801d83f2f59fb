//! Expansion snapshots, like pin-project's `tests/expandtest.rs`: what `#[cached_activity]`
//! emits for each shape of activity, kept in `tests/expand/` as documentation and as a test.
//!
//! Each `tests/expand/<shape>.rs` is expanded method by method with [`cached_activity_impl`]
//! (a proc-macro crate cannot export it to an integration test, hence this module) and rendered
//! with prettyplease; the result must equal `<shape>.expanded.rs`. After a change to the
//! expansion, run `UPDATE_EXPANDED=1 cargo test -p temporal-cache-macros` to rewrite the
//! snapshots, and read their diff: it is the change users get.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ImplItem, Item, Meta};

use crate::cached_activity_impl;

const UPDATE: &str = "UPDATE_EXPANDED";

#[test]
fn expansions_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());

    let update = std::env::var_os(UPDATE).is_some();
    let mut failures = String::new();
    for input in &inputs {
        let source = fs::read_to_string(input).unwrap();
        let expanded = expand_file(&source, input);
        let snapshot = input.with_extension("expanded.rs");
        match fs::read_to_string(&snapshot) {
            Ok(existing) if existing == expanded => {}
            _ if update => fs::write(&snapshot, &expanded).unwrap(),
            Ok(existing) => {
                let _ = writeln!(
                    failures,
                    "{} differs from the expansion:\n{}",
                    snapshot.display(),
                    first_difference(&existing, &expanded)
                );
            }
            Err(_) => {
                let _ = writeln!(failures, "{} is missing", snapshot.display());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}\nIf the new expansion is intended, run `{UPDATE}=1 cargo test -p \
         temporal-cache-macros` and read the snapshots' diff."
    );
}

/// The file with each `#[cached_activity]` method of its impl blocks replaced by the expansion.
fn expand_file(source: &str, path: &Path) -> String {
    let mut file: syn::File =
        syn::parse_str(source).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        let mut items = Vec::new();
        for item in std::mem::take(&mut block.items) {
            match item {
                ImplItem::Fn(mut function) => {
                    let Some(position) = function
                        .attrs
                        .iter()
                        .position(|attr| attr.path().is_ident("cached_activity"))
                    else {
                        items.push(ImplItem::Fn(function));
                        continue;
                    };
                    let attr = function.attrs.remove(position);
                    let args = match attr.meta {
                        Meta::List(list) => list.tokens,
                        Meta::Path(_) | Meta::NameValue(_) => TokenStream::new(),
                    };
                    let expanded = cached_activity_impl(args, function.to_token_stream());
                    // The expansion is a list of impl items; an impl block makes it parse.
                    let wrapped: syn::ItemImpl = syn::parse2(quote!(impl Snapshot { #expanded }))
                        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                    items.extend(wrapped.items);
                }
                other => items.push(other),
            }
        }
        block.items = items;
    }
    prettyplease::unparse(&file)
}

/// The first line that differs, with a few lines around it from both sides.
fn first_difference(expected: &str, actual: &str) -> String {
    let (expected, actual): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), actual.lines().collect());
    let line = expected
        .iter()
        .zip(&actual)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.len().min(actual.len()));
    let context = |lines: &[&str], sign: char| {
        let start = line.saturating_sub(3);
        lines
            .iter()
            .enumerate()
            .skip(start)
            .take(7)
            .map(|(number, text)| {
                let marker = if number == line { sign } else { ' ' };
                format!("{marker}{:>5} | {text}\n", number + 1)
            })
            .collect::<String>()
    };
    format!(
        "--- snapshot (line {})\n{}+++ expansion\n{}",
        line + 1,
        context(&expected, '-'),
        context(&actual, '+')
    )
}
