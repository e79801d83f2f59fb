//! The envelope decoder never panics, whatever bytes Redis hands back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    temporal_cache_runtime::__private::decode_envelope(bytes);
});
