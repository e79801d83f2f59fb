//! The key encoder never panics, and hashes equal values alike, whatever the input's shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let first = temporal_cache_runtime::__private::key_of(&value);
        let again = temporal_cache_runtime::__private::key_of(&value.clone());
        assert_eq!(first, again);
    }
});
