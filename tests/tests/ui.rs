//! Compile-time behaviour of `#[cached_activity]` and `invalidate_cache!`: every misuse is
//! reported on the token that caused it, with no follow-on errors.
//!
//! The tricky valid uses are test crates of their own in `tests/shapes`, built and run by `cargo
//! test`: with only failing cases, trybuild checks its copy of the dependencies instead of
//! building them, which saves most of this test's time.
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p temporal-cache-tests
//! --test ui`, then read every one of them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
}
