//! Loads the snapshot the practice prompts read, evaluates them, and records dismissals.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::amend::amended;
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

/// The open prompts, the facts they were worked out from, and how many records could not be
/// read then.
pub(super) struct OpenPrompts {
    prompts: Vec<Arc<Prompt>>,
    /// What every rule read (each pupil's year group and siblings among it). The rules filter
    /// by time themselves and the facts' windows only move forward, so when only the clock has
    /// moved the same facts are evaluated again instead of loaded again.
    facts: Arc<Facts>,
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

/// The open prompts as last worked out (`Session::prompt_cache`), and what this connection has
/// written since: a write that names its pupils changes only their families' prompts.
pub(super) struct PromptCache {
    stamp: WriteStamp,
    /// When every prompt was last worked out (a prompt that falls due with the clock alone
    /// shows at most `PROMPTS_KEPT_SECONDS` after it).
    at: chrono::DateTime<chrono::Utc>,
    open: Arc<OpenPrompts>,
    /// This connection's changes once the writes below are counted.
    accounted: u64,
    /// The targets of each write since; `None` once a change was not accounted for.
    written: Option<Vec<Vec<Uuid>>>,
}

/// What `open_prompts` does with the kept prompts.
enum Next {
    /// Nothing they read changed: keep them.
    Keep,
    /// Some families' prompts were worked out again.
    Rework(OpenPrompts),
    /// Every prompt evaluated again from these facts (only the clock moved since they were
    /// loaded).
    Evaluate(Arc<Facts>),
    /// Work every prompt out.
    WorkOut,
}

/// What a write through the session changed, for the kept prompts.
pub(super) enum Written<'a> {
    /// Records, with the ids of the write's audit event (its records and pupils).
    Records(&'a [Uuid]),
    /// Only an audit event (a read was logged): no prompt changes.
    AuditOnly,
}

impl PromptCache {
    /// Accounts for a write that took this connection's changes from `before` to `after`.
    pub(super) fn note(&mut self, before: u64, after: u64, written: Written<'_>) {
        match (&mut self.written, written) {
            (Some(_), _) if self.accounted != before => self.written = None,
            (Some(list), Written::Records(targets)) => list.push(targets.to_vec()),
            _ => {}
        }
        self.accounted = after;
    }
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

/// The facts of every child after the children in `scope` had theirs loaded again: the old
/// facts of everyone else (nothing about them changed; the scope is closed under families and
/// notifications), the fresh ones of those in scope.
fn merged(old: &Facts, fresh: Facts, scope: &BTreeSet<Uuid>) -> Facts {
    let out_of = |p: &Uuid| !scope.contains(p);
    fn keep<V: Clone>(
        old: &HashMap<Id, V>,
        fresh: HashMap<Id, V>,
        out_of: impl Fn(&Id) -> bool,
    ) -> HashMap<Id, V> {
        let mut m: HashMap<Id, V> = old
            .iter()
            .filter(|(k, _)| out_of(k))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        m.extend(fresh.into_iter().filter(|(k, _)| !out_of(k)));
        m
    }
    fn list<T: Clone>(old: &[T], fresh: Vec<T>, out: impl Fn(&T) -> bool) -> Vec<T> {
        let mut v: Vec<T> = old.iter().filter(|x| out(x)).cloned().collect();
        v.extend(fresh.into_iter().filter(|x| !out(x)));
        v
    }
    Facts {
        names: keep(&old.names, fresh.names, out_of),
        years: keep(&old.years, fresh.years, out_of),
        siblings: keep(&old.siblings, fresh.siblings, out_of),
        siblings_elsewhere: keep(&old.siblings_elsewhere, fresh.siblings_elsewhere, out_of),
        last_voice: keep(&old.last_voice, fresh.last_voice, out_of),
        last_escalation: keep(&old.last_escalation, fresh.last_escalation, out_of),
        concerns: list(&old.concerns, fresh.concerns, |c| out_of(&c.pupil)),
        referrals: list(&old.referrals, fresh.referrals, |r| out_of(&r.pupil)),
        escalations: list(&old.escalations, fresh.escalations, |e| out_of(&e.pupil)),
        // A scope holds all of a notification's children or none of them.
        notifications: list(&old.notifications, fresh.notifications, |n| {
            n.children.iter().all(out_of)
        }),
        partnership: fresh.partnership,
    }
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
        Ok(self
            .open_prompts()?
            .prompts
            .iter()
            .map(|p| Prompt::clone(p))
            .collect())
    }

