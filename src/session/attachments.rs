//! Attachments (scanned forms, photographs of a body map) chosen from disk: read once into the
//! encrypted store, listed on their record. The file on disk is the user's own; the app never
//! writes an attachment back out as plaintext.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Session, parse_id, parse_time};
use crate::error::{Error, Result};
use crate::records::{Id, MAX_ATTACHMENT_BYTES};

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
