//! An inbox item (what staff write into the store folder), from any bytes: the layout and the
//! header parse or are refused, and opening a parsed item with a key that never sealed it finds
//! nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = safeguard_core::inbox::parse_item(data) {
        let stranger = safeguard_core::inbox::StaticSecret::from([7u8; 32]);
        assert!(item.open_as_team(&stranger).is_none());
        assert!(item.open_as_author(&stranger).is_none());
    }
});
