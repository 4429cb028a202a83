//! Referrals to children's social care (or another agency) and the decision that comes back,
//! due within the configured working days.

use rusqlite::{OptionalExtension, params};

use super::pupils::pupil_exists;
use super::search::index_body;
use super::{Session, parse_id};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::encode;
use crate::records::*;
use crate::time::{fmt_date, fmt_utc, london_date};

impl Session {
    pub fn record_referral(&mut self, n: &NewReferral) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        n.details.validate(self.now())?;
        let days = self.referral_decision_working_days()?;
        let due = self
            .calendar()?
            .add_working_days(london_date(n.details.made_at), days as i64);
        self.write(Action::ReferralRecord, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            let id = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO referrals (id, device_id, recorded_at, recorded_by, pupil_id, made_at, decision_due_on, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), n.pupil_id.to_string(), fmt_utc(n.details.made_at), fmt_date(due), encode(&n.details)?])?;
            super::derived::refresh(c, RecordKind::Referral, id)?;
            let d = &n.details;
            index_body(c, ctx, id, Some(n.pupil_id), d)?;
            Ok((id, vec![id, n.pupil_id]))
        })
    }

    /// Records the decision the agency sent back. A referral has at most one decision; a
    /// correction is an amendment.
    pub fn record_decision(&mut self, referral_id: Id, d: &DecisionDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        d.validate(self.now())?;
        self.write(Action::ReferralDecision, |c, ctx| {
            let row: Option<(String, String)> = c
                .query_row("SELECT pupil_id, made_at FROM referrals WHERE id = ?1", [referral_id.to_string()], |r| TryFrom::try_from(r))
                .optional()?;
            let (pupil, made_at) = row.ok_or(Error::NotFound { what: "referral" })?;
            if d.received_on < london_date(super::parse_time(&made_at)?) {
                return Err(Error::invalid("received on", "is before the referral was made"));
            }
            let has: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM referral_decisions WHERE referral_id = ?1)",
                [referral_id.to_string()],
                |r| r.get(0),
            )?;
            if has {
                return Err(Error::Conflict { what: "that referral already has a decision (amend it instead)" });
            }
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO referral_decisions (id, device_id, recorded_at, recorded_by, referral_id, received_on, outcome, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), referral_id.to_string(), fmt_date(d.received_on), d.outcome.as_str(), encode(d)?],
            )?;
            // The referral's facts carry its decision (Today's prompts read it there).
            super::derived::refresh(c, RecordKind::Referral, referral_id)?;
            let pupil = parse_id(&pupil)?;
            index_body(c, ctx, id, Some(pupil), d)?;
            Ok((id, vec![id, referral_id, pupil]))
        })
    }
}
