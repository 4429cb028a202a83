//! The main window, made here rather than in tauri.conf.json so that its web profile is chosen:
//! an ephemeral (incognito) WebKit context, which keeps no cookies, storage or cache on disk.
//! The runtime still makes a default WebKit context beside it, which writes salts and an empty
//! HSTS database into its folder: that folder is a private one made for this run (in
//! `$XDG_RUNTIME_DIR`, a per-user tmpfs, or else the temp folder), removed at exit, and left
//! over ones of processes that are gone are removed at the next start. WebKitGTK refuses
//! WebDriver automation on an ephemeral context, so under automation (the E2E tests,
//! `TAURI_WEBVIEW_AUTOMATION=true`) that private folder is the profile itself; the leak test
//! reads whatever it holds.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, WebviewUrl, WebviewWindowBuilder};

const PREFIX: &str = "safeguard-desk-webview-";

/// This run's private web profile folder, removed at exit.
pub struct WebProfile(PathBuf);

/// Only a build made for driving the window (the `webview-automation` feature, which
/// scripts/test.sh and scripts/measure-today.sh turn on) honours the automation switch: any other
/// build, debug or release, is always incognito, whatever its environment says.
fn under_automation() -> bool {
    honours_automation(std::env::var("TAURI_WEBVIEW_AUTOMATION").ok().as_deref())
}

/// Whether this build lets the switch's value turn automation on.
fn honours_automation(switch: Option<&str>) -> bool {
    cfg!(feature = "webview-automation") && switch == Some("true")
}

fn profile_parent() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Removes profile folders left by runs that ended without an exit (killed, crashed): only
/// real folders (not links) owned by this user, named for a process that is gone.
fn remove_leftovers(parent: &Path, ours: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(me) = std::fs::symlink_metadata(ours).map(|m| m.uid()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path == ours {
            continue;
        }
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        let gone = pid
            .parse::<u32>()
            .is_ok_and(|p| !Path::new(&format!("/proc/{p}")).exists());
        let owned_folder =
            std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_dir() && m.uid() == me);
        if gone && owned_folder {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Makes this run's folder: a new name (pid and a random part), created exclusively (an
/// existing file, folder or link of that name is an error, never followed), then 0700.
fn make_profile_dir(parent: &Path) -> std::io::Result<PathBuf> {
    let token =
        safeguard_core::secret::random_token().map_err(|e| std::io::Error::other(e.to_string()))?;
    let dir = parent.join(format!("{PREFIX}{}-{}", std::process::id(), &token[..16]));
    std::fs::create_dir(&dir)?;
    safeguard_core::files::restrict_dir(&dir).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(dir)
}

/// Opens the main window with its private profile folder.
pub fn open_main(app: &AppHandle) -> tauri::Result<WebProfile> {
    let parent = profile_parent();
    let dir = make_profile_dir(&parent).map_err(tauri::Error::Io)?;
    remove_leftovers(&parent, &dir);
    WebviewWindowBuilder::new(app, "main", WebviewUrl::default())
        .title(if cfg!(feature = "webview-automation") {
            "Safeguard Desk (automation build)"
        } else {
            "Safeguard Desk"
        })
        .inner_size(1200.0, 780.0)
        .min_inner_size(800.0, 560.0)
        .data_directory(dir.clone())
        .incognito(!under_automation())
        // The inspector is a developer's tool: never in an optimised build, measured or shipped.
        .devtools(cfg!(debug_assertions))
        .build()?;
    Ok(WebProfile(dir))
}

/// Removes this run's profile folder.
pub fn remove_profile(profile: &WebProfile) {
    let _ = std::fs::remove_dir_all(&profile.0);
}

#[cfg(test)]
mod tests {
    /// The build `cargo test` and `cargo build` make (no `webview-automation`) refuses the
    /// switch: its window stays incognito even when the environment asks for automation.
    #[test]
    #[cfg(not(feature = "webview-automation"))]
    fn a_build_without_the_automation_feature_refuses_the_switch() {
        assert!(!super::honours_automation(Some("true")));
        assert!(!super::honours_automation(None));
    }
}
