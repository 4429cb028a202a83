//! Amendments: the only way to correct a saved record. One field at a time, with a reason; the
//! record's current view is its body with its amendments applied in order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::search::{index_correction, search_text_of};
use super::users::Names;
use super::{Session, parse_id};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{Body, current, current_json, with_body};
use crate::records::*;

/// The amended body must still be the record's type and pass the rules it was created under.
/// Returns its search text as it now reads.
fn check<T: Body>(
    body: &str,
    amendments: &[AmendmentView],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    let v: T = current(body, amendments)
        .map_err(|_| Error::invalid("value", "does not fit that field"))?;
    v.validate(now)?;
    Ok(search_text_of(&v))
}

impl Session {
    /// Amends one field of a record, with a reason. The safeguarding team may amend any record;
    /// the head and staff only records they wrote themselves.
    pub fn amend(
        &mut self,
        kind: RecordKind,
        record_id: Id,
        field: &str,
        value: serde_json::Value,
        reason: &str,
    ) -> Result<Id> {
        required("reason", reason, MAX_TEXT)?;
        if !kind.is_amendable(field) {
            return Err(Error::invalid(
                "field",
                "cannot be amended (links and status change through their own actions)",
            ));
        }
        let encoded = value.to_string();
        if encoded.len() > MAX_TEXT {
            return Err(Error::TooLarge {
                field: "value",
                limit: MAX_TEXT,
            });
        }
        let (body, author, pupil) = self.amendable_row(kind, record_id)?;
        let role = self.user().role;
        if !role.is_safeguarding_lead() && author != self.user().id {
            return Err(Error::Forbidden);
        }
        // The field is one of the body as this build writes it.
        let schema_version = with_body!(kind, T => T::VERSION);
        let mut amendments = self.amendments_of(record_id)?;
        amendments.push(AmendmentView {
            id: Uuid::nil(),
            at: self.now(),
            by: String::new(),
            field: field.to_owned(),
            value: value.clone(),
            reason: reason.to_owned(),
            schema_version,
        });
        let now = self.now();
        let now_reads = with_body!(kind, T => check::<T>(&body, &amendments, now))?;
        self.write(Action::RecordAmend, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO amendments (id, device_id, at, by_user, record_kind, record_id, field, value, reason, schema_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), kind.as_str(), record_id.to_string(), field, encoded, reason, schema_version],
            )?;
            // Derived state follows the record's current view, in the same transaction.
            super::derived::refresh(c, kind, record_id)?;
            index_correction(c, kind, record_id, pupil, author, ctx.user, &ctx.now_text(), &now_reads, reason)?;
            let mut targets = vec![id, record_id];
            targets.extend(pupil);
            Ok((id, targets))
        })
    }

    /// The amendment history of one record, oldest first. Staff see only the history of their
    /// own concerns (an amendment holds the record's content).
    pub fn amendments_of(&self, record_id: Id) -> Result<Vec<AmendmentView>> {
        let key = record_id.to_string();
        if !self.user().role.reads_everything() {
            let own: bool = self.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM concerns WHERE id = ?1 AND recorded_by = ?2)",
                params![key, self.user().id.to_string()],
                |r| r.get(0),
            )?;
            if !own {
                return Err(Error::Forbidden);
            }
        }
        Ok(self
            .amendments_for(std::slice::from_ref(&key), &self.names()?)?
            .remove(&key)
            .unwrap_or_default())
    }
}

impl Session {
    /// Amends a field from what was typed in the window ("01/07/2026 09:30", "yes", empty for
    /// "not known"); the conversion and every check are the core's.
    pub fn amend_typed(
        &mut self,
        kind: RecordKind,
        record_id: Id,
        field: &str,
        typed: &str,
        reason: &str,
    ) -> Result<Id> {
        let field_type = crate::fields::spec(kind, field)?.ty;
        let value = crate::fields::choice_value(kind, field, field_type, typed)?;
        self.amend(kind, record_id, field, value, reason)
    }

    /// The fields of a record that can be corrected by typing, with their current values (as
    /// amended so far). Only for those allowed to amend it.
    pub fn amendable_fields(
        &self,
        kind: RecordKind,
        record_id: Id,
    ) -> Result<Vec<crate::fields::FieldView>> {
        let (body, author, _) = self.amendable_row(kind, record_id)?;
        if !self.user().role.is_safeguarding_lead() && author != self.user().id {
            return Err(Error::Forbidden);
        }
        let amendments = self.amendments_of(record_id)?;
        let current = with_body!(kind, T => current_json::<T>(&body, &amendments))?;
        Ok(crate::fields::typed_fields(kind)
            .map(|f| crate::fields::FieldView {
                field: f.name.to_owned(),
                label: f.label.to_owned(),
                field_type: f.ty,
                current: crate::fields::display_value(f.ty, &current[f.name]),
                options: crate::fields::options(kind, f.name),
            })
            .collect())
    }

