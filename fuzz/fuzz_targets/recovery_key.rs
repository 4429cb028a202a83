//! What a person types as a recovery key.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(typed) = std::str::from_utf8(data)
        && let Ok(k) = safeguard_core::secret::RecoveryKey::parse(typed)
    {
        // A key that parses reads back as 8 groups of 4.
        let grouped = k.expose_grouped();
        assert_eq!(grouped.len(), 39);
        safeguard_core::secret::RecoveryKey::parse(&grouped).expect("its grouped form parses");
    }
});
