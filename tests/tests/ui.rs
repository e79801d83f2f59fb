//! Compile-time behaviour of `#[cached_activity]` and `invalidate_cache!`: every misuse is
//! reported on the token that caused it, with no follow-on errors, and the tricky valid uses
//! compile (and run, for the few cases that assert something).
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p temporal-cache-tests
//! --test ui`, then read every one of them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
