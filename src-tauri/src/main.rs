//! Safeguard Desk window. A thin shell: registers the commands (declared once in `ipc.rs`), the
//! dialog plugin and the state; every command calls one core function.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod desktop_lock;
mod dialogs;
mod dto;
mod ipc;
mod ipc_macro;
mod window;

use std::time::{Duration, SystemTime};

use safeguard_core::sleep::SleepDetector;
use tauri::{Emitter, Manager};

/// How often the watcher ticks, and the gap that means the computer slept.
const TICK: Duration = Duration::from_secs(1);
const SLEPT: Duration = Duration::from_secs(30);

/// Locks, outside the webview, when the computer wakes from sleep (a closed lid) and when the
/// idle time passes with no activity reported by the window; then tells the window. The key is
/// dropped whether or not the window hears it.
fn watch_for_sleep_and_idle(app: tauri::AppHandle) {
    std::thread::spawn(move || {
        let watched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut detector = SleepDetector::new(SystemTime::now(), SLEPT);
            loop {
                std::thread::sleep(TICK);
                let slept = detector.tick(SystemTime::now());
                let state = app.state::<commands::AppState>();
                let why = if slept {
                    "sleep"
                } else if state.idle_due() {
                    "idle"
                } else {
                    continue;
                };
                // Told whatever locking answered: the window must clear the screen either way.
                let _ = state.lock_now();
                let _ = app.emit("sgd-locked", why);
            }
        }));
        if watched.is_err() {
            // Without the watcher nothing would lock: end the app (and with it the key).
            eprintln!("Safeguard Desk: the lock watcher failed; closing to protect the records");
            std::process::abort();
        }
    });
}

fn main() {
    safeguard_core::process::harden();
    let store_dir = commands::initial_store_dir();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(commands::AppState::new(store_dir))
        .setup(|app| {
            watch_for_sleep_and_idle(app.handle().clone());
            desktop_lock::listen(app.handle());
            let profile = window::open_main(app.handle())?;
            app.manage(profile);
            Ok(())
        })
        .invoke_handler(ipc::handler())
        .build(tauri::generate_context!())
        .unwrap_or_else(|_| {
            eprintln!("Safeguard Desk could not start its window");
            std::process::exit(1);
        })
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event
                && let Some(profile) = app.try_state::<window::WebProfile>()
            {
                window::remove_profile(&profile);
            }
        });
}
