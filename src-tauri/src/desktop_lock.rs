//! Locks when the desktop says so, over D-Bus: the screen saver or lock screen (session bus),
//! logind's prepare-for-sleep and session lock (system bus). Which signal locks is the core's
//! rule (`safeguard_core::desktop_lock`); this only listens. Without a bus (a bare X server,
//! another OS) the idle lock and the wake-from-sleep check still run.

use safeguard_core::desktop_lock::{SESSION_BUS_RULES, SYSTEM_BUS_RULES, signal_locks};
use tauri::{Emitter, Manager};

use crate::commands::AppState;

/// Starts one listener thread per bus.
pub fn listen(app: &tauri::AppHandle) {
    for (bus, rules) in [("session", SESSION_BUS_RULES), ("system", SYSTEM_BUS_RULES)] {
        let app = app.clone();
        std::thread::spawn(move || {
            let connected = match bus {
                "session" => zbus::blocking::Connection::session(),
                _ => zbus::blocking::Connection::system(),
            };
            let Ok(conn) = connected else {
                eprintln!("Safeguard Desk: no D-Bus {bus} bus; locking on its signals is off");
                return;
            };
            for rule in rules {
                let Ok(messages) =
                    zbus::blocking::MessageIterator::for_match_rule(*rule, &conn, None)
                else {
                    continue;
                };
                let app = app.clone();
                std::thread::spawn(move || {
                    for message in messages.flatten() {
                        let header = message.header();
                        let interface = header.interface().map(|i| i.as_str()).unwrap_or("");
                        let member = header.member().map(|m| m.as_str()).unwrap_or("");
                        let first_bool = message.body().deserialize::<bool>().ok();
                        if signal_locks(interface, member, first_bool) {
                            let state = app.state::<AppState>();
                            let _ = state.lock_now();
                            let _ = app.emit("sgd-locked", "desktop");
                        }
                    }
                });
            }
            // Keep the connection (and so every subscription) for the life of the app.
            loop {
                std::thread::park();
                let _ = &conn;
            }
        });
    }
}
