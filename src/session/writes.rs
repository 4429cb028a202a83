//! Use cases that add records. Each validates, checks the role, inserts the rows, indexes the
//! text for search and appends one audit event, all in one savepoint.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::search::index_body;
use super::{Ctx, Session, parse_id};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::{encode, encode_event};
use crate::records::*;
use crate::time::{fmt_date, fmt_utc, london_date};

pub(crate) fn pupil_exists(c: &Connection, id: Uuid) -> Result<()> {
    let found: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM pupils WHERE id = ?1)")?
        .query_row([id.to_string()], |r| r.get(0))?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound { what: "pupil" })
    }
}

fn active_user_exists(c: &Connection, id: Uuid) -> Result<()> {
    let found: bool = c.query_row(
        concat!(
            "SELECT EXISTS (SELECT 1 FROM users u WHERE id = ?1 AND NOT ",
            super::removed!(),
            ")"
        ),
        [id.to_string()],
        |r| r.get(0),
    )?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound { what: "user" })
    }
}

fn insert_follow_up(
    c: &Connection,
    ctx: &Ctx,
    pupil_id: Uuid,
    source_id: Option<Uuid>,
    owner: Uuid,
    due_on: NaiveDate,
    details: &FollowUpDetails,
) -> Result<Uuid> {
    let id = ctx.new_id();
    c.prepare_cached(
        "INSERT INTO follow_ups (id, device_id, created_at, created_by, pupil_id, source_id, owner_id, due_on, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id.to_string(),
        ctx.device,
        ctx.now_text(),
        ctx.user.to_string(),
        pupil_id.to_string(),
        source_id.map(|s| s.to_string()),
        owner.to_string(),
        fmt_date(due_on),
        encode(details)?
    ])?;
    index_body(c, ctx, id, Some(pupil_id), details)?;
    Ok(id)
}

impl Session {
    // ---- pupils and families ----

