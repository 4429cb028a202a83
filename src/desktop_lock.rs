//! Which desktop signals lock the store: the screen saver or lock screen coming on, the session
//! being locked, the computer about to sleep. The shell listens on D-Bus and asks this; the rule
//! lives here so it is tested without a bus.

/// The D-Bus match rules the shell subscribes to, and on which bus.
pub const SESSION_BUS_RULES: &[&str] = &[
    "type='signal',interface='org.freedesktop.ScreenSaver',member='ActiveChanged'",
    "type='signal',interface='org.gnome.ScreenSaver',member='ActiveChanged'",
];
pub const SYSTEM_BUS_RULES: &[&str] = &[
    "type='signal',interface='org.freedesktop.login1.Manager',member='PrepareForSleep'",
    "type='signal',interface='org.freedesktop.login1.Session',member='Lock'",
];

/// Whether a signal (its interface, member and first boolean argument, if any) means the store
/// must lock now. Fails closed: a lock signal for any session locks.
pub fn signal_locks(interface: &str, member: &str, first_bool: Option<bool>) -> bool {
    match (interface, member) {
        ("org.freedesktop.ScreenSaver" | "org.gnome.ScreenSaver", "ActiveChanged") => {
            first_bool == Some(true)
        }
        ("org.freedesktop.login1.Manager", "PrepareForSleep") => first_bool == Some(true),
        ("org.freedesktop.login1.Session", "Lock") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_saver_coming_on_a_session_lock_and_sleep_lock_and_nothing_else() {
        assert!(signal_locks(
            "org.freedesktop.ScreenSaver",
            "ActiveChanged",
            Some(true)
        ));
        assert!(signal_locks(
            "org.gnome.ScreenSaver",
            "ActiveChanged",
            Some(true)
        ));
        assert!(!signal_locks(
            "org.freedesktop.ScreenSaver",
            "ActiveChanged",
            Some(false)
        ));
        assert!(signal_locks(
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            Some(true)
        ));
        assert!(!signal_locks(
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            Some(false)
        ));
        assert!(signal_locks("org.freedesktop.login1.Session", "Lock", None));
        assert!(!signal_locks(
            "org.freedesktop.login1.Session",
            "Unlock",
            None
        ));
        assert!(!signal_locks(
            "org.example.Other",
            "ActiveChanged",
            Some(true)
        ));
    }
}