    /// The open prompts and the year group of every pupil they name (Today's pages and
    /// filters, a pupil's page and a dismissal read them). Kept while nothing is written and for
    /// at most a minute. A write by this session that names its pupils has only their families'
    /// prompts worked out again; anything else written (a setting, a user, another laptop's
    /// commit, a change not accounted for) has every prompt worked out again.
    fn open_prompts(&self) -> Result<Arc<OpenPrompts>> {
        self.require(Role::reads_everything)?;
        self.reading(|| self.open_prompts_read())
    }

    fn open_prompts_read(&self) -> Result<Arc<OpenPrompts>> {
        let now = self.now();
        let stamp = WriteStamp::of(self.conn())?;
        let mut at = now;
        let mut next = Next::WorkOut;
        if let Some(cached) = self.prompt_cache.borrow().as_ref()
            && cached.stamp.data_version == stamp.data_version
            && cached.at <= now
        {
            let in_time = now - cached.at < chrono::Duration::seconds(PROMPTS_KEPT_SECONDS);
            if in_time && cached.stamp.changes == stamp.changes {
                return Ok(cached.open.clone());
            }
            if cached.accounted == stamp.changes
                && let Some(written) = &cached.written
            {
                at = cached.at;
                next = match (written.is_empty(), in_time) {
                    // Only reads were logged since: nothing a prompt reads changed.
                    (true, true) => Next::Keep,
                    // Only the clock moved: the same facts, evaluated now.
                    (true, false) => Next::Evaluate(cached.open.facts.clone()),
                    // A write naming no pupil, or any failure, works every prompt out instead.
                    (false, _) => match self.rework_prompts(&cached.open, written) {
                        Ok(Some(open)) if in_time => Next::Rework(open),
                        Ok(Some(open)) => Next::Evaluate(open.facts),
                        _ => Next::WorkOut,
                    },
                };
            }
        }
        let open = Arc::new(match next {
            Next::Keep => {
                let mut cache = self.prompt_cache.borrow_mut();
                let cached = cache.as_mut().ok_or_else(|| Error::Internal {
                    detail: "kept prompts".into(),
                })?;
                cached.stamp = stamp;
                cached.accounted = stamp.changes;
                cached.written = Some(Vec::new());
                return Ok(cached.open.clone());
            }
            Next::Rework(open) => open,
            Next::Evaluate(facts) => {
                at = now;
                self.evaluate_prompts(facts)?
            }
            Next::WorkOut => {
                at = now;
                self.work_out_prompts()?
            }
        });
        *self.prompt_cache.borrow_mut() = Some(PromptCache {
            stamp,
            at,
            open: open.clone(),
            accounted: stamp.changes,
            written: Some(Vec::new()),
        });
        Ok(open)
    }

    fn work_out_prompts(&self) -> Result<OpenPrompts> {
        let settings = self.prompt_settings()?;
        self.evaluate_prompts(Arc::new(self.prompt_facts(&settings, None)?))
    }

    /// Every prompt, from facts loaded now or earlier (nothing they hold changed since).
    fn evaluate_prompts(&self, facts: Arc<Facts>) -> Result<OpenPrompts> {
        let settings = self.prompt_settings()?;
        let all = evaluate(&facts, &settings, &self.calendar()?, self.now());
        Ok(OpenPrompts {
            prompts: self.not_dismissed(all)?,
            facts,
            unreadable: self.unreadable_records()?,
        })
    }

    fn not_dismissed(&self, prompts: Vec<Prompt>) -> Result<Vec<Arc<Prompt>>> {
        let dismissed = self.dismissals()?;
        Ok(prompts
            .into_iter()
            .filter(|p| {
                let current = p.trigger_ids();
                !dismissed
                    .get(&p.key)
                    .is_some_and(|sets| sets.iter().any(|d| current.is_subset(d)))
            })
            .map(Arc::new)
            .collect())
    }