    pub fn add_pupil(&mut self, details: &PupilDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        details.validate(self.now())?;
        self.write(Action::PupilAdd, |c, ctx| {
            if let Some(upn) = &details.upn {
                let taken: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM pupils WHERE upn = ?1)", [upn], |r| r.get(0))?;
                if taken {
                    return Err(Error::Conflict { what: "a pupil with that UPN already exists" });
                }
            }
            let id = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO pupils (id, device_id, created_at, created_by, upn, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), details.upn, encode(details)?])?;
            super::derived::refresh(c, RecordKind::Pupil, id)?;
            index_body(c, ctx, id, Some(id), details)?;
            Ok((id, vec![id]))
        })
    }

    pub fn add_household(&mut self, details: &HouseholdDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        details.validate(self.now())?;
        self.write(Action::HouseholdAdd, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO households (id, device_id, created_at, created_by, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), encode(details)?],
            )?;
            Ok((id, vec![id]))
        })
    }

    /// Adds a person to a household: a pupil of this school (which links siblings) or someone
    /// else (an adult, a sibling at another school).
    pub fn add_household_member(&mut self, m: &NewHouseholdMember) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        m.details.validate(self.now())?;
        if m.pupil_id.is_none()
            && m.details
                .full_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            return Err(Error::invalid(
                "name",
                "is required for someone who is not a pupil here",
            ));
        }
        self.write(Action::HouseholdMemberAdd, |c, ctx| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM households WHERE id = ?1)",
                [m.household_id.to_string()],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(Error::NotFound { what: "household" });
            }
            if let Some(p) = m.pupil_id {
                pupil_exists(c, p)?;
                let already: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM household_members m WHERE household_id = ?1 AND pupil_id = ?2
                     AND NOT EXISTS (SELECT 1 FROM household_member_ends e WHERE e.member_id = m.id))",
                    params![m.household_id.to_string(), p.to_string()],
                    |r| r.get(0),
                )?;
                if already {
                    return Err(Error::Conflict { what: "that pupil is already in this household" });
                }
            }
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO household_members (id, device_id, created_at, created_by, household_id, pupil_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id.to_string(),
                    ctx.device,
                    ctx.now_text(),
                    ctx.user.to_string(),
                    m.household_id.to_string(),
                    m.pupil_id.map(|p| p.to_string()),
                    encode(&m.details)?
                ],
            )?;
            super::derived::refresh(c, RecordKind::HouseholdMember, id)?;
            index_body(c, ctx, id, m.pupil_id, &m.details)?;
            let mut targets = vec![id, m.household_id];
            targets.extend(m.pupil_id);
            Ok((id, targets))
        })
    }

    /// Records that someone has left a household (a status change: a new row, not an edit).
    pub fn end_household_member(&mut self, member_id: Id, reason: &str) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        required("reason", reason, MAX_TEXT)?;
        self.write(Action::HouseholdMemberEnd, |c, ctx| {
            let member: Option<(String, Option<String>)> = c
                .query_row(
                    "SELECT household_id, pupil_id FROM household_members WHERE id = ?1",
                    [member_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((household, pupil)) = member else {
                return Err(Error::NotFound { what: "household member" });
            };
            c.execute(
                "INSERT INTO household_member_ends (id, device_id, at, by_user, member_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), member_id.to_string(), encode_event(&MemberEnd { reason: reason.to_owned() })?],
            )
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::Conflict { what: "that person has already left the household" },
                other => other,
            })?;
            super::derived::refresh(c, RecordKind::HouseholdMember, member_id)?;
            // The household and the child who left, as an added member's event names them.
            let mut targets = vec![member_id, parse_id(&household)?];
            targets.extend(pupil.as_deref().map(parse_id).transpose()?);
            Ok(((), targets))
        })
    }

    // ---- concerns ----

    /// Records a concern. Any member of staff may.
    pub fn record_concern(&mut self, n: &NewConcern) -> Result<Id> {
        check_concern(n, self.now())?;
        self.write(Action::ConcernRecord, |c, ctx| {
            let id = ctx.new_id();
            let targets = insert_concern(c, ctx, id, n)?;
            Ok((id, targets))
        })
    }

    /// Attaches a file (a scanned form) to a record, stored encrypted inside the database.
    pub fn attach_file(
        &mut self,
        record_id: Id,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Id> {
        check_attachment(file_name, media_type, bytes)?;
        let (author, _pupil) = self.record_author(record_id)?;
        // Staff may attach only to their own records; the safeguarding team to any.
        if !self.user.role.is_safeguarding_lead() && author != self.user.id {
            return Err(Error::Forbidden);
        }
        self.write(Action::AttachmentAdd, |c, ctx| {
            let id = ctx.new_id();
            insert_attachment(c, ctx, id, record_id, file_name, media_type, bytes)?;
            Ok((id, vec![id, record_id]))
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

    // ---- Operation Encompass ----

    /// Records a notification for one or more children; creates a follow-up for each, owned by
    /// the person recording it (the Key Adult), due before the start of the next school day.
    pub fn record_encompass(&mut self, n: &NewEncompass) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        let now = self.now();
        n.details.validate(now)?;
        if n.children.is_empty() {
            return Err(Error::invalid("children", "name at least one child"));
        }
        if n.children.len() > 20 {
            return Err(Error::invalid("children", "more than 20"));
        }
        for (i, ch) in n.children.iter().enumerate() {
            ch.validate(now)?;
            if n.children[..i].iter().any(|o| o.pupil_id == ch.pupil_id) {
                return Err(Error::invalid("children", "a child is listed twice"));
            }
        }
        let calendar = self.calendar()?;
        let respond_by = calendar
            .next_school_day_start(n.details.received_at)
            .ok_or(Error::invalid(
                "calendar",
                "has no school day in the next three years",
            ))?;
        self.write(Action::EncompassRecord, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO encompass_notifications (id, device_id, recorded_at, recorded_by, received_at, respond_by, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), fmt_utc(n.details.received_at), fmt_utc(respond_by), encode(&n.details)?],
            )?;
            index_body(c, ctx, id, None, &n.details)?;
            let mut targets = vec![id];
            for ch in &n.children {
                pupil_exists(c, ch.pupil_id)?;
                let child_row = ctx.new_id();
                c.execute(
                    "INSERT INTO encompass_children (id, notification_id, pupil_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![child_row.to_string(), id.to_string(), ch.pupil_id.to_string(), encode(ch)?],
                )?;
                index_body(c, ctx, child_row, Some(ch.pupil_id), ch)?;
                let action = FollowUpDetails {
                    action: "Operation Encompass: see the child before the start of the school day, give the agreed support, consider siblings (here and at other schools) and record what was done.".into(),
                };
                insert_follow_up(c, ctx, ch.pupil_id, Some(id), ctx.user, london_date(respond_by), &action)?;
                targets.push(ch.pupil_id);
            }
            Ok((id, targets))
        })
    }

    /// Adds a child to a notification (a sibling the police did not name), with their own
    /// follow-up due before the start of the next school day after now.
    pub fn add_encompass_child(
        &mut self,
        notification_id: Id,
        child: &EncompassChild,
    ) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        child.validate(self.now())?;
        let due = self
            .calendar()?
            .next_school_day_start(self.now())
            .ok_or(Error::invalid(
                "calendar",
                "has no school day in the next three years",
            ))?;
        self.write(Action::EncompassAddChild, |c, ctx| {
            pupil_exists(c, child.pupil_id)?;
            let exists: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM encompass_notifications WHERE id = ?1)", [notification_id.to_string()], |r| r.get(0))?;
            if !exists {
                return Err(Error::NotFound { what: "notification" });
            }
            let row = ctx.new_id();
            c.execute(
                "INSERT INTO encompass_children (id, notification_id, pupil_id, body) VALUES (?1, ?2, ?3, ?4)",
                params![row.to_string(), notification_id.to_string(), child.pupil_id.to_string(), encode(child)?],
            )
            .map_err(|e| match Error::from(e) {
                Error::Conflict { .. } => Error::Conflict { what: "that child is already on the notification" },
                other => other,
            })?;
            index_body(c, ctx, row, Some(child.pupil_id), child)?;
            let action = FollowUpDetails { action: "Operation Encompass (sibling): check in with the child before the start of the school day and record what was done.".into() };
            let f = insert_follow_up(c, ctx, child.pupil_id, Some(notification_id), ctx.user, london_date(due), &action)?;
            Ok((row, vec![row, notification_id, child.pupil_id, f]))
        })
    }

    // ---- the child's voice ----

    pub fn record_voice(&mut self, n: &NewVoice) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        n.details.validate(self.now())?;
        self.write(Action::VoiceRecord, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            let id = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO voice_entries (id, device_id, recorded_at, recorded_by, pupil_id, spoken_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), n.pupil_id.to_string(), fmt_utc(n.details.spoken_at), encode(&n.details)?])?;
            super::derived::refresh(c, RecordKind::Voice, id)?;
            let d = &n.details;
            index_body(c, ctx, id, Some(n.pupil_id), d)?;
            Ok((id, vec![id, n.pupil_id]))
        })
    }

    // ---- follow-ups ----

    pub fn add_follow_up(&mut self, n: &NewFollowUp) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        n.details.validate(self.now())?;
        if n.due_on < self.now().date_naive() - chrono::Duration::days(366) {
            return Err(Error::invalid("due date", "is more than a year ago"));
        }
        self.write(Action::FollowUpAdd, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            let owner = n.owner_id.unwrap_or(ctx.user);
            active_user_exists(c, owner)?;
            let id =
                insert_follow_up(c, ctx, n.pupil_id, n.source_id, owner, n.due_on, &n.details)?;
            Ok((id, vec![id, n.pupil_id]))
        })
    }

    fn follow_up_state(&self, id: Id) -> Result<(Uuid, Uuid, bool)> {
        let row: Option<(String, String, bool)> = self
            .conn()
            .query_row(
                "SELECT f.pupil_id,
                        coalesce((SELECT owner_id FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'reassigned' ORDER BY seq DESC LIMIT 1), f.owner_id),
                        EXISTS (SELECT 1 FROM follow_up_events e WHERE e.follow_up_id = f.id AND e.event = 'completed')
                 FROM follow_ups f WHERE f.id = ?1",
                [id.to_string()],
                |r| TryFrom::try_from(r),
            )
            .optional()?;
        let (p, o, done) = row.ok_or(Error::NotFound { what: "follow-up" })?;
        Ok((parse_id(&p)?, parse_id(&o)?, done))
    }

    /// Completes a follow-up with its outcome: the safeguarding team, or the person it is assigned to.
    pub fn complete_follow_up(&mut self, id: Id, outcome: &str) -> Result<()> {
        required("outcome", outcome, MAX_TEXT)?;
        let (pupil, owner, done) = self.follow_up_state(id)?;
        if !self.user.role.is_safeguarding_lead() && owner != self.user.id {
            return Err(Error::Forbidden);
        }
        if done {
            return Err(Error::Conflict {
                what: "that follow-up is already complete",
            });
        }
        self.write(Action::FollowUpComplete, |c, ctx| {
            let ev = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO follow_up_events (id, device_id, at, by_user, follow_up_id, event, owner_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'completed', NULL, ?6)",
            )?
            .execute(params![ev.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), encode_event(&FollowUpOutcome { outcome: outcome.to_owned() })?])?;
            super::search::index_outcome(c, ctx, id, pupil, outcome)?;
            Ok(((), vec![id, pupil]))
        })
    }

    pub fn reassign_follow_up(&mut self, id: Id, owner_id: Id) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        let (pupil, _, done) = self.follow_up_state(id)?;
        if done {
            return Err(Error::Conflict {
                what: "that follow-up is already complete",
            });
        }
        self.write(Action::FollowUpReassign, |c, ctx| {
            active_user_exists(c, owner_id)?;
            c.execute(
                "INSERT INTO follow_up_events (id, device_id, at, by_user, follow_up_id, event, owner_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'reassigned', ?6, ?7)",
                params![ctx.new_id().to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), owner_id.to_string(), encode_event(&Reassigned {})?],
            )?;
            Ok(((), vec![id, pupil, owner_id]))
        })
    }

    // ---- referrals ----

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

    // ---- escalations ----

    fn stage_due(&self, stage_no: usize, raised_on: NaiveDate) -> Result<(String, NaiveDate)> {
        let procedure = self.resolution_procedure()?;
        let stage = procedure.stages.get(stage_no - 1).ok_or(Error::invalid(
            "stage",
            "the local procedure has no further stage",
        ))?;
        Ok((
            stage.name.clone(),
            self.calendar()?
                .add_working_days(raised_on, stage.working_days as i64),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_stage(
        c: &Connection,
        ctx: &Ctx,
        escalation_id: Uuid,
        stage_no: usize,
        name: &str,
        due: NaiveDate,
        s: &StageDetails,
        pupil: Uuid,
    ) -> Result<Uuid> {
        let id = ctx.new_id();
        let body = StageDetails {
            stage_name: name.to_owned(),
            ..s.clone()
        };
        c.execute(
            "INSERT INTO escalation_stages (id, device_id, recorded_at, recorded_by, escalation_id, stage_no, raised_on, due_on, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), escalation_id.to_string(), stage_no as i64, fmt_date(s.raised_on), fmt_date(due), encode(&body)?],
        )?;
        index_body(c, ctx, id, Some(pupil), &body)?;
        Ok(id)
    }

    /// Opens a professional disagreement under the local resolution procedure, at stage 1.
    pub fn open_escalation(&mut self, n: &NewEscalation) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        let now = self.now();
        n.details.validate(now)?;
        n.first_stage.validate(now)?;
        let (name, due) = self.stage_due(1, n.first_stage.raised_on)?;
        self.write(Action::EscalationOpen, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            if let Some(r) = n.referral_id {
                let ok: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM referrals WHERE id = ?1 AND pupil_id = ?2)",
                    params![r.to_string(), n.pupil_id.to_string()],
                    |row| row.get(0),
                )?;
                if !ok {
                    return Err(Error::NotFound { what: "referral for this pupil" });
                }
            }
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO escalations (id, device_id, opened_at, opened_by, pupil_id, referral_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), n.pupil_id.to_string(), n.referral_id.map(|r| r.to_string()), encode(&n.details)?],
            )?;
            index_body(c, ctx, id, Some(n.pupil_id), &n.details)?;
            let stage = Self::insert_stage(c, ctx, id, 1, &name, due, &n.first_stage, n.pupil_id)?;
            Ok((id, vec![id, stage, n.pupil_id]))
        })
    }

    fn escalation_state(&self, id: Id) -> Result<(Uuid, usize, Uuid, bool)> {
        let row: Option<(String, i64, String, bool)> = self
            .conn()
            .query_row(
                "SELECT e.pupil_id, s.stage_no, s.id,
                        EXISTS (SELECT 1 FROM escalation_events v WHERE v.escalation_id = e.id AND v.event = 'resolved')
                 FROM escalations e JOIN escalation_stages s ON s.escalation_id = e.id
                 WHERE e.id = ?1 ORDER BY s.stage_no DESC LIMIT 1",
                [id.to_string()],
                |r| TryFrom::try_from(r),
            )
            .optional()?;
        let (p, n, s, resolved) = row.ok_or(Error::NotFound { what: "escalation" })?;
        Ok((parse_id(&p)?, n as usize, parse_id(&s)?, resolved))
    }

    /// Escalates to the next stage of the local procedure.
    pub fn advance_escalation(&mut self, id: Id, s: &StageDetails) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        s.validate(self.now())?;
        let (pupil, current, _, resolved) = self.escalation_state(id)?;
        if resolved {
            return Err(Error::Conflict {
                what: "that escalation is resolved",
            });
        }
        let (name, due) = self.stage_due(current + 1, s.raised_on)?;
        self.write(Action::EscalationAdvance, |c, ctx| {
            let stage = Self::insert_stage(c, ctx, id, current + 1, &name, due, s, pupil)?;
            Ok((stage, vec![id, stage, pupil]))
        })
    }

    fn escalation_event(
        &mut self,
        id: Id,
        event: &'static str,
        action: Action,
        text: &str,
        must_be_open: bool,
    ) -> Result<Id> {
        let body = EscalationEventDetails {
            text: text.to_owned(),
        };
        body.validate(self.now())?;
        let (pupil, _, stage, resolved) = self.escalation_state(id)?;
        if must_be_open && resolved {
            return Err(Error::Conflict {
                what: "that escalation is resolved",
            });
        }
        self.write(action, |c, ctx| {
            let ev = ctx.new_id();
            c.execute(
                "INSERT INTO escalation_events (id, device_id, at, by_user, escalation_id, stage_id, event, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![ev.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), id.to_string(), stage.to_string(), event, encode(&body)?],
            )?;
            index_body(c, ctx, ev, Some(pupil), &body)?;
            Ok((ev, vec![ev, id, pupil]))
        })
    }

    /// Records the other agency's response at the current stage.
    pub fn record_escalation_response(&mut self, id: Id, response: &str) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        self.escalation_event(id, "response", Action::EscalationResponse, response, true)
    }

    /// Closes an escalation with its outcome.
    pub fn resolve_escalation(&mut self, id: Id, outcome: &str) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        self.escalation_event(id, "resolved", Action::EscalationResolved, outcome, true)
    }

    /// The head's review comment (the DSL may add one too). Allowed on resolved escalations.
    pub fn add_review_comment(&mut self, id: Id, comment: &str) -> Result<Id> {
        self.require(Role::reviews_escalations)?;
        self.escalation_event(
            id,
            "review_comment",
            Action::EscalationReviewComment,
            comment,
            false,
        )
    }
}

