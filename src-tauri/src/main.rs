//! Safeguard Desk window. A thin shell: registers the commands, the dialog plugin and the state;
//! every command lives in `commands.rs` or `desk.rs` and calls one core function.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod desk;
mod desktop_lock;
mod dialogs;
mod dto;
mod forms;
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
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            dialogs::choose_store_dir,
            dialogs::pick_attachments,
            dialogs::attach_file,
            dialogs::save_document,
            dialogs::save_referral_email,
            dialogs::backup_store,
            dialogs::restore_backup,
            commands::create_store,
            commands::unlock,
            commands::lock,
            commands::activity,
            commands::dashboard,
            commands::prompts,
            commands::prompt_page,
            commands::dismiss_prompt,
            commands::list_pupils,
            commands::pupil_summary,
            commands::pupil_file,
            commands::chronology,
            commands::pupil_prompts,
            commands::record_concern,
            commands::record_voice,
            commands::record_referral,
            commands::record_decision,
            commands::add_sibling_to_notification,
            commands::check_language,
            commands::search,
            commands::inbox_report,
            commands::my_concerns,
            desk::follow_ups,
            desk::assignees,
            desk::add_follow_up,
            desk::complete_follow_up,
            desk::reassign_follow_up,
            desk::record_notification,
            desk::escalations,
            desk::pupil_escalations,
            desk::escalation,
            desk::open_escalation,
            desk::advance_escalation,
            desk::escalation_response,
            desk::resolve_escalation,
            desk::add_review_comment,
            desk::amendable_fields,
            desk::amend,
            desk::save_draft,
            desk::draft,
            desk::discard_draft,
            desk::settings,
            desk::save_settings,
            desk::users,
            desk::add_user,
            desk::remove_user,
            desk::set_passphrase,
            desk::recovery_rotation_suggested,
            desk::rotate_recovery_key,
            desk::add_pupil,
            desk::add_family_member,
            desk::document_file_name,
            desk::referral_flags,
        ])
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