    /// The prompts after the given writes, working out only those of the families they
    /// touched; `None` when a write named no pupil (every prompt must be worked out again).
    fn rework_prompts(
        &self,
        old: &OpenPrompts,
        written: &[Vec<Uuid>],
    ) -> Result<Option<OpenPrompts>> {
        let mut touched = BTreeSet::new();
        for targets in written {
            let pupils = self.pupils_among(targets)?;
            if pupils.is_empty() {
                return Ok(None);
            }
            touched.extend(pupils);
        }
        let settings = self.prompt_settings()?;
        let scope = self.prompt_scope(touched, old, &settings)?;
        let facts = self.prompt_facts(&settings, Some(&scope))?;
        let fresh = evaluate(&facts, &settings, &self.calendar()?, self.now());
        let in_scope = |p: &Prompt| p.pupils.iter().any(|(id, _)| scope.contains(id));
        if fresh
            .iter()
            .any(|p| !p.pupils.iter().all(|(id, _)| scope.contains(id)))
        {
            // A prompt naming a child outside the families worked out: the scope was wrong, so
            // every prompt is worked out instead.
            return Ok(None);
        }
        let mut prompts: Vec<Arc<Prompt>> = old
            .prompts
            .iter()
            .filter(|p| !in_scope(p))
            .cloned()
            .collect();
        prompts.extend(self.not_dismissed(fresh)?);
        rank(&mut prompts);
        Ok(Some(OpenPrompts {
            prompts,
            facts: Arc::new(merged(&old.facts, facts, &scope)),
            unreadable: self.unreadable_records()?,
        }))
    }

    /// The pupils among a write's targets.
    fn pupils_among(&self, targets: &[Uuid]) -> Result<Vec<Uuid>> {
        let ids: BTreeSet<Uuid> = targets.iter().copied().collect();
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM pupils WHERE id IN (SELECT value FROM json_each(?1))",
        )?;
        let found = stmt
            .query_map([id_list(&ids)], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        found.iter().map(|s| parse_id(s)).collect()
    }

    /// The children whose prompts a write about `touched` may change: every prompt names a
    /// whole family or a whole notification's children, so the set is closed under both, as
    /// they are now (households; the notifications the prompts read: recent or still open) and
    /// as they were when the prompts were worked out (a child who left a household takes their
    /// old family's prompts with them).
    fn prompt_scope(
        &self,
        touched: BTreeSet<Uuid>,
        old: &OpenPrompts,
        settings: &PromptSettings,
    ) -> Result<BTreeSet<Uuid>> {
        let c = self.conn();
        let recent =
            fmt_utc(self.now() - chrono::Duration::days(settings.encompass_sibling_days as i64));
        let mut notified: HashMap<String, Vec<Uuid>> = HashMap::new();
        {
            let mut stmt = c.prepare_cached(
                "SELECT notification_id, pupil_id FROM encompass_children WHERE notification_id IN (
                     SELECT id FROM encompass_notifications WHERE received_at >= ?1
                     UNION SELECT f.source_id FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id)",
            )?;
            let mut rows = stmt.query([&recent])?;
            while let Some(r) = rows.next()? {
                notified
                    .entry(r.get(0)?)
                    .or_default()
                    .push(parse_id(&r.get::<_, String>(1)?)?);
            }
        }
        // `+ended`: without statistics the planner would build an automatic index over every
        // member on `ended` for each run instead of following the household index.
        let mut households = c.prepare_cached(
            "WITH RECURSIVE scope(p) AS (
                 SELECT value FROM json_each(?1)
                 UNION
                 SELECT other.pupil_id FROM scope
                   JOIN member_facts me ON me.pupil_id = scope.p AND me.ended = 0
                   JOIN member_facts other ON other.household_id = me.household_id
                  WHERE +other.ended = 0 AND other.pupil_id IS NOT NULL
             )
             SELECT p FROM scope",
        )?;
        let mut scope = touched;
        loop {
            let before = scope.len();
            let now = households
                .query_map([id_list(&scope)], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for p in now {
                scope.insert(parse_id(&p)?);
            }
            for children in notified.values() {
                if children.iter().any(|p| scope.contains(p)) {
                    scope.extend(children.iter().copied());
                }
            }
            for (p, siblings) in &old.facts.siblings {
                if scope.contains(p) || siblings.iter().any(|s| scope.contains(s)) {
                    scope.insert(*p);
                    scope.extend(siblings.iter().copied());
                }
            }
            for prompt in &old.prompts {
                if prompt.pupils.iter().any(|(id, _)| scope.contains(id)) {
                    scope.extend(prompt.pupils.iter().map(|(id, _)| *id));
                }
            }
            if scope.len() == before {
                return Ok(scope);
            }
        }
    }

