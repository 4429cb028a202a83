//! The native file dialogs, opened from Rust. The webview never names a path: it asks for a
//! dialog and gets back what the person chose — a store folder, a document saved, or opaque
//! tokens for files to attach, which only this shell can turn back into paths.

use std::path::PathBuf;

use safeguard_core::session::{DocumentRequest, ReferralSelection};
use serde::Serialize;
use tauri::{State, WebviewWindow, Wry};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};
use ts_rs::TS;

use crate::commands::{AppState, app_status_of, opts, with_either, with_session};
use crate::dto::{AppStatus, IpcError, IpcResult, Restored, SavedDocument};

/// A file the person picked: a token for `attach_file` and the name to show.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PickedFile {
    pub token: String,
    pub name: String,
}

const SCANS: &[&str] = &[
    "pdf", "png", "jpg", "jpeg", "tif", "tiff", "heic", "docx", "txt",
];

fn dialog(window: &WebviewWindow, title: &str) -> FileDialogBuilder<Wry> {
    window.dialog().file().set_parent(window).set_title(title)
}

fn chosen(path: tauri_plugin_dialog::FilePath) -> Result<PathBuf, IpcError> {
    path.into_path().map_err(|_| {
        IpcError::from(safeguard_core::Error::InvalidInput {
            field: "chosen file",
            reason: "is not a file on this computer",
        })
    })
}

/// Asks where to save, suggesting `name` (and files of one kind when `filter` is given):
/// the path chosen, or None when cancelled. The save dialog asks before replacing a file.
fn ask_save_path(
    window: &WebviewWindow,
    title: &str,
    name: String,
    filter: Option<(&str, &[&str])>,
) -> IpcResult<Option<PathBuf>> {
    let mut d = dialog(window, title).set_file_name(name);
    if let Some((label, extensions)) = filter {
        d = d.add_filter(label, extensions);
    }
    d.blocking_save_file().map(chosen).transpose()
}

/// Tokens kept at once (a form picks a handful; more means nobody is attaching them).
const MAX_PICKED: usize = 200;

/// Asks for another store folder; locks any open store first. Unchanged when cancelled.
pub(crate) fn choose_store_dir(
    window: WebviewWindow,
    state: State<'_, AppState>,
) -> IpcResult<AppStatus> {
    if let Some(dir) = dialog(&window, "Choose the store folder").blocking_pick_folder() {
        let dir = chosen(dir)?;
        state.lock_now()?;
        state.set_store_dir(dir)?;
    }
    app_status_of(&state)
}

/// Asks for scanned forms or photographs to attach; returns a token and a name for each.
pub(crate) fn pick_attachments(
    window: WebviewWindow,
    state: State<'_, AppState>,
    multiple: bool,
) -> IpcResult<Vec<PickedFile>> {
    // Only while a store is open: the tokens are cleared when it locks.
    with_either(&state, |_| Ok(()), |_| Ok(()))?;
    let title = if multiple {
        "Attach scanned forms or photographs"
    } else {
        "Attach a scanned form or photograph"
    };
    let d = dialog(&window, title).add_filter("Scans and photographs", SCANS);
    let paths = if multiple {
        d.blocking_pick_files().unwrap_or_default()
    } else {
        d.blocking_pick_file().into_iter().collect()
    };
    let paths = paths
        .into_iter()
        .map(chosen)
        .collect::<Result<Vec<_>, _>>()?;
    let mut map = state.picked()?;
    if map.len() + paths.len() > MAX_PICKED {
        map.clear();
    }
    let mut out = Vec::new();
    for path in paths {
        let token = safeguard_core::secret::random_token()?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        map.insert(token.clone(), path);
        out.push(PickedFile { token, name });
    }
    Ok(out)
}

/// Attaches a file picked with `pick_attachments` (its token is used up).
pub(crate) fn attach_file(
    state: State<'_, AppState>,
    record_id: safeguard_core::records::Id,
    token: String,
) -> IpcResult<safeguard_core::records::Id> {
    let path =
        state
            .picked()?
            .remove(&token)
            .ok_or(IpcError::from(safeguard_core::Error::NotFound {
                what: "picked file",
            }))?;
    with_either(
        &state,
        |s| s.attach_path(record_id, &path),
        |s| s.attach_path(record_id, &path),
    )
}

