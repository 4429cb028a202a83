//! Safeguard Desk window. A thin shell: registers the commands, the dialog plugin and the state;
//! every command lives in `commands.rs` and calls one core function.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dto;

fn main() {
    let store_dir = commands::initial_store_dir();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(commands::AppState::new(store_dir))
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::choose_store_dir,
            commands::create_store,
            commands::unlock,
            commands::lock,
            commands::dashboard,
            commands::prompts,
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
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|_| {
            eprintln!("Safeguard Desk could not start its window");
            std::process::exit(1);
        });
}
