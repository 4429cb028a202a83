//! The backup container's header and lengths, from any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = safeguard_core::store::backup::parse(data) {
        assert!(p.keyring.len() + p.database.len() <= data.len());
    }
});
