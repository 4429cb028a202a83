//! Drafts: the unsaved content of a form, kept per user inside the encrypted store so that a
//! lock, a crash or a closed lid loses nothing. Drafts are not records (not audited, not
//! append-only): the latest replaces the previous, and saving the record discards it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;

use super::{Session, parse_time};
use crate::error::{Error, Result};

/// A draft is a form's fields as JSON: generous for a long account, bounded so a runaway
/// script cannot fill the disk.
pub const MAX_DRAFT_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Draft {
    pub form: String,
    pub saved_at: DateTime<Utc>,
    /// The form's fields as the window saved them (JSON text, opaque to the core).
    pub body: String,
}

/// A form name: a short machine name such as `concern` or `voice:<pupil id>`.
pub(super) fn check_form_name(form: &str) -> Result<()> {
    let ok = !form.is_empty()
        && form.len() <= 80
        && form
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "draft",
            "the form name must be 1 to 80 letters, digits, '-', '_' or ':'",
        ))
    }
}

/// A draft's form name and body, checked before it is kept (in the database or, for staff,
/// sealed in the inbox folder).
pub(super) fn check_draft(form: &str, body: &str) -> Result<()> {
    check_form_name(form)?;
    if body.len() > MAX_DRAFT_BYTES {
        return Err(Error::TooLarge {
            field: "draft",
            limit: MAX_DRAFT_BYTES,
        });
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(Error::invalid("draft", "is not a form's fields")),
    }
}

impl Session {
    /// Saves (replaces) this user's draft of `form`. The body must be a JSON object.
    pub fn save_draft(&mut self, form: &str, body: &str) -> Result<()> {
        check_draft(form, body)?;
        self.conn().execute(
            "INSERT INTO drafts (user_id, form, saved_at, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id, form) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body",
            params![self.user().id.to_string(), form, crate::time::fmt_utc(self.now()), body],
        )?;
        Ok(())
    }

    /// This user's draft of `form`, if there is one.
    pub fn draft(&self, form: &str) -> Result<Option<Draft>> {
        check_form_name(form)?;
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT saved_at, body FROM drafts WHERE user_id = ?1 AND form = ?2",
                params![self.user().id.to_string(), form],
                |r| TryFrom::try_from(r),
            )
            .optional()?;
        row.map(|(at, body)| {
            Ok(Draft {
                form: form.to_owned(),
                saved_at: parse_time(&at)?,
                body,
            })
        })
        .transpose()
    }

    /// Discards this user's draft of `form` (after the record is saved, or on request).
    pub fn discard_draft(&mut self, form: &str) -> Result<()> {
        check_form_name(form)?;
        self.conn().execute(
            "DELETE FROM drafts WHERE user_id = ?1 AND form = ?2",
            params![self.user().id.to_string(), form],
        )?;
        Ok(())
    }
}