/// Asks where to save the document (the core suggests the name), generates it and writes it
/// there; with `open`, hands it to the system's viewer to print. None when cancelled.
pub(crate) fn save_document(
    app: tauri::AppHandle,
    window: WebviewWindow,
    state: State<'_, AppState>,
    request: DocumentRequest,
    open: bool,
) -> IpcResult<Option<SavedDocument>> {
    let name = with_session(&state, |s| s.document_file_name(&request))?;
    let Some(path) = ask_save_path(&window, "Save the document", name, Some(("PDF", &["pdf"])))?
    else {
        return Ok(None);
    };
    let doc = with_session(&state, |s| s.document(&request))?;
    // The save dialog asked before overwriting an existing file.
    safeguard_core::pdf::save_over(&path, &doc.bytes)?;
    if open {
        open_with_system(&app, &path)?;
    }
    Ok(Some(SavedDocument {
        path: path.display().to_string(),
        pages: doc.pages as u32,
        missing: doc
            .missing
            .iter()
            .map(|c| format!("U+{:04X}", *c as u32))
            .collect(),
    }))
}

/// Asks where to save an email draft (`.eml`, the referral attached, to the referral
/// address), writes it and opens it in the mail client. None when cancelled.
pub(crate) fn save_referral_email(
    app: tauri::AppHandle,
    window: WebviewWindow,
    state: State<'_, AppState>,
    selection: ReferralSelection,
) -> IpcResult<Option<SavedDocument>> {
    let request = DocumentRequest::Referral {
        selection: selection.clone(),
    };
    let name = with_session(&state, |s| s.document_file_name(&request))?;
    let name = match name.strip_suffix(".pdf") {
        Some(stem) => format!("{stem}.eml"),
        None => format!("{name}.eml"),
    };
    let Some(path) = ask_save_path(
        &window,
        "Save the email draft",
        name,
        Some(("Email", &["eml"])),
    )?
    else {
        return Ok(None);
    };
    let draft = with_session(&state, |s| s.referral_email(&selection))?;
    safeguard_core::pdf::save_over(&path, &draft.eml)?;
    open_with_system(&app, &path)?;
    Ok(Some(SavedDocument {
        path: path.display().to_string(),
        pages: draft.pages as u32,
        missing: vec![],
    }))
}

fn open_with_system(app: &tauri::AppHandle, path: &std::path::Path) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|_| safeguard_core::Error::Io {
            kind: "the system could not open the file".into(),
        })?;
    Ok(())
}

const BACKUPS: &[&str] = &["sgdbackup"];

/// Asks where to save a backup of the store (DSL and deputies) and writes it there: still
/// encrypted, with the keyring and the audit head. A backup is never written over another
/// file. Returns the path saved, or None when cancelled.
pub(crate) fn backup_store(
    window: WebviewWindow,
    state: State<'_, AppState>,
) -> IpcResult<Option<String>> {
    let name = with_session(&state, |s| s.backup_file_name())?;
    let filter = Some(("Safeguard Desk backup", BACKUPS));
    let Some(path) = ask_save_path(&window, "Save the backup", name, filter)? else {
        return Ok(None);
    };
    with_session(&state, |s| s.backup(&path))?;
    Ok(Some(path.display().to_string()))
}

/// Restores a backup into a new folder: asks for the backup, then for the new folder's name
/// and place; the backup is verified (as `user_name`) before the folder appears. The window
/// then shows that store's unlock screen. None when either dialog is cancelled.
pub(crate) fn restore_backup(
    app: tauri::AppHandle,
    window: WebviewWindow,
    state: State<'_, AppState>,
    user_name: String,
    passphrase: String,
) -> IpcResult<Option<Restored>> {
    let Some(backup) = dialog(&window, "Choose the backup to restore")
        .add_filter("Safeguard Desk backup", BACKUPS)
        .blocking_pick_file()
    else {
        return Ok(None);
    };
    let backup = chosen(backup)?;
    let title = "Name the new folder for the restored store";
    let Some(folder) = ask_save_path(&window, title, "Restored store".into(), None)? else {
        return Ok(None);
    };
    let report = safeguard_core::restore(
        &backup,
        &folder,
        Some(&user_name),
        &safeguard_core::secret::Passphrase::new(passphrase),
        opts(&app),
    )?;
    state.lock_now()?;
    state.set_store_dir(folder.clone())?;
    Ok(Some(Restored {
        folder: folder.display().to_string(),
        events: report.chain.events.try_into().unwrap_or(u32::MAX),
    }))
}
