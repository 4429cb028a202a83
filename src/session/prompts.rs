//! Loads the snapshot the practice prompts read, evaluates them, and records dismissals.

use std::collections::{BTreeSet, HashMap};

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::queries::amended;
use super::{Session, keys, parse_id, parse_time};
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::kinds::current;
use crate::prompts::*;
use crate::records::*;
use crate::time::{fmt_utc, parse_date};

/// Which prompts Today shows: a rule, a year group, a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PromptQuery {
    pub rule: Option<PromptRule>,
    pub year_group: Option<String>,
    pub offset: u32,
    /// 0 for the default page (30); at most 200.
    pub limit: u32,
}

/// How many prompts one rule has (in the chosen year group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PromptGroup {
    pub rule: PromptRule,
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PromptPage {
    /// Prompts matching the query (every page).
    pub total: u32,
    /// Open prompts in the whole school, before any filter.
    pub all: u32,
    pub offset: u32,
    /// Counts by rule, most urgent first, in the chosen year group.
    pub groups: Vec<PromptGroup>,
    /// The year groups of the children the open prompts name, in school order.
    pub year_groups: Vec<String>,
    pub items: Vec<Prompt>,
    /// Records this version could not read: the prompts may miss what they hold (Today says so).
    pub unreadable: u32,
}

/// How long the open prompts, once worked out, are shown again without working them out anew
/// while nothing is written: a prompt that falls due with the clock (a notification's deadline
/// passing) shows up to this late; every write shows its effect at once.
const PROMPTS_KEPT_SECONDS: i64 = 60;

/// The open prompts, the year group of each pupil they name, and how many records could not
/// be read when they were worked out.
pub(super) struct OpenPrompts {
    prompts: Vec<Prompt>,
    years: HashMap<Id, String>,
    unreadable: u32,
}

/// What the database had been through when the prompts were worked out: rows changed by this
/// connection (every write, whether it committed or not) and commits by any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WriteStamp {
    changes: u64,
    data_version: i64,
}

impl WriteStamp {
    fn of(c: &rusqlite::Connection) -> Result<WriteStamp> {
        Ok(WriteStamp {
            changes: c.total_changes(),
            data_version: c.query_row("PRAGMA data_version", [], |r| r.get(0))?,
        })
    }
}

/// The open prompts as last worked out (`Session::prompt_cache`).
pub(super) struct PromptCache {
    stamp: WriteStamp,
    at: chrono::DateTime<chrono::Utc>,
    open: std::sync::Arc<OpenPrompts>,
}

/// School order for year groups: Nursery, Reception, then Year 1, Year 2 … Year 13.
fn year_order(y: &str) -> (u32, String) {
    let lower = y.to_lowercase();
    let rank = if lower.starts_with("nursery") {
        0
    } else if lower.starts_with("reception") {
        1
    } else {
        y.split(|c: char| !c.is_ascii_digit())
            .find(|d| !d.is_empty())
            .and_then(|d| d.parse::<u32>().ok())
            .map_or(100, |n| n + 2)
    };
    (rank, lower)
}

/// A (pupil, time) query over a JSON list of pupils, as a map.
fn latest_per_pupil(
    c: &rusqlite::Connection,
    sql: &str,
    pupils: &str,
) -> Result<HashMap<Id, chrono::DateTime<chrono::Utc>>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([pupils])?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        out.insert(
            parse_id(&r.get::<_, String>(0)?)?,
            parse_time(&r.get::<_, String>(1)?)?,
        );
    }
    Ok(out)
}

