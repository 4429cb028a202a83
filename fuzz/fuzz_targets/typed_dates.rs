//! UK dates and times as typed in the window, and the stored UTC format.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeguard_core::time;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = time::parse_uk_date("date", s) {
        assert_eq!(time::parse_uk_date("date", &time::display_date(d)).unwrap(), d);
    }
    if let Ok(t) = time::parse_london_local("time", s) {
        assert_eq!(time::parse_utc(&time::fmt_utc(t)).unwrap(), t);
    }
    let _ = time::parse_utc(s);
    let _ = time::parse_date(s);
});
