//! Today's dashboard: notifications awaiting action, follow-ups overdue and due soon, referrals
//! awaiting a decision, escalation stages due, recent concerns; read from the open-item tables
//! kept on write, amendments applied. The prompts beside it are in `prompts`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use super::follow_ups::FollowUpItem;
use super::{Session, parse_id, parse_time};
use crate::error::Result;
use crate::kinds::current;
use crate::records::*;
use crate::time::{london_date, parse_date};

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct NotificationItem {
    pub id: Id,
    pub received_at: DateTime<Utc>,
    pub respond_by: DateTime<Utc>,
    pub overdue: bool,
    pub pupils: Vec<(Id, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReferralItem {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub agency: Agency,
    pub made_at: DateTime<Utc>,
    pub decision_due_on: NaiveDate,
    pub working_days_waiting: i64,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EscalationItem {
    pub escalation_id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub stage_no: u32,
    pub stage_name: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub responded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ConcernItem {
    pub id: Id,
    pub pupil_id: Id,
    pub pupil_name: String,
    pub observed_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub categories: Vec<Category>,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub notifications_awaiting: Vec<NotificationItem>,
    pub follow_ups_overdue: Vec<FollowUpItem>,
    pub follow_ups_due: Vec<FollowUpItem>,
    pub referrals_awaiting_decision: Vec<ReferralItem>,
    pub escalation_stages_due: Vec<EscalationItem>,
    pub recent_concerns: Vec<ConcernItem>,
}

impl Session {
    /// What needs doing: notifications awaiting action, follow-ups overdue and due in the next
    /// two working days, referrals awaiting a decision, escalation stages due, recent concerns.
    /// Staff see only follow-ups assigned to them and concerns they recorded.
    pub fn dashboard(&self) -> Result<Dashboard> {
        self.reading(|| self.dashboard_read())
    }

    fn dashboard_read(&self) -> Result<Dashboard> {
        let now = self.now();
        let today = london_date(now);
        let cal = self.calendar()?;
        let horizon = cal.add_working_days(today, 2);
        let names = self.names()?;
        let lead = self.user().role.reads_everything();
        let me = self.user().id.to_string();
        let mut pupil_ids: BTreeSet<Uuid> = BTreeSet::new();

        let mut notif_rows: Vec<(String, String, String)> = Vec::new();
        let mut notif_children: HashMap<String, Vec<Uuid>> = HashMap::new();
        if lead {
            let mut stmt = self.conn().prepare_cached(
                "SELECT DISTINCT n.id, n.received_at, n.respond_by FROM open_follow_ups o
                 JOIN follow_ups f ON f.id = o.follow_up_id
                 JOIN encompass_notifications n ON n.id = f.source_id ORDER BY n.respond_by",
            )?;
            notif_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let mut kids = self.conn().prepare_cached(
                "SELECT pupil_id FROM encompass_children WHERE notification_id = ?1 ORDER BY seq",
            )?;
            for (id, _, _) in &notif_rows {
                let ps = kids
                    .query_map([id], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let ps: Vec<Uuid> = ps.iter().map(|s| parse_id(s)).collect::<Result<_>>()?;
                pupil_ids.extend(ps.iter().copied());
                notif_children.insert(id.clone(), ps);
            }
        }
        let mut referral_rows: Vec<(String, String, String, String, String)> = Vec::new();
        let mut stage_rows: Vec<(String, String, i64, String, String, bool, String)> = Vec::new();
        if lead {
            let mut stmt = self.conn().prepare_cached(
                // CROSS JOIN: the few open items first (the planner, without statistics, would
                // scan every referral or stage and look each up in the small table).
                "SELECT r.id, r.pupil_id, r.made_at, o.decision_due_on, r.body FROM open_referrals o
                 CROSS JOIN referrals r ON r.id = o.referral_id ORDER BY o.decision_due_on",
            )?;
            referral_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = self.conn().prepare_cached(
                "SELECT e.id, e.pupil_id, s.stage_no, s.due_on, s.body,
                        EXISTS (SELECT 1 FROM escalation_events v WHERE v.stage_id = s.id AND v.event = 'response'),
                        s.id
                 FROM open_escalations o CROSS JOIN escalations e ON e.id = o.escalation_id
                 CROSS JOIN escalation_stages s ON s.escalation_id = e.id
                 AND s.stage_no = (SELECT max(stage_no) FROM escalation_stages x WHERE x.escalation_id = e.id)
                 ORDER BY s.due_on",
            )?;
            stage_rows = stmt
                .query_map([], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
        }
        let concern_rows: Vec<(String, String, String, String, String)> = {
            let since = crate::time::fmt_utc(now - Duration::days(7));
            let mut stmt = self.conn().prepare_cached(
                "SELECT id, pupil_id, recorded_at, recorded_by, body FROM concerns
                 WHERE recorded_at >= ?1 AND (?2 IS NULL OR recorded_by = ?2) ORDER BY recorded_at DESC LIMIT 30",
            )?;
            stmt.query_map(params![since, (!lead).then_some(me.as_str())], |r| {
                TryFrom::try_from(r)
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        for p in referral_rows
            .iter()
            .map(|r| &r.1)
            .chain(stage_rows.iter().map(|r| &r.1))
            .chain(concern_rows.iter().map(|r| &r.1))
        {
            pupil_ids.insert(parse_id(p)?);
        }
        let ids: Vec<Uuid> = pupil_ids.into_iter().collect();
        let pupil_names = self.pupil_names(&ids)?;
        let pname = |id: &Uuid| pupil_names.get(id).cloned().unwrap_or_default();
        let record_ids: Vec<String> = referral_rows
            .iter()
            .map(|r| r.0.clone())
            .chain(stage_rows.iter().map(|r| r.6.clone()))
            .chain(concern_rows.iter().map(|r| r.0.clone()))
            .collect();
        let amendments = self.amendments_for(&record_ids, &names)?;
        let amended = |id: &str| amendments.get(id).map(Vec::as_slice).unwrap_or(&[]);

        // Follow-ups due within two working days, split into overdue and due (as amended).
        let (follow_ups_overdue, follow_ups_due): (Vec<_>, Vec<_>) = self
            .open_follow_up_items(Some(horizon))?
            .into_iter()
            .partition(|f| f.due_on < today);
        let notifications_awaiting = notif_rows
            .into_iter()
            .map(|(id, received, respond)| {
                let respond_by = parse_time(&respond)?;
                let pupils = notif_children
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p, pname(&p)))
                    .collect();
                Ok(NotificationItem {
                    id: parse_id(&id)?,
                    received_at: parse_time(&received)?,
                    respond_by,
                    overdue: now > respond_by,
                    pupils,
                })
            })
            .collect::<Result<_>>()?;
        let referrals_awaiting_decision = referral_rows
            .into_iter()
            .map(|(id, pupil, made, due, body)| {
                let pupil = parse_id(&pupil)?;
                let made_at = parse_time(&made)?;
                let due = parse_date(&due)?;
                let d: ReferralDetails = current(&body, amended(&id))?;
                Ok(ReferralItem {
                    id: parse_id(&id)?,
                    pupil_id: pupil,
                    pupil_name: pname(&pupil),
                    agency: d.agency,
                    made_at,
                    decision_due_on: due,
                    working_days_waiting: cal.working_days_between(london_date(made_at), today),
                    overdue: today > due,
                })
            })
            .collect::<Result<_>>()?;
        let stage_horizon = cal.add_working_days(today, 1);
        let escalation_stages_due = stage_rows
            .into_iter()
            .filter_map(|(id, pupil, no, due, body, responded, stage_id)| {
                let due = match parse_date(&due) {
                    Ok(d) => d,
                    Err(e) => return Some(Err(e)),
                };
                if due > stage_horizon && !responded {
                    return None;
                }
                Some((|| {
                    let stage_name = current::<StageDetails>(&body, amended(&stage_id))?.stage_name;
                    let pupil = parse_id(&pupil)?;
                    Ok(EscalationItem {
                        escalation_id: parse_id(&id)?,
                        pupil_id: pupil,
                        pupil_name: pname(&pupil),
                        stage_no: no as u32,
                        stage_name,
                        due_on: due,
                        overdue: today > due && !responded,
                        responded,
                    })
                })())
            })
            .collect::<Result<_>>()?;
        let recent_concerns = concern_rows
            .into_iter()
            .map(|(id, pupil, recorded, by, body)| {
                let pupil = parse_id(&pupil)?;
                let d: ConcernDetails = current(&body, amended(&id))?;
                Ok(ConcernItem {
                    id: parse_id(&id)?,
                    pupil_id: pupil,
                    pupil_name: pname(&pupil),
                    observed_at: d.observed_at,
                    recorded_at: parse_time(&recorded)?,
                    categories: d.categories,
                    author: names.user(&by),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Dashboard {
            today,
            notifications_awaiting,
            follow_ups_overdue,
            follow_ups_due,
            referrals_awaiting_decision,
            escalation_stages_due,
            recent_concerns,
        })
    }
}