    /// Today's prompts a page at a time: ranked by urgency, counted by rule, filtered by rule
    /// and by year group (a prompt is in a year when any child it names is).
    pub fn prompt_page(&self, q: &PromptQuery) -> Result<PromptPage> {
        let open_prompts = self.open_prompts()?;
        let (open, years) = (&open_prompts.prompts, &open_prompts.facts.years);
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
        let in_year: Vec<&Prompt> = open.iter().map(|p| &**p).filter(|p| in_year(p)).collect();
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
            .map(|p| Prompt::clone(p))
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
    /// open or recent, and families. With a scope (a set closed under households and
    /// notifications, `prompt_scope`), only what is about those children: the same facts a
    /// whole load holds about them.
    /// The facts the rules read: each part from the derived facts kept on write, through
    /// indexes that never walk a child's history; `scope` (a set of whole families) limits every
    /// part to those children, `None` is the whole school.
    fn prompt_facts(
        &self,
        settings: &PromptSettings,
        scope: Option<&BTreeSet<Uuid>>,
    ) -> Result<Facts> {
        // A prompt left out because its facts were not derived would be silent: say so instead.
        if let Some(cause) = &self.derived_failure {
            return Err(Error::DerivedNotRebuilt {
                cause: cause.clone(),
            });
        }
        let now = self.now();
        let c = self.conn();
        let mut facts = Facts {
            partnership: self.resolution_procedure()?.partnership,
            ..Default::default()
        };
        facts.concerns = concern_facts(c, &fmt_utc(now - settings.window()), scope)?;
        // Notifications that are open, or recent enough for their siblings to be listed.
        let recent = fmt_utc(now - chrono::Duration::days(settings.encompass_sibling_days as i64));
        facts.notifications = notification_facts(c, &recent, scope)?;

        // The children something is about: their concerns, notifications, open referrals and
        // open escalations; then their families.
        let mut pupils: BTreeSet<Uuid> = facts.concerns.iter().map(|c| c.pupil).collect();
        pupils.extend(
            facts
                .notifications
                .iter()
                .flat_map(|n| n.children.iter().copied()),
        );
        pupils.extend(pupils_with_open_items(c)?);
        pupils.retain(|p| in_scope(scope, p));
        let list = id_list(&pupils);
        family_facts(c, &list, &mut facts)?;
        let family: BTreeSet<Uuid> = pupils
            .iter()
            .chain(facts.siblings.values().flatten())
            .copied()
            .collect();
        let family_list = id_list(&family);

        // Referrals: every one still without a decision, and each child's latest (the rules
        // only ask whether the latest referral in a family ended without action).
        facts.referrals = referral_facts(c, &family_list, scope)?;
        // Only open escalations are read in full; of the rest, only when each child's latest
        // was opened (history must not make Today slower).
        facts.last_escalation = latest_per_pupil(
            c,
            "SELECT p.value, (SELECT max(opened_at) FROM escalations WHERE pupil_id = p.value) AS t
             FROM json_each(?1) p WHERE t IS NOT NULL",
            &family_list,
        )?;
        facts.escalations = self.escalation_facts(&family_list)?;
        // The latest time each child was heard, amendments applied, from the voice facts' index.
        facts.last_voice = latest_per_pupil(
            c,
            "SELECT p.value, (SELECT max(spoken_at) FROM voice_facts WHERE pupil_id = p.value) AS t
             FROM json_each(?1) p WHERE t IS NOT NULL",
            &list,
        )?;
        name_and_year_facts(c, &family_list, &mut facts)?;
        Ok(facts)
    }

    /// Every open escalation of the listed children at its current stage, as amended.
    fn escalation_facts(&self, family_list: &str) -> Result<Vec<EscalationFact>> {
        let c = self.conn();
        let names = self.names()?;
        let mut out = Vec::new();
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
            .query_map([family_list], |r| TryFrom::try_from(r))?
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
            out.push(EscalationFact {
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
        Ok(out)
    }
}

/// Whether a child is in the scope (`None`: the whole school).
fn in_scope(scope: Option<&BTreeSet<Uuid>>, p: &Uuid) -> bool {
    scope.is_none_or(|s| s.contains(p))
}

/// Each concern in the window: its current time and categories, kept on write
/// (`concern_facts`), amendments applied already, so the window is one range of an index.
fn concern_facts(
    c: &Connection,
    cutoff: &str,
    scope: Option<&BTreeSet<Uuid>>,
) -> Result<Vec<ConcernFact>> {
    let mut out = Vec::new();
    // Scoped, through each child's (pupil, time) index; else one range of the window.
    let (mut stmt, args) = match scope {
        None => (
            c.prepare_cached(
                "SELECT concern_id, pupil_id, observed_at, categories FROM concern_facts WHERE observed_at >= ?1",
            )?,
            vec![cutoff.to_owned()],
        ),
        Some(scope) => (
            c.prepare_cached(
                "SELECT f.concern_id, f.pupil_id, f.observed_at, f.categories
                 FROM json_each(?2) p CROSS JOIN concern_facts f ON f.pupil_id = p.value
                 WHERE f.observed_at >= ?1",
            )?,
            vec![cutoff.to_owned(), id_list(scope)],
        ),
    };
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        out.push(ConcernFact {
            id: parse_id(&r.get::<_, String>(0)?)?,
            pupil: parse_id(&r.get::<_, String>(1)?)?,
            observed_at: parse_time(&r.get::<_, String>(2)?)?,
            categories: serde_json::from_str(&r.get::<_, String>(3)?)?,
        });
    }
    Ok(out)
}

/// Notifications received since `recent` or with a follow-up open, each with its children; a
/// scope holds all of a notification's children or none of them.
fn notification_facts(
    c: &Connection,
    recent: &str,
    scope: Option<&BTreeSet<Uuid>>,
) -> Result<Vec<NotificationFact>> {
    let mut out = Vec::new();
    let mut stmt = c.prepare_cached(
        "SELECT n.id, n.received_at, n.respond_by,
                (SELECT count(*) FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id WHERE f.source_id = n.id)
         FROM encompass_notifications n
         WHERE n.id IN (SELECT id FROM encompass_notifications WHERE received_at >= ?1
                        UNION SELECT f.source_id FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id)",
    )?;
    let rows: Vec<(String, String, String, u32)> = stmt
        .query_map([recent], |r| TryFrom::try_from(r))?
        .collect::<rusqlite::Result<_>>()?;
    let mut kids = c.prepare_cached(
        "SELECT pupil_id FROM encompass_children WHERE notification_id = ?1 ORDER BY seq",
    )?;
    for (id, received, respond, open) in rows {
        let children = kids
            .query_map([&id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .map(|s| parse_id(s))
            .collect::<Result<Vec<_>>>()?;
        // A scope holds all of a notification's children or none of them.
        if !children.iter().any(|p| in_scope(scope, p)) {
            continue;
        }
        out.push(NotificationFact {
            id: parse_id(&id)?,
            received_at: parse_time(&received)?,
            respond_by: parse_time(&respond)?,
            children,
            open_follow_ups: open,
        });
    }
    Ok(out)
}

/// The children of every open referral and every open escalation.
fn pupils_with_open_items(c: &Connection) -> Result<BTreeSet<Uuid>> {
    let mut pupils = BTreeSet::new();
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
    Ok(pupils)
}

/// The other current members of each listed child's households, from the members' derived
/// facts (no bodies read): siblings here, and the names of those elsewhere.
fn family_facts(c: &Connection, list: &str, facts: &mut Facts) -> Result<()> {
    // `+ended` keeps the planner on the household index (see `prompt_scope`).
    let mut stmt = c.prepare_cached(
        "SELECT me.pupil_id, other.pupil_id, other.elsewhere FROM member_facts me
         JOIN member_facts other ON other.household_id = me.household_id AND other.member_id != me.member_id
         WHERE me.pupil_id IN (SELECT value FROM json_each(?1)) AND +me.ended = 0 AND +other.ended = 0",
    )?;
    let mut rows = stmt.query([list])?;
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
    Ok(())
}

/// The listed children's latest referral each (a tie on the time goes to the one recorded
/// last), and every referral still open, with its decision if one came back.
fn referral_facts(
    c: &Connection,
    family_list: &str,
    scope: Option<&BTreeSet<Uuid>>,
) -> Result<Vec<ReferralFact>> {
    let mut out = Vec::new();
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
    let mut rows = stmt.query([family_list])?;
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
        let pupil = parse_id(&r.get::<_, String>(1)?)?;
        if !in_scope(scope, &pupil) {
            // An open referral of a child outside the scope.
            continue;
        }
        out.push(ReferralFact {
            id: parse_id(&r.get::<_, String>(0)?)?,
            pupil,
            agency: r.get(4)?,
            made_at: parse_time(&r.get::<_, String>(2)?)?,
            decision_due_on: parse_date(&r.get::<_, String>(3)?)?,
            decision,
        });
    }
    Ok(out)
}

/// The listed children's names and year groups, as amended.
fn name_and_year_facts(c: &Connection, family_list: &str, facts: &mut Facts) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT pupil_id, name, year_group FROM pupil_facts WHERE pupil_id IN (SELECT value FROM json_each(?1))",
    )?;
    let mut rows = stmt.query([family_list])?;
    while let Some(r) = rows.next()? {
        let id = parse_id(&r.get::<_, String>(0)?)?;
        facts.names.insert(id, r.get(1)?);
        facts.years.insert(id, r.get(2)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, NaiveDate};
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::clock::ManualClock;
    use crate::keyring::KdfParams;
    use crate::secret::Passphrase;
    use crate::seed::{Ev, SeedSpec, write_event};
    use crate::session::StoreOptions;

    fn kept(s: &Session) -> (u64, Option<Vec<Vec<Uuid>>>) {
        let cache = s.prompt_cache.borrow();
        let cache = cache.as_ref().expect("prompts kept");
        (cache.accounted, cache.written.clone())
    }

    fn open_notification_follow_up(s: &Session) -> Option<Id> {
        s.conn()
            .query_row(
                "SELECT f.id FROM open_follow_ups o JOIN follow_ups f ON f.id = o.follow_up_id
                 JOIN encompass_notifications n ON n.id = f.source_id ORDER BY f.seq DESC LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )
            .ok()
            .map(|id| parse_id(&id).unwrap())
    }

    fn neglect(pupil: Id, at: chrono::DateTime<chrono::Utc>) -> NewConcern {
        NewConcern {
            pupil_id: pupil,
            details: ConcernDetails {
                reporter_name: "Teacher".into(),
                reporter_role: "Teacher".into(),
                observed_at: at,
                location: "Classroom".into(),
                categories: vec![Category::Neglect],
                account: "Arrived hungry and without a coat.".into(),
                child_words: None,
                immediate_action: "Breakfast given.".into(),
                body_marks: vec![],
            },
            other_children: vec![],
        }
    }

    /// After a write: every change was through the session, the families it touched are
    /// worked out again (never every prompt), the result is every prompt worked out anew, and
    /// Today reads it. False when nothing was written.
    fn check(s: &Session, before: &OpenPrompts, what: &str) -> bool {
        let (accounted, written) = kept(s);
        assert_eq!(
            accounted,
            s.conn().total_changes(),
            "{what}: every change accounted for"
        );
        let written = written.expect("only writes through the session");
        let full = s.work_out_prompts().unwrap();
        let scoped = s
            .rework_prompts(before, &written)
            .unwrap()
            .unwrap_or_else(|| panic!("{what}: every write here names its pupils"));
        same(&scoped, &full, what);
        same(&s.open_prompts().unwrap(), &full, what);
        !written.is_empty()
    }

    fn same(a: &OpenPrompts, b: &OpenPrompts, what: &str) {
        let keys = |o: &OpenPrompts| o.prompts.iter().map(|p| p.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(a),
            keys(b),
            "{what}: the same prompts in the same order"
        );
        for (x, y) in a.prompts.iter().zip(&b.prompts) {
            assert_eq!(**x, **y, "{what}: prompt {}", x.key);
        }
        assert_eq!(a.facts.years, b.facts.years, "{what}: years");
        assert_eq!(a.facts.siblings, b.facts.siblings, "{what}: siblings");
    }

    /// Every kind of write that changes a prompt, on a seeded school: after each, the prompts of
    /// the families it touched are worked out again and the rest kept; the result is exactly
    /// every prompt worked out anew, and it is what Today reads.
    #[test]
    fn a_write_reworks_only_its_families_prompts_and_they_are_every_prompt_worked_out_anew() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("school");
        let pass = Passphrase::new("seed passphrase for prompts".into());
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let spec = SeedSpec {
            pupils: 90,
            years: 2,
            seed: 3,
            today,
        };
        crate::seed::create(&dir, &spec, &pass, KdfParams::MINIMUM).unwrap();
        let now = crate::time::noon_london(today) + Duration::hours(2);
        let clock = Arc::new(ManualClock::new(now));
        let mut s = crate::unlock(&dir, None, &pass, StoreOptions::new(clock.clone())).unwrap();
        let pupils: Vec<Id> = s
            .list_pupils(&crate::session::PupilQuery {
                limit: 1000,
                ..Default::default()
            })
            .unwrap()
            .items
            .iter()
            .map(|p| p.id)
            .collect();
        let families: Vec<Vec<usize>> = (0..pupils.len()).step_by(2).map(|i| vec![i]).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut reworked = 0;
        for step in 0..40 {
            let before = s.open_prompts().unwrap();
            let pupil = rng.random_range(0..pupils.len());
            let other = rng.random_range(0..pupils.len());
            let at = now - Duration::hours(3);
            let what = match step % 8 {
                0..=2 => {
                    let ev = [
                        Ev::Concern { pupil },
                        Ev::Voice { pupil },
                        Ev::Referral { pupil },
                        Ev::Encompass {
                            family: rng.random_range(0..families.len()),
                        },
                    ];
                    let ev = &ev[rng.random_range(0..ev.len())];
                    clock.set(at);
                    write_event(
                        &mut s,
                        &clock,
                        &mut rng,
                        ev,
                        at,
                        &pupils,
                        &families,
                        now,
                        Duration::days(4),
                    )
                    .unwrap();
                    "a seeded record"
                }
                3 => {
                    // Two families become one: both sets of prompts change.
                    s.add_family_member(
                        pupils[pupil],
                        Some(pupils[other]),
                        &MemberDetails::pupil_child(),
                    )
                    .map(|_| "a child joined another's household")
                    .unwrap_or("already in that household")
                }
                4 => {
                    let file = s.pupil_file(pupils[pupil]).unwrap();
                    match file.household.iter().find(|m| {
                        !m.left && m.pupil_id.is_some() && m.pupil_id != Some(pupils[pupil])
                    }) {
                        Some(m) => {
                            s.end_household_member(m.id, "Moved away").unwrap();
                            "a sibling left the household"
                        }
                        None => "no sibling to leave",
                    }
                }
                5 => match open_notification_follow_up(&s) {
                    Some(f) => {
                        s.complete_follow_up(f, "Seen in school; support given.")
                            .unwrap();
                        "a notification's follow-up completed"
                    }
                    None => "no open follow-up",
                },
                6 => match before.prompts.first() {
                    Some(p) => {
                        s.dismiss_prompt(&p.key.clone(), "Considered at the DSL meeting")
                            .unwrap();
                        "a prompt dismissed"
                    }
                    None => "nothing to dismiss",
                },
                _ => {
                    let c = s
                        .record_concern(&neglect(pupils[pupil], now - Duration::days(2)))
                        .unwrap();
                    // Its time corrected to long ago: out of every window.
                    s.amend(
                        RecordKind::Concern,
                        c,
                        "observed_at",
                        serde_json::json!(crate::time::fmt_utc(now - Duration::days(900))),
                        "Wrong date",
                    )
                    .unwrap();
                    "a concern recorded and its time corrected"
                }
            };
            clock.set(now);
            reworked += usize::from(check(&s, &before, what));
        }
        assert!(reworked >= 25, "most steps wrote something ({reworked})");

        // A child with four neglect concerns and a child from another family who joins their
        // household, then leaves it: the family's prompt becomes the first child's alone, though
        // the leaving names only the second child.
        let (a, b) = (pupils[0], pupils[pupils.len() - 1]);
        for (pupil, n) in [(a, 4), (b, 1)] {
            for i in 0..n {
                s.record_concern(&neglect(pupil, now - Duration::days(3 + i)))
                    .unwrap();
            }
        }
        let before = s.open_prompts().unwrap();
        s.add_family_member(a, Some(b), &MemberDetails::pupil_child())
            .unwrap();
        check(&s, &before, "a child joined another family's household");
        let family_prompt = |s: &Session| {
            s.prompts()
                .unwrap()
                .into_iter()
                .filter(|p| p.rule == PromptRule::AccumulatingConcerns)
                .map(|p| p.pupils.iter().map(|(id, _)| *id).collect::<BTreeSet<_>>())
                .filter(|named| named.contains(&a))
                .collect::<Vec<_>>()
        };
        assert!(family_prompt(&s).iter().any(|named| named.contains(&b)));
        let before = s.open_prompts().unwrap();
        let joined = s
            .pupil_file(a)
            .unwrap()
            .household
            .into_iter()
            .find(|m| m.pupil_id == Some(b) && !m.left)
            .unwrap();
        s.end_household_member(joined.id, "Went home").unwrap();
        check(&s, &before, "the child left again");
        assert!(
            family_prompt(&s).iter().any(|named| !named.contains(&b)),
            "the first child's own prompt"
        );

        // A file attached to a concern or to a notification names the children it is about,
        // so only their families' prompts are worked out again.
        let concern = s
            .record_concern(&neglect(pupils[1], now - Duration::days(1)))
            .unwrap();
        let notification: String = s
            .conn()
            .query_row(
                "SELECT id FROM encompass_notifications ORDER BY seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        for record in [concern, notification.parse().unwrap()] {
            let before = s.open_prompts().unwrap();
            s.attach_file(
                record,
                "scan.pdf",
                "application/pdf",
                b"%PDF-1.4 scanned form",
            )
            .unwrap();
            check(&s, &before, "a file attached");
        }

        // Opening a child's file logs a read: the prompts are kept as they are.
        let before = s.open_prompts().unwrap();
        s.pupil_chronology(pupils[0], &Default::default()).unwrap();
        assert!(Arc::ptr_eq(&before, &s.open_prompts().unwrap()));

        // A setting names no pupil: every prompt is worked out again.
        let before = s.open_prompts().unwrap();
        let mut settings = s.prompt_settings().unwrap();
        settings.voice_absent_weeks += 1;
        s.set_prompt_settings(&settings).unwrap();
        let (_, written) = kept(&s);
        assert!(
            s.rework_prompts(&before, &written.unwrap())
                .unwrap()
                .is_none()
        );
        same(
            &s.open_prompts().unwrap(),
            &s.work_out_prompts().unwrap(),
            "a setting",
        );

        // Only the clock moves (deadlines pass, concerns leave their windows), sometimes after
        // a write: the kept facts, evaluated again, give every prompt worked out anew, and when
        // nothing was written they are not loaded again.
        let mut at = now;
        let mut changed = 0;
        for step in 0..16 {
            let before = s.open_prompts().unwrap();
            let wrote = step % 3 == 1;
            if wrote {
                let pupil = pupils[rng.random_range(0..pupils.len())];
                s.record_concern(&neglect(pupil, at - Duration::hours(1)))
                    .unwrap();
            }
            at += Duration::minutes(rng.random_range(2..60 * 24 * 5));
            clock.set(at);
            let kept = s.open_prompts().unwrap();
            let what = format!("the clock moved to {at} (step {step})");
            // The kept facts may hold more than a fresh load (windows that have moved on): the
            // prompts, and the year of each child they name, are what counts.
            let fresh = s.work_out_prompts().unwrap();
            assert_eq!(kept.prompts, fresh.prompts, "{what}: the same prompts");
            for (id, _) in fresh.prompts.iter().flat_map(|p| p.pupils.iter()) {
                assert_eq!(
                    kept.facts.years.get(id),
                    fresh.facts.years.get(id),
                    "{what}"
                );
            }
            if !wrote {
                assert!(Arc::ptr_eq(&before.facts, &kept.facts), "{what}: reused");
                changed += usize::from(before.prompts != kept.prompts);
            }
        }
        assert!(
            changed >= 3,
            "the clock alone changed the prompts ({changed} times)"
        );
    }
}
