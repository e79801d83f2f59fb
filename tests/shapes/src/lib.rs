//! The valid shapes of cached activities, one test crate each in `tests/`: every one compiles
//! under `#[cached_activity]` as a user's crate would, and runs its `main` (its assertions) under
//! `cargo test`. The misuses are trybuild's, in `tests/ui/fail`.
