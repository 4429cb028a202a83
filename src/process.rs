//! Process hygiene for both binaries, called first thing in `main`: no core dumps (a crash must
//! not write the decrypted page cache or the data key to disk), not dumpable (another process of
//! the same user cannot ptrace it or read its memory through /proc), and a private umask so
//! anything created without an explicit mode is still the owner's alone. Through rustix's safe
//! wrappers, so the core keeps `forbid(unsafe_code)`.

/// Applies every setting it can; a platform without them is left as it is.
pub fn harden() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
    #[cfg(target_os = "linux")]
    {
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}

/// Whether this process may be dumped (for the test of [`harden`]).
#[cfg(target_os = "linux")]
pub fn is_dumpable() -> bool {
    !matches!(
        rustix::process::dumpable_behavior(),
        Ok(rustix::process::DumpableBehavior::NotDumpable)
    )
}
