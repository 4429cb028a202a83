//! Attachments (scanned forms, photographs of a body map) chosen from disk: read once into the
//! encrypted store, listed on their record. The file on disk is the user's own; the app never
//! writes an attachment back out as plaintext.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

use super::{Ctx, Session, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::records::{Id, MAX_ATTACHMENT_BYTES, MAX_SHORT, required};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AttachmentView {
    pub id: Id,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, to match a paper original's scan.
    pub sha256: String,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

/// The kinds of file a school scans or photographs; anything else is refused by name.
pub(crate) fn media_type(path: &Path) -> Result<&'static str> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "txt" => "text/plain",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => {
            return Err(Error::invalid(
                "attachment",
                "must be a PDF, an image (PNG, JPEG, TIFF, HEIC), a Word document or a text file",
            ));
        }
    })
}

impl Session {
    /// Attaches the file at `path` to a record: its type checked by name first, then read only
    /// if it is a regular file (no link, FIFO or device) no larger than the limit, measured on
    /// the opened file.
    pub fn attach_path(&mut self, record_id: Id, path: &Path) -> Result<Id> {
        let media = media_type(path)?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or(Error::invalid("attachment", "has no readable file name"))?
            .to_owned();
        let bytes = crate::files::read_chosen_file(path, MAX_ATTACHMENT_BYTES, "attachment")?;
        self.attach_file(record_id, &name, media, &bytes)
    }

    /// The attachments of the given records (metadata only), grouped by record, oldest first.
    pub(crate) fn attachments_for(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<AttachmentView>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let names = self.names()?;
        let list = serde_json::to_string(ids)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT record_id, id, file_name, media_type, size, sha256, added_at, added_by
             FROM attachments WHERE record_id IN (SELECT value FROM json_each(?1)) ORDER BY seq",
        )?;
        let mut rows = stmt.query([list])?;
        let mut out: HashMap<String, Vec<AttachmentView>> = HashMap::new();
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().push(AttachmentView {
                id: parse_id(&r.get::<_, String>(1)?)?,
                file_name: r.get(2)?,
                media_type: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
                sha256: r.get(5)?,
                added_at: parse_time(&r.get::<_, String>(6)?)?,
                added_by: names.user(&r.get::<_, String>(7)?),
            });
        }
        Ok(out)
    }
}

impl Session {
    /// Attaches a file (a scanned form) to a record, stored encrypted inside the database.
    pub fn attach_file(
        &mut self,
        record_id: Id,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Id> {
        check_attachment(file_name, media_type, bytes)?;
        let (author, pupil) = self.record_author(record_id)?;
        // Staff may attach only to their own records; the safeguarding team to any.
        if !self.user.role.is_safeguarding_lead() && author != self.user.id {
            return Err(Error::Forbidden);
        }
        self.write(Action::AttachmentAdd, |c, ctx| {
            let id = ctx.new_id();
            insert_attachment(c, ctx, id, record_id, file_name, media_type, bytes)?;
            // The children it is about: the audit names them, and Today reworks only their
            // families' prompts (a write naming no pupil reworks every prompt).
            let mut targets = vec![id, record_id];
            match pupil {
                Some(p) => targets.push(p),
                None => targets.extend(notification_children(c, record_id)?),
            }
            Ok((id, targets))
        })
    }

    /// Who wrote a record a file may be attached to, and which pupil it is about. The kinds
    /// whose pages show their attachments, named here on purpose: an attachment to any other
    /// kind would be stored where nobody sees it.
    pub(crate) fn record_author(&self, record_id: Id) -> Result<(Uuid, Option<Uuid>)> {
        let sql = "SELECT recorded_by, pupil_id FROM concerns WHERE id = ?1
             UNION ALL SELECT recorded_by, NULL FROM encompass_notifications WHERE id = ?1
             UNION ALL SELECT recorded_by, pupil_id FROM voice_entries WHERE id = ?1
             UNION ALL SELECT created_by, pupil_id FROM follow_ups WHERE id = ?1
             UNION ALL SELECT recorded_by, pupil_id FROM referrals WHERE id = ?1
             UNION ALL SELECT opened_by, pupil_id FROM escalations WHERE id = ?1
             UNION ALL SELECT created_by, id FROM pupils WHERE id = ?1
             LIMIT 1";
        let row: Option<(String, Option<String>)> = self
            .conn()
            .prepare_cached(sql)?
            .query_row([record_id.to_string()], |r| TryFrom::try_from(r))
            .optional()?;
        let (a, p) = row.ok_or(Error::NotFound { what: "record" })?;
        Ok((parse_id(&a)?, p.as_deref().map(parse_id).transpose()?))
    }
}

/// The children a notification is about (none for any other record).
fn notification_children(c: &Connection, record_id: Id) -> Result<Vec<Uuid>> {
    let mut stmt = c.prepare_cached(
        "SELECT pupil_id FROM encompass_children WHERE notification_id = ?1 ORDER BY seq",
    )?;
    let ids = stmt
        .query_map([record_id.to_string()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ids.iter().map(|s| parse_id(s)).collect()
}

pub(crate) fn check_attachment(file_name: &str, media_type: &str, bytes: &[u8]) -> Result<()> {
    required("file name", file_name, MAX_SHORT)?;
    required("media type", media_type, 100)?;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::TooLarge {
            field: "attachment",
            limit: MAX_ATTACHMENT_BYTES,
        });
    }
    if bytes.is_empty() {
        return Err(Error::invalid("attachment", "is empty"));
    }
    Ok(())
}

pub(crate) fn insert_attachment(
    c: &Connection,
    ctx: &Ctx,
    id: Uuid,
    record_id: Id,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<()> {
    let digest = hex::encode(Sha256::digest(bytes));
    c.execute(
        "INSERT INTO attachments (id, device_id, added_at, added_by, record_id, file_name, media_type, size, sha256, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), record_id.to_string(), file_name, media_type, bytes.len() as i64, digest, bytes],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_document_types_are_accepted() {
        assert_eq!(
            media_type(Path::new("scan.PDF")).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            media_type(Path::new("a/b/photo.jpeg")).unwrap(),
            "image/jpeg"
        );
        assert!(media_type(Path::new("run.exe")).is_err());
        assert!(media_type(Path::new("no-extension")).is_err());
    }
}
