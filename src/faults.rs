//! Named fault points for crash and I/O-error tests. Compiled to nothing unless the
//! `fault-injection` feature is on (only the test build turns it on): then `SGD_FAULT=point`
//! makes that point fail with an I/O error, `SGD_FAULT=point:abort` ends the process there,
//! as a power cut would, and `SGD_FAULT=point:diskfull` answers as a full disk does.

use crate::error::Result;

#[cfg(feature = "fault-injection")]
pub fn hit(point: &str) -> Result<()> {
    let Ok(spec) = std::env::var("SGD_FAULT") else {
        return Ok(());
    };
    let (name, mode) = spec.split_once(':').unwrap_or((spec.as_str(), "error"));
    if name != point {
        return Ok(());
    }
    if mode == "abort" {
        std::process::abort();
    }
    if mode == "diskfull" {
        return Err(crate::error::Error::DiskFull {
            needed_mib: 1,
            available_mib: 0,
        });
    }
    Err(crate::error::Error::Io {
        kind: "injected fault".into(),
    })
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn hit(_point: &str) -> Result<()> {
    Ok(())
}
