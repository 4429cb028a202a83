//! The keyring file: any bytes are refused or parsed, never a panic, a hang or a huge allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = safeguard_core::keyring::Keyring::parse(data) {
        // Whatever parses must survive a round trip through the writer.
        let again = k.to_bytes().expect("a parsed keyring encodes");
        safeguard_core::keyring::Keyring::parse(&again).expect("and parses again");
    }
});