    /// A record's stored body, its author and its pupil, for an amendment.
    fn amendable_row(&self, kind: RecordKind, record_id: Id) -> Result<(String, Id, Option<Id>)> {
        let t = kind.table();
        let sql = format!(
            "SELECT body, {}, {} FROM {} WHERE id = ?1",
            t.author, t.pupil, t.name
        );
        let row: Option<(String, String, Option<String>)> = self
            .conn()
            .query_row(&sql, [record_id.to_string()], |r| TryFrom::try_from(r))
            .optional()?;
        let (body, author, pupil) = row.ok_or(Error::NotFound { what: "record" })?;
        Ok((
            body,
            parse_id(&author)?,
            pupil.as_deref().map(parse_id).transpose()?,
        ))
    }
}

/// Which amendments to read.
#[derive(Clone, Copy)]
pub(crate) enum Amended<'a> {
    /// Of these records (by the record index).
    Records(&'a [&'a str]),
    /// Of one kind: one record of it, or all.
    Kind(RecordKind, Option<&'a str>),
}

/// The one reader of amendment rows: grouped by record id, oldest first, with who made each
/// (their display name with `names`, else their user id). `versioned` is false only for a store
/// not yet migrated to amendments' schema versions (every body was at version 1 then).
pub(crate) fn read_amendments(
    c: &rusqlite::Connection,
    which: Amended<'_>,
    names: Option<&Names>,
    versioned: bool,
) -> Result<std::collections::HashMap<String, Vec<AmendmentView>>> {
    let version = if versioned {
        "coalesce(schema_version, 1)"
    } else {
        "1"
    };
    let (filter, a, b) = match which {
        Amended::Records(ids) => (
            "record_id IN (SELECT value FROM json_each(?1)) AND ?2 IS NULL",
            Some(serde_json::to_string(ids)?),
            None,
        ),
        Amended::Kind(kind, Some(id)) => (
            "record_id = ?2 AND record_kind = ?1",
            Some(kind.as_str().to_owned()),
            Some(id),
        ),
        Amended::Kind(kind, None) => (
            "record_kind = ?1 AND ?2 IS NULL",
            Some(kind.as_str().to_owned()),
            None,
        ),
    };
    let mut out: std::collections::HashMap<String, Vec<AmendmentView>> = Default::default();
    if matches!(which, Amended::Records([])) {
        return Ok(out);
    }
    let mut stmt = c.prepare_cached(&format!(
        "SELECT record_id, id, at, by_user, field, value, reason, {version} FROM amendments WHERE {filter} ORDER BY seq"
    ))?;
    let mut rows = stmt.query(params![a, b])?;
    while let Some(r) = rows.next()? {
        let by: String = r.get(3)?;
        out.entry(r.get(0)?).or_default().push(AmendmentView {
            id: parse_id(&r.get::<_, String>(1)?)?,
            at: super::parse_time(&r.get::<_, String>(2)?)?,
            by: names.map_or(by.clone(), |n| n.user(&by)),
            field: r.get(4)?,
            value: serde_json::from_str(&r.get::<_, String>(5)?)?,
            reason: r.get(6)?,
            schema_version: r.get(7)?,
        });
    }
    Ok(out)
}

/// One amendment of a record, shown in its history.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AmendmentView {
    pub id: Id,
    pub at: DateTime<Utc>,
    pub by: String,
    pub field: String,
    #[ts(type = "unknown")]
    pub value: serde_json::Value,
    pub reason: String,
    /// The schema version of the record's body the field belongs to (1 before it was kept).
    #[serde(skip)]
    #[ts(skip)]
    pub schema_version: u32,
}

/// The amendments of one record, from a map loaded by `amendments_for`.
pub(crate) fn amended<'a>(
    map: &'a HashMap<String, Vec<AmendmentView>>,
    id: &str,
) -> &'a [AmendmentView] {
    map.get(id).map(Vec::as_slice).unwrap_or(&[])
}

impl Session {
    /// Amendments of the given records, grouped by record id, oldest first.
    pub(crate) fn amendments_for(
        &self,
        ids: &[String],
        names: &Names,
    ) -> Result<HashMap<String, Vec<AmendmentView>>> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        super::amend::read_amendments(
            self.conn(),
            super::amend::Amended::Records(&ids),
            Some(names),
            true,
        )
    }
}