/// What a concern must be before it is written (also checked on a staff member's laptop before
/// it goes into the inbox, and again when the team files it).
pub(crate) fn check_concern(n: &NewConcern, now: DateTime<Utc>) -> Result<()> {
    n.details.validate(now)?;
    if n.other_children.len() > 50 {
        return Err(Error::invalid("other children", "more than 50"));
    }
    for o in &n.other_children {
        o.validate(now)?;
        if o.pupil_id == Some(n.pupil_id) {
            return Err(Error::invalid(
                "other children",
                "the concern's own pupil is listed as another child",
            ));
        }
    }
    Ok(())
}

/// Writes a concern as `id`, by `ctx.user` at `ctx.now`; returns the ids it concerns.
pub(crate) fn insert_concern(
    c: &Connection,
    ctx: &Ctx,
    id: Uuid,
    n: &NewConcern,
) -> Result<Vec<Uuid>> {
    pupil_exists(c, n.pupil_id)?;
    c.prepare_cached(
        "INSERT INTO concerns (id, device_id, recorded_at, recorded_by, pupil_id, observed_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id.to_string(),
        ctx.device,
        ctx.now_text(),
        ctx.user.to_string(),
        n.pupil_id.to_string(),
        fmt_utc(n.details.observed_at),
        encode(&n.details)?
    ])?;
    super::derived::refresh(c, RecordKind::Concern, id)?;
    let mut targets = vec![id, n.pupil_id];
    for o in &n.other_children {
        if let Some(p) = o.pupil_id {
            pupil_exists(c, p)?;
            targets.push(p);
        }
        c.prepare_cached("INSERT INTO concern_children (concern_id, pupil_id, name, role) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id.to_string(), o.pupil_id.map(|p| p.to_string()), o.name, o.role])?;
    }
    index_body(c, ctx, id, Some(n.pupil_id), &n.details)?;
    Ok(targets)
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