fn id_list(ids: &BTreeSet<Uuid>) -> String {
    serde_json::to_string(&ids.iter().map(|i| i.to_string()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

impl Session {
    pub fn prompt_settings(&self) -> Result<PromptSettings> {
        Ok(self.setting(keys::PROMPTS)?.unwrap_or_default())
    }

    pub fn set_prompt_settings(&mut self, s: &PromptSettings) -> Result<()> {
        s.validate()?;
        self.require(Role::is_safeguarding_lead)?;
        self.write(Action::SettingsChange, |c, ctx| {
            super::put_setting(c, ctx, keys::PROMPTS, s)?;
            Ok(((), vec![]))
        })
    }

    /// The open prompts, most urgent first, without the ones dismissed for the same records.
    /// The safeguarding team and the head see them; staff do not.
    pub fn prompts(&self) -> Result<Vec<Prompt>> {
        Ok(self.open_prompts()?.prompts.clone())
    }

    /// The open prompts and the year group of every pupil they name: worked out again when
    /// anything was written since (by this connection or another) or a minute has passed, else
    /// as last worked out (Today's pages and filters, a pupil's page and a dismissal read them).
    fn open_prompts(&self) -> Result<std::sync::Arc<OpenPrompts>> {
        self.require(Role::reads_everything)?;
        let now = self.now();
        let stamp = WriteStamp::of(self.conn())?;
        if let Some(cached) = self.prompt_cache.borrow().as_ref()
            && cached.stamp == stamp
            && cached.at <= now
            && now - cached.at < chrono::Duration::seconds(PROMPTS_KEPT_SECONDS)
        {
            return Ok(cached.open.clone());
        }
        let open = std::sync::Arc::new(self.work_out_prompts()?);
        *self.prompt_cache.borrow_mut() = Some(PromptCache {
            stamp,
            at: now,
            open: open.clone(),
        });
        Ok(open)
    }

    fn work_out_prompts(&self) -> Result<OpenPrompts> {
        let settings = self.prompt_settings()?;
        let facts = self.prompt_facts(&settings)?;
        let all = evaluate(&facts, &settings, &self.calendar()?, self.now());
        let dismissed = self.dismissals()?;
        let open = all
            .into_iter()
            .filter(|p| {
                let current = p.trigger_ids();
                !dismissed
                    .get(&p.key)
                    .is_some_and(|sets| sets.iter().any(|d| current.is_subset(d)))
            })
            .collect();
        Ok(OpenPrompts {
            prompts: open,
            years: facts.years,
            unreadable: self.unreadable_records()?,
        })
    }

    /// Today's prompts a page at a time: ranked by urgency, counted by rule, filtered by rule
    /// and by year group (a prompt is in a year when any child it names is).
    pub fn prompt_page(&self, q: &PromptQuery) -> Result<PromptPage> {
        let open_prompts = self.open_prompts()?;
        let (open, years) = (&open_prompts.prompts, &open_prompts.years);
        let all = open.len() as u32;
        let in_year = |p: &Prompt| {
            q.year_group.as_deref().is_none_or(|y| {
                p.pupils
                    .iter()
                    .any(|(id, _)| years.get(id).is_some_and(|py| py == y))
            })
        };
        let mut year_groups: Vec<String> = open
            .iter()
            .flat_map(|p| p.pupils.iter().filter_map(|(id, _)| years.get(id).cloned()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        year_groups.sort_by_key(|y| year_order(y));
        let in_year: Vec<&Prompt> = open.iter().filter(|p| in_year(p)).collect();
        let groups = PromptRule::ALL
            .iter()
            .map(|&rule| PromptGroup {
                rule,
                label: rule.label().to_owned(),
                count: in_year.iter().filter(|p| p.rule == rule).count() as u32,
            })
            .filter(|g| g.count > 0)
            .collect();
        let matching: Vec<&Prompt> = in_year
            .into_iter()
            .filter(|p| q.rule.is_none_or(|r| p.rule == r))
            .collect();
        let limit = if q.limit == 0 { 30 } else { q.limit.min(200) };
        Ok(PromptPage {
            total: matching.len() as u32,
            all,
            offset: q.offset,
            groups,
            year_groups,
            items: matching
                .into_iter()
                .skip(q.offset as usize)
                .take(limit as usize)
                .cloned()
                .collect(),
            unreadable: open_prompts.unreadable,
        })
    }

    /// The open prompts about one pupil (for their page).
    pub fn prompts_for_pupil(&self, pupil: Id) -> Result<Vec<Prompt>> {
        Ok(self
            .open_prompts()?
            .prompts
            .iter()
            .filter(|p| p.pupils.iter().any(|(id, _)| *id == pupil))
            .cloned()
            .collect())
    }

    /// Dismisses a prompt with a reason (recorded and audited). It comes back when new records
    /// trigger it again. Returns the prompts still open (one evaluation, not two: a dismissal
    /// changes no other prompt).
    pub fn dismiss_prompt(&mut self, key: &str, reason: &str) -> Result<Vec<Prompt>> {
        self.require(Role::is_safeguarding_lead)?;
        required("reason", reason, MAX_TEXT)?;
        let (mut dismissed, open): (Vec<Prompt>, Vec<Prompt>) =
            self.prompts()?.into_iter().partition(|p| p.key == key);
        let prompt = dismissed.pop().ok_or(Error::NotFound {
            what: "open prompt",
        })?;
        let triggers = prompt.trigger_ids();
        let pupils: Vec<Uuid> = prompt.pupils.iter().map(|p| p.0).collect();
        self.write(Action::PromptDismiss, |c, ctx| {
            let id = ctx.new_id();
            c.execute(
                "INSERT INTO prompt_dismissals (id, device_id, at, by_user, prompt_key, trigger_ids, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), key, id_list(&triggers), reason],
            )?;
            let mut targets = vec![id];
            targets.extend(pupils);
            Ok(((), targets))
        })?;
        Ok(open)
    }

    fn dismissals(&self) -> Result<HashMap<String, Vec<BTreeSet<Uuid>>>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT prompt_key, trigger_ids FROM prompt_dismissals")?;
        let mut rows = stmt.query([])?;
        let mut out: HashMap<String, Vec<BTreeSet<Uuid>>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let ids: Vec<String> = serde_json::from_str(&r.get::<_, String>(1)?)?;
            let set = ids.iter().map(|s| parse_id(s)).collect::<Result<_>>()?;
            out.entry(r.get(0)?).or_default().push(set);
        }
        Ok(out)
    }

    /// Loads what the rules read: recent concerns (amendments applied), the last voice entry
    /// per child, referrals and escalations of the children concerned, notifications that are
    /// open or recent, and families.
    fn prompt_facts(&self, settings: &PromptSettings) -> Result<Facts> {
        // A prompt left out because its facts were not derived would be silent: say so instead.
        if let Some(cause) = &self.derived_failure {
            return Err(Error::DerivedNotRebuilt {
                cause: cause.clone(),
            });
        }
        let now = self.now();
        let cutoff = fmt_utc(now - settings.window());
        let c = self.conn();
        let mut facts = Facts {
            partnership: self.resolution_procedure()?.partnership,
            ..Default::default()
        };

        {
            // Each concern's current time and categories, kept on write (`concern_facts`):
            // amendments are applied already, so the window is one range of an index.
            let mut stmt = c.prepare_cached(
                "SELECT concern_id, pupil_id, observed_at, categories FROM concern_facts WHERE observed_at >= ?1",
            )?;
            let mut rows = stmt.query([&cutoff])?;
            while let Some(r) = rows.next()? {
                facts.concerns.push(ConcernFact {
                    id: parse_id(&r.get::<_, String>(0)?)?,
                    pupil: parse_id(&r.get::<_, String>(1)?)?,
                    observed_at: parse_time(&r.get::<_, String>(2)?)?,
                    categories: serde_json::from_str(&r.get::<_, String>(3)?)?,
                });
            }
        }
        let names = self.names()?;

        // Notifications that are open, or recent enough for their siblings to be listed.
        let recent = fmt_utc(now - chrono::Duration::days(settings.encompass_sibling_days as i64));
        {
            let mut stmt = c.prepare_cached(
                "SELECT n.id, n.received_at, n.respond_by,
                        (SELECT count(*) FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id WHERE f.source_id = n.id)
                 FROM encompass_notifications n
                 WHERE n.id IN (SELECT id FROM encompass_notifications WHERE received_at >= ?1
                                UNION SELECT f.source_id FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id)",
            )?;
            let rows: Vec<(String, String, String, u32)> = stmt
                .query_map([&recent], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let mut kids = c.prepare_cached(
                "SELECT pupil_id FROM encompass_children WHERE notification_id = ?1 ORDER BY seq",
            )?;
            for (id, received, respond, open) in rows {
                let children = kids
                    .query_map([&id], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                facts.notifications.push(NotificationFact {
                    id: parse_id(&id)?,
                    received_at: parse_time(&received)?,
                    respond_by: parse_time(&respond)?,
                    children: children
                        .iter()
                        .map(|s| parse_id(s))
                        .collect::<Result<_>>()?,
                    open_follow_ups: open,
                });
            }
        }

        // Referrals: every one still without a decision, and each pupil's latest (the rules only
        // ask whether the latest referral in a family ended without action).
        let mut pupils: BTreeSet<Uuid> = facts.concerns.iter().map(|c| c.pupil).collect();
        pupils.extend(
            facts
                .notifications
                .iter()
                .flat_map(|n| n.children.iter().copied()),
        );
        {
            let mut stmt = c.prepare_cached(
                "SELECT pupil_id FROM open_referrals o CROSS JOIN referrals r ON r.id = o.referral_id",
            )?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for i in ids {
                pupils.insert(parse_id(&i)?);
            }
            let mut stmt = c.prepare_cached("SELECT pupil_id FROM open_escalations o CROSS JOIN escalations e ON e.id = o.escalation_id")?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for i in ids {
                pupils.insert(parse_id(&i)?);
            }
        }
        // Families of those pupils: the other current members of each one's households, from
        // the members' derived facts (no bodies read).
        let list = id_list(&pupils);
        {
            let mut stmt = c.prepare_cached(
                "SELECT me.pupil_id, other.pupil_id, other.elsewhere FROM member_facts me
                 JOIN member_facts other ON other.household_id = me.household_id AND other.member_id != me.member_id
                 WHERE me.pupil_id IN (SELECT value FROM json_each(?1)) AND me.ended = 0 AND other.ended = 0",
            )?;
            let mut rows = stmt.query([&list])?;
            while let Some(r) = rows.next()? {
                let me = parse_id(&r.get::<_, String>(0)?)?;
                match (
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ) {
                    (Some(other), _) => {
                        facts
                            .siblings
                            .entry(me)
                            .or_default()
                            .insert(parse_id(&other)?);
                    }
                    (None, Some(elsewhere)) => facts
                        .siblings_elsewhere
                        .entry(me)
                        .or_default()
                        .push(elsewhere),
                    (None, None) => {}
                }
            }
            for names in facts.siblings_elsewhere.values_mut() {
                names.sort();
            }
        }
        let family: BTreeSet<Uuid> = pupils
            .iter()
            .chain(facts.siblings.values().flatten())
            .copied()
            .collect();
        let family_list = id_list(&family);
        {
            let mut stmt = c.prepare_cached(
                // Each child's latest referral, found through the (pupil, made_at) index of the
                // referral facts one child at a time (never their history; a tie on the time
                // goes to the one recorded last), and every referral still open.
                // (Every open referral's child is among the pupils already.)
                "SELECT referral_id, pupil_id, made_at, decision_due_on, agency, decision_id, outcome, received_on
                 FROM referral_facts WHERE referral_id IN (
                     SELECT (SELECT x.referral_id FROM referral_facts x WHERE x.pupil_id = p.value
                             ORDER BY x.made_at DESC, x.seq DESC LIMIT 1)
                     FROM json_each(?1) p
                     UNION SELECT referral_id FROM open_referrals)",
            )?;
            let mut rows = stmt.query([&family_list])?;
            while let Some(r) = rows.next()? {
                let decision = match (
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ) {
                    (Some(did), Some(outcome), Some(received)) => {
                        let outcome: DecisionOutcome =
                            serde_json::from_value(serde_json::Value::String(outcome))?;
                        Some((parse_id(&did)?, outcome, parse_date(&received)?))
                    }
                    _ => None,
                };
                facts.referrals.push(ReferralFact {
                    id: parse_id(&r.get::<_, String>(0)?)?,
                    pupil: parse_id(&r.get::<_, String>(1)?)?,
                    agency: r.get(4)?,
                    made_at: parse_time(&r.get::<_, String>(2)?)?,
                    decision_due_on: parse_date(&r.get::<_, String>(3)?)?,
                    decision,
                });
            }
            // Only open escalations are read in full; of the rest, only when each child's
            // latest was opened (history must not make Today slower).
            facts.last_escalation = latest_per_pupil(
                c,
                "SELECT p.value, (SELECT max(opened_at) FROM escalations WHERE pupil_id = p.value) AS t
                 FROM json_each(?1) p WHERE t IS NOT NULL",
                &family_list,
            )?;
            let procedure = self.resolution_procedure()?;
            let mut stmt = c.prepare_cached(
                "SELECT e.id, e.pupil_id, e.opened_at, e.body, s.id, s.stage_no, s.raised_on, s.due_on, s.body,
                        EXISTS (SELECT 1 FROM escalation_events v WHERE v.stage_id = s.id AND v.event = 'response'),
                        NOT EXISTS (SELECT 1 FROM open_escalations o WHERE o.escalation_id = e.id)
                 FROM open_escalations o CROSS JOIN escalations e ON e.id = o.escalation_id
                 CROSS JOIN escalation_stages s ON s.escalation_id = e.id
                  AND s.stage_no = (SELECT max(stage_no) FROM escalation_stages x WHERE x.escalation_id = e.id)
                 WHERE e.pupil_id IN (SELECT value FROM json_each(?1))",
            )?;
            type EscalationRow = (
                String,
                String,
                String,
                String,
                String,
                u32,
                String,
                String,
                String,
                bool,
                bool,
            );
            let rows: Vec<EscalationRow> = stmt
                .query_map([&family_list], |r| TryFrom::try_from(r))?
                .collect::<rusqlite::Result<_>>()?;
            let ids: Vec<String> = rows
                .iter()
                .flat_map(|r| [r.0.clone(), r.4.clone()])
                .collect();
            let amendments = self.amendments_for(&ids, &names)?;
            for (
                id,
                pupil,
                opened,
                body,
                stage_id,
                stage_no,
                raised,
                due,
                stage,
                responded,
                resolved,
            ) in rows
            {
                let body: EscalationDetails = current(&body, amended(&amendments, &id))?;
                let stage: StageDetails = current(&stage, amended(&amendments, &stage_id))?;
                facts.escalations.push(EscalationFact {
                    id: parse_id(&id)?,
                    pupil: parse_id(&pupil)?,
                    agency: body.agency,
                    opened_at: parse_time(&opened)?,
                    stage_id: parse_id(&stage_id)?,
                    stage_no,
                    stage_name: stage.stage_name,
                    raised_on: parse_date(&raised)?,
                    due_on: parse_date(&due)?,
                    responded,
                    resolved,
                    next_stage: procedure
                        .stages
                        .get(stage_no as usize)
                        .map(|s| s.name.clone()),
                });
            }
        }
        // The latest time each child was heard, amendments applied, from the voice facts' index.
        facts.last_voice = latest_per_pupil(
            c,
            "SELECT p.value, (SELECT max(spoken_at) FROM voice_facts WHERE pupil_id = p.value) AS t
             FROM json_each(?1) p WHERE t IS NOT NULL",
            &list,
        )?;
        let mut stmt = c.prepare_cached(
            "SELECT pupil_id, name, year_group FROM pupil_facts WHERE pupil_id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut rows = stmt.query([&family_list])?;
        while let Some(r) = rows.next()? {
            let id = parse_id(&r.get::<_, String>(0)?)?;
            facts.names.insert(id, r.get(1)?);
            facts.years.insert(id, r.get(2)?);
        }
        Ok(facts)
    }
}
