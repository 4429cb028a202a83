//! Amendments: the only way to correct a saved record. One field at a time, with a reason; the
//! record's current view is its body with its amendments applied in order.

use rusqlite::{OptionalExtension, params};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::queries::{AmendmentView, apply_amendments};
use super::writes::index_text;
use super::{Session, parse_id};
use crate::error::{Error, Result};
use crate::records::*;

/// Parses the amended body as the record's type and validates it as on creation.
fn check<T: DeserializeOwned + Validate>(
    body: &str,
    amendments: &[AmendmentView],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let v: T = apply_amendments(body, amendments)
        .map_err(|_| Error::invalid("value", "does not fit that field"))?;
    v.validate(now)
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
        if !kind.amendable_fields().contains(&field) {
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
        let (table, author_col) = kind.table();
        let pupil_col = match kind {
            RecordKind::Pupil => "id",
            RecordKind::Concern
            | RecordKind::Voice
            | RecordKind::FollowUp
            | RecordKind::Referral
            | RecordKind::Escalation
            | RecordKind::EncompassChild => "pupil_id",
            _ => "NULL",
        };
        let author_col = if kind == RecordKind::EncompassChild {
            "(SELECT recorded_by FROM encompass_notifications n WHERE n.id = notification_id)"
        } else {
            author_col
        };
        let sql = format!("SELECT body, {author_col}, {pupil_col} FROM {table} WHERE id = ?1");
        let row: Option<(String, String, Option<String>)> = self
            .conn()
            .query_row(&sql, [record_id.to_string()], |r| TryFrom::try_from(r))
            .optional()?;
        let (body, author, pupil) = row.ok_or(Error::NotFound { what: "record" })?;
        let author = parse_id(&author)?;
        let role = self.user().role;
        if !role.is_safeguarding_lead() && author != self.user().id {
            return Err(Error::Forbidden);
        }
        let mut amendments = self.amendments_of(record_id)?;
        amendments.push(AmendmentView {
            id: Uuid::nil(),
            at: self.now(),
            by: String::new(),
            field: field.to_owned(),
            value: value.clone(),
            reason: reason.to_owned(),
        });
        let now = self.now();
        match kind {
            RecordKind::Pupil => check::<PupilDetails>(&body, &amendments, now)?,
            RecordKind::Household => check::<HouseholdDetails>(&body, &amendments, now)?,
            RecordKind::HouseholdMember => check::<MemberDetails>(&body, &amendments, now)?,
            RecordKind::Concern => check::<ConcernDetails>(&body, &amendments, now)?,
            RecordKind::Encompass => check::<EncompassDetails>(&body, &amendments, now)?,
            RecordKind::EncompassChild => check::<EncompassChild>(&body, &amendments, now)?,
            RecordKind::Voice => check::<VoiceDetails>(&body, &amendments, now)?,
            RecordKind::FollowUp => check::<FollowUpDetails>(&body, &amendments, now)?,
            RecordKind::Referral => check::<ReferralDetails>(&body, &amendments, now)?,
            RecordKind::Decision => check::<DecisionDetails>(&body, &amendments, now)?,
            RecordKind::Escalation => check::<EscalationDetails>(&body, &amendments, now)?,
            RecordKind::EscalationStage => check::<StageDetails>(&body, &amendments, now)?,
            RecordKind::EscalationEvent => {
                let v: serde_json::Value = apply_amendments(&body, &amendments)?;
                required("text", v["text"].as_str().unwrap_or(""), MAX_TEXT)?;
            }
        }
        let pupil = pupil.as_deref().map(parse_id).transpose()?;
        self.write("record.amend", |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO amendments (id, device_id, at, by_user, record_kind, record_id, field, value, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), kind.as_str(), record_id.to_string(), field, encoded, reason],
            )?;
            let text = value.as_str().map(str::to_owned);
            index_text(c, ctx, kind, record_id, pupil, &[text.as_deref(), Some(reason)])?;
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
        let (_, _, field_type) = crate::fields::spec(kind, field)?;
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
        let (table, author_col) = kind.table();
        let author_col = if kind == RecordKind::EncompassChild {
            "(SELECT recorded_by FROM encompass_notifications n WHERE n.id = notification_id)"
        } else {
            author_col
        };
        let sql = format!("SELECT body, {author_col} FROM {table} WHERE id = ?1");
        let row: Option<(String, String)> = self
            .conn()
            .query_row(&sql, [record_id.to_string()], |r| TryFrom::try_from(r))
            .optional()?;
        let (body, author) = row.ok_or(Error::NotFound { what: "record" })?;
        if !self.user().role.is_safeguarding_lead() && parse_id(&author)? != self.user().id {
            return Err(Error::Forbidden);
        }
        let current: serde_json::Value = apply_amendments(&body, &self.amendments_of(record_id)?)?;
        Ok(crate::fields::typed_fields(kind)
            .iter()
            .map(|(field, label, field_type)| crate::fields::FieldView {
                field: (*field).to_owned(),
                label: (*label).to_owned(),
                field_type: *field_type,
                current: crate::fields::display_value(*field_type, &current[*field]),
                options: crate::fields::options(kind, field),
            })
            .collect())
    }
}
