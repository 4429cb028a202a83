//! Practice prompts: the rules that stop the failures serious case reviews keep finding. Each
//! rule is a pure function of a snapshot of the records (`Facts`), the settings, the working-day
//! calendar and the time; the session loads the snapshot and hides prompts dismissed with a
//! reason until new records trigger them again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::calendar::WorkingCalendar;
use crate::error::{Error, Result};
use crate::records::{Category, DecisionOutcome, Id, RecordKind};
use crate::time::{display_date, display_london, london_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PromptRule {
    /// An Operation Encompass notification not actioned by the start of the next school day.
    EncompassOverdue,
    /// An escalation stage past its due date with no response.
    EscalationStageOverdue,
    /// No further action (or no decision) while concerns continue for the child or a sibling.
    NfaWhileConcernsContinue,
    /// A referral without a decision after the school's timescale.
    ReferralWithoutDecision,
    /// Siblings of children on a notification: at this school but not on it, or at other schools.
    EncompassSiblings,
    /// Concerns of a kind accumulating across a family.
    AccumulatingConcerns,
    /// A child with recent concerns and no recent record of their own voice.
    ChildsVoiceAbsent,
}

impl PromptRule {
    /// Every rule, most urgent first: the order Today ranks prompts in (police notifications
    /// and escalation stages past their time before the patterns that build up over weeks).
    pub const ALL: [PromptRule; 7] = [
        PromptRule::EncompassOverdue,
        PromptRule::EscalationStageOverdue,
        PromptRule::NfaWhileConcernsContinue,
        PromptRule::ReferralWithoutDecision,
        PromptRule::EncompassSiblings,
        PromptRule::AccumulatingConcerns,
        PromptRule::ChildsVoiceAbsent,
    ];

    /// What Today calls a group of this rule's prompts.
    pub fn label(self) -> &'static str {
        match self {
            PromptRule::EncompassOverdue => "Police notifications not yet acted on",
            PromptRule::EscalationStageOverdue => "Escalation stages past their due date",
            PromptRule::NfaWhileConcernsContinue => "No further action while concerns continue",
            PromptRule::ReferralWithoutDecision => "Referrals waiting for a decision",
            PromptRule::EncompassSiblings => "Siblings of children on a notification",
            PromptRule::AccumulatingConcerns => "Concerns building up in a family",
            PromptRule::ChildsVoiceAbsent => "The child's voice not recorded",
        }
    }
}

/// A record a prompt points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: Id,
    pub pupil_id: Option<Id>,
    pub at: DateTime<Utc>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Prompt {
    /// Stable for the same rule and subject, so a dismissal can refer to it.
    pub key: String,
    pub rule: PromptRule,
    pub title: String,
    /// The rule, the records and the dates that triggered it, in a sentence or two.
    pub why: String,
    /// What to consider doing.
    pub action: String,
    pub pupils: Vec<(Id, String)>,
    /// Since when the prompt applies.
    pub since: DateTime<Utc>,
    pub records: Vec<RecordRef>,
}

impl Prompt {
    /// The records whose presence makes this prompt fire; a dismissal covers exactly these.
    pub fn trigger_ids(&self) -> BTreeSet<Id> {
        self.records.iter().map(|r| r.id).collect()
    }
}

/// A threshold for one kind of accumulating concern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccumulationRule {
    pub label: String,
    pub categories: Vec<Category>,
    pub count: u32,
    pub weeks: u32,
}

/// The prompts' thresholds (Settings). Defaults and their reasoning: docs/PROMPTS.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PromptSettings {
    /// After no further action, this many new concerns about the child or a sibling…
    pub nfa_concerns: u32,
    /// …within this many weeks prompt "consider escalation".
    pub nfa_weeks: u32,
    /// A child with concerns in this many weeks and no voice entry in them.
    pub voice_absent_weeks: u32,
    /// How recent a notification must be for its siblings to be listed.
    pub encompass_sibling_days: u32,
    pub accumulating: Vec<AccumulationRule>,
}

impl Default for PromptSettings {
    fn default() -> Self {
        PromptSettings {
            nfa_concerns: 3,
            nfa_weeks: 12,
            voice_absent_weeks: 6,
            encompass_sibling_days: 14,
            accumulating: vec![
                AccumulationRule {
                    label: "Neglect indicators".into(),
                    categories: vec![Category::Neglect],
                    count: 4,
                    weeks: 12,
                },
                AccumulationRule {
                    label: "Attendance and missing education".into(),
                    categories: vec![Category::Attendance],
                    count: 3,
                    weeks: 12,
                },
            ],
        }
    }
}

impl PromptSettings {
    pub fn validate(&self) -> Result<()> {
        let in_range = |v: u32, lo: u32, hi: u32| (lo..=hi).contains(&v);
        if !in_range(self.nfa_concerns, 1, 50) || !in_range(self.nfa_weeks, 1, 104) {
            return Err(Error::invalid(
                "no-further-action threshold",
                "concerns 1–50 within 1–104 weeks",
            ));
        }
        if !in_range(self.voice_absent_weeks, 1, 52) {
            return Err(Error::invalid("child's voice threshold", "1–52 weeks"));
        }
        if !in_range(self.encompass_sibling_days, 1, 90) {
            return Err(Error::invalid(
                "Operation Encompass siblings window",
                "1–90 days",
            ));
        }
        if self.accumulating.len() > 20 {
            return Err(Error::invalid("accumulation rules", "at most 20"));
        }
        for a in &self.accumulating {
            crate::records::required("accumulation label", &a.label, crate::records::MAX_SHORT)?;
            if a.categories.is_empty() || !in_range(a.count, 2, 100) || !in_range(a.weeks, 1, 104) {
                return Err(Error::invalid(
                    "accumulation rule",
                    "needs categories, a count of 2–100 and 1–104 weeks",
                ));
            }
        }
        Ok(())
    }

    /// The longest look-back any rule needs.
    pub fn window(&self) -> Duration {
        let weeks = self
            .accumulating
            .iter()
            .map(|a| a.weeks)
            .chain([self.nfa_weeks, self.voice_absent_weeks])
            .max()
            .unwrap_or(12);
        Duration::weeks(weeks as i64)
    }
}

// ---- the snapshot the rules read ----

#[derive(Debug, Clone)]
pub struct ConcernFact {
    pub id: Id,
    pub pupil: Id,
    pub observed_at: DateTime<Utc>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone)]
pub struct ReferralFact {
    pub id: Id,
    pub pupil: Id,
    /// The agency as recorded (its name where given).
    pub agency: String,
    pub made_at: DateTime<Utc>,
    pub decision_due_on: NaiveDate,
    pub decision: Option<(Id, DecisionOutcome, NaiveDate)>,
}

#[derive(Debug, Clone)]
pub struct EscalationFact {
    pub id: Id,
    pub pupil: Id,
    pub agency: String,
    pub opened_at: DateTime<Utc>,
    pub resolved: bool,
    pub stage_id: Id,
    pub stage_no: u32,
    pub stage_name: String,
    pub raised_on: NaiveDate,
    pub due_on: NaiveDate,
    pub responded: bool,
    pub next_stage: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NotificationFact {
    pub id: Id,
    pub received_at: DateTime<Utc>,
    pub respond_by: DateTime<Utc>,
    pub children: Vec<Id>,
    pub open_follow_ups: u32,
}

/// Everything the rules look at, loaded by the session.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub names: HashMap<Id, String>,
    /// Each pupil's year group (Today filters prompts by it; no rule reads it).
    pub years: HashMap<Id, String>,
    /// Pupils of this school sharing a household with each pupil.
    pub siblings: HashMap<Id, BTreeSet<Id>>,
    /// Siblings at other schools or settings, as "Name (school)".
    pub siblings_elsewhere: HashMap<Id, Vec<String>>,
    pub concerns: Vec<ConcernFact>,
    /// Each pupil's most recent voice entry.
    pub last_voice: HashMap<Id, DateTime<Utc>>,
    pub referrals: Vec<ReferralFact>,
    /// Open escalations of the children concerned (a resolved one asks nothing more).
    pub escalations: Vec<EscalationFact>,
    /// When each of those children last had an escalation opened, resolved or not (a
    /// challenge already raised answers the NFA prompt).
    pub last_escalation: HashMap<Id, DateTime<Utc>>,
    pub notifications: Vec<NotificationFact>,
    pub partnership: String,
}

impl Facts {
    fn name(&self, p: &Id) -> String {
        self.names
            .get(p)
            .cloned()
            .unwrap_or_else(|| "a pupil".into())
    }

    fn family(&self, p: Id) -> BTreeSet<Id> {
        let mut f = self.siblings.get(&p).cloned().unwrap_or_default();
        f.insert(p);
        f
    }

    /// The names of these children, in order of name.
    fn names_of<'a>(&self, ids: impl IntoIterator<Item = &'a Id>) -> Vec<String> {
        let mut names: Vec<String> = ids.into_iter().map(|p| self.name(p)).collect();
        names.sort();
        names
    }

    /// The children a prompt names, each once, by name (the same school reads the same way
    /// whatever ids its records were given).
    fn pupils(&self, ids: impl IntoIterator<Item = Id>) -> Vec<(Id, String)> {
        let mut named: Vec<(Id, String)> = ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|p| (p, self.name(&p)))
            .collect();
        named.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        named
    }
}

fn names_list(names: &[String]) -> String {
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn concern_ref(c: &ConcernFact, facts: &Facts) -> RecordRef {
    let cats: Vec<&str> = c.categories.iter().map(|c| c.label()).collect();
    RecordRef {
        kind: RecordKind::Concern,
        id: c.id,
        pupil_id: Some(c.pupil),
        at: c.observed_at,
        label: format!(
            "{}: concern ({}) — {}",
            display_date(london_date(c.observed_at)),
            cats.join(", "),
            facts.name(&c.pupil)
        ),
    }
}

/// Evaluates every rule. The result is in the order Today shows it: by rule (most urgent
/// first), then oldest first.
pub fn evaluate(
    facts: &Facts,
    settings: &PromptSettings,
    cal: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Vec<Prompt> {
    let mut out = Vec::new();
    encompass_overdue(facts, now, &mut out);
    encompass_siblings(facts, settings, now, &mut out);
    referral_without_decision(facts, cal, now, &mut out);
    nfa_while_concerns_continue(facts, settings, now, &mut out);
    escalation_stage_overdue(facts, cal, now, &mut out);
    voice_absent(facts, settings, now, &mut out);
    accumulating(facts, settings, now, &mut out);
    rank(&mut out);
    out
}

/// Most urgent rule first (the enum's order is `PromptRule::ALL`), then longest waiting. Ties
/// by the children named, so the same school reads the same way whatever its ids.
pub fn rank<P: std::borrow::Borrow<Prompt>>(out: &mut [P]) {
    out.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        a.rule
            .cmp(&b.rule)
            .then(a.since.cmp(&b.since))
            .then_with(|| {
                a.pupils
                    .iter()
                    .map(|p| &p.1)
                    .cmp(b.pupils.iter().map(|p| &p.1))
            })
            .then(a.key.cmp(&b.key))
    });
}

fn notification_ref(n: &NotificationFact) -> RecordRef {
    RecordRef {
        kind: RecordKind::Encompass,
        id: n.id,
        pupil_id: None,
        at: n.received_at,
        label: format!(
            "{}: Operation Encompass notification",
            display_london(n.received_at)
        ),
    }
}

fn encompass_overdue(facts: &Facts, now: DateTime<Utc>, out: &mut Vec<Prompt>) {
    for n in facts
        .notifications
        .iter()
        .filter(|n| n.open_follow_ups > 0 && now > n.respond_by)
    {
        out.push(Prompt {
            key: format!("encompass-overdue:{}", n.id),
            rule: PromptRule::EncompassOverdue,
            title: "Operation Encompass notification not yet actioned".into(),
            why: format!(
                "Received {}. The school should act before the start of the next school day ({}); {} of {} children's follow-ups are still open.",
                display_london(n.received_at),
                display_london(n.respond_by),
                n.open_follow_ups,
                n.children.len()
            ),
            action: "See each child today, give the agreed silent or overt support and record what was done.".into(),
            pupils: facts.pupils(n.children.iter().copied()),
            since: n.respond_by,
            records: vec![notification_ref(n)],
        });
    }
}

fn encompass_siblings(
    facts: &Facts,
    settings: &PromptSettings,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    let recent = now - Duration::days(settings.encompass_sibling_days as i64);
    for n in facts
        .notifications
        .iter()
        .filter(|n| n.received_at >= recent || n.open_follow_ups > 0)
    {
        let on: BTreeSet<Id> = n.children.iter().copied().collect();
        let here: BTreeSet<Id> = on
            .iter()
            .flat_map(|c| facts.siblings.get(c).cloned().unwrap_or_default())
            .filter(|s| !on.contains(s))
            .collect();
        let mut elsewhere: Vec<String> = on
            .iter()
            .flat_map(|c| facts.siblings_elsewhere.get(c).cloned().unwrap_or_default())
            .collect();
        elsewhere.sort();
        elsewhere.dedup();
        if here.is_empty() && elsewhere.is_empty() {
            continue;
        }
        let mut why = Vec::new();
        let here_names = facts.names_of(&here);
        if !here.is_empty() {
            why.push(format!(
                "{} at this school live with {} but are not on the notification received {}.",
                names_list(&here_names),
                names_list(&facts.names_of(&on)),
                display_london(n.received_at)
            ));
        }
        if !elsewhere.is_empty() {
            why.push(format!("Siblings at other schools or settings: {}. Consider whether their Key Adult knows.", elsewhere.join("; ")));
        }
        let mut records = vec![notification_ref(n)];
        // The siblings are part of what triggers it: a new sibling brings the prompt back.
        records.extend(here.iter().map(|p| RecordRef {
            kind: RecordKind::Pupil,
            id: *p,
            pupil_id: Some(*p),
            at: n.received_at,
            label: facts.name(p),
        }));
        out.push(Prompt {
            key: format!("encompass-siblings:{}", n.id),
            rule: PromptRule::EncompassSiblings,
            title: "Consider the siblings".into(),
            why: why.join(" "),
            action: if here.is_empty() { "Consider informing the other setting's DSL on a need-to-know basis.".into() } else { "Record for each sibling here whether they were affected (one step each), and consider siblings at other schools.".into() },
            pupils: facts.pupils(on.iter().copied().chain(here.iter().copied())),
            since: n.received_at,
            records,
        });
    }
}

fn referral_without_decision(
    facts: &Facts,
    cal: &WorkingCalendar,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    let today = london_date(now);
    for r in facts
        .referrals
        .iter()
        .filter(|r| r.decision.is_none() && today > r.decision_due_on)
    {
        let waited = cal.working_days_between(london_date(r.made_at), today);
        out.push(Prompt {
            key: format!("referral-chase:{}", r.id),
            rule: PromptRule::ReferralWithoutDecision,
            title: "Chase the referral's decision".into(),
            why: format!(
                "Referral to {} made {}: no decision recorded after {} working days (expected by {}).",
                r.agency,
                display_london(r.made_at),
                waited,
                display_date(r.decision_due_on)
            ),
            action: "Contact the agency for the outcome and record it; if none comes, consider escalation.".into(),
            pupils: facts.pupils([r.pupil]),
            since: crate::time::noon_london(r.decision_due_on),
            records: vec![RecordRef { kind: RecordKind::Referral, id: r.id, pupil_id: Some(r.pupil), at: r.made_at, label: format!("{}: referral to {}", display_london(r.made_at), r.agency) }],
        });
    }
}

fn nfa_while_concerns_continue(
    facts: &Facts,
    settings: &PromptSettings,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    let today = london_date(now);
    // The latest referral that ended without action (NFA, or no decision past its timescale), per family.
    let mut latest: BTreeMap<BTreeSet<Id>, (&ReferralFact, DateTime<Utc>)> = BTreeMap::new();
    for r in &facts.referrals {
        let ended = match r.decision {
            Some((_, DecisionOutcome::NoFurtherAction, received)) => {
                Some(crate::time::noon_london(received))
            }
            None if today > r.decision_due_on => Some(crate::time::noon_london(r.decision_due_on)),
            _ => None,
        };
        let Some(ended) = ended else { continue };
        let family = facts.family(r.pupil);
        let later = latest
            .get(&family)
            .is_none_or(|(prev, _)| r.made_at > prev.made_at);
        if later {
            latest.insert(family, (r, ended));
        }
    }
    // Indexes by pupil, so each family looks only at its own records.
    let mut concerns_of: HashMap<Id, Vec<&ConcernFact>> = HashMap::new();
    for c in &facts.concerns {
        concerns_of.entry(c.pupil).or_default().push(c);
    }
    let mut last_referral: HashMap<Id, DateTime<Utc>> = HashMap::new();
    for o in &facts.referrals {
        let e = last_referral.entry(o.pupil).or_insert(o.made_at);
        *e = (*e).max(o.made_at);
    }
    let mut last_escalation: HashMap<Id, DateTime<Utc>> = facts.last_escalation.clone();
    for e in &facts.escalations {
        let x = last_escalation.entry(e.pupil).or_insert(e.opened_at);
        *x = (*x).max(e.opened_at);
    }
    for (family, (r, ended)) in latest {
        // A later referral with another outcome, or a challenge already raised, answers the prompt.
        let answered = family.iter().any(|p| {
            last_referral.get(p).is_some_and(|t| *t > r.made_at)
                || last_escalation.get(p).is_some_and(|t| *t >= r.made_at)
        });
        if answered {
            continue;
        }
        let window_start = ended.max(now - Duration::weeks(settings.nfa_weeks as i64));
        let mut since: Vec<&ConcernFact> = family
            .iter()
            .flat_map(|p| concerns_of.get(p).map(Vec::as_slice).unwrap_or(&[]))
            .copied()
            .filter(|c| c.observed_at > window_start && c.observed_at <= now)
            .collect();
        if since.len() < settings.nfa_concerns as usize {
            continue;
        }
        since.sort_by_key(|c| c.observed_at);
        let who: BTreeSet<Id> = since.iter().map(|c| c.pupil).collect();
        let outcome = match r.decision {
            Some((_, _, received)) => {
                format!("ended in no further action on {}", display_date(received))
            }
            None => format!(
                "has had no decision since {}",
                display_date(r.decision_due_on)
            ),
        };
        let mut records = vec![RecordRef {
            kind: RecordKind::Referral,
            id: r.id,
            pupil_id: Some(r.pupil),
            at: r.made_at,
            label: format!("{}: referral to {}", display_london(r.made_at), r.agency),
        }];
        if let Some((d, _, received)) = r.decision {
            records.push(RecordRef {
                kind: RecordKind::Decision,
                id: d,
                pupil_id: Some(r.pupil),
                at: crate::time::noon_london(received),
                label: format!("{}: no further action", display_date(received)),
            });
        }
        records.extend(since.iter().map(|c| concern_ref(c, facts)));
        out.push(Prompt {
            key: format!("nfa-continue:{}", r.id),
            rule: PromptRule::NfaWhileConcernsContinue,
            title: "Concerns continue after no further action: consider escalation".into(),
            why: format!(
                "The referral about {} made {} {}. Since then {} new concerns about {} (threshold: {} within {} weeks).",
                facts.name(&r.pupil),
                display_date(london_date(r.made_at)),
                outcome,
                since.len(),
                names_list(&facts.names_of(&who)),
                settings.nfa_concerns,
                settings.nfa_weeks
            ),
            action: format!("Consider re-referring or escalating under the {} resolution and escalation procedure.", facts.partnership),
            pupils: facts.pupils(family.iter().copied()),
            since: since[settings.nfa_concerns as usize - 1].observed_at,
            records,
        });
    }
}

fn escalation_stage_overdue(
    facts: &Facts,
    cal: &WorkingCalendar,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    let today = london_date(now);
    for e in facts
        .escalations
        .iter()
        .filter(|e| !e.resolved && !e.responded && today > e.due_on)
    {
        let late = cal.working_days_between(e.due_on, today);
        out.push(Prompt {
            key: format!("escalation-overdue:{}", e.stage_id),
            rule: PromptRule::EscalationStageOverdue,
            title: "Escalation stage past its due date".into(),
            why: format!(
                "Stage {} ({}) raised on {} with {} was due a response by {}: {} working days ago, and none is recorded.",
                e.stage_no,
                e.stage_name,
                display_date(e.raised_on),
                e.agency,
                display_date(e.due_on),
                late
            ),
            action: match &e.next_stage {
                Some(next) => format!("Move to stage {}: {}.", e.stage_no + 1, next),
                None => "This is the procedure's last stage: seek advice from the safeguarding partnership.".into(),
            },
            pupils: facts.pupils([e.pupil]),
            since: crate::time::noon_london(e.due_on),
            records: vec![RecordRef { kind: RecordKind::EscalationStage, id: e.stage_id, pupil_id: Some(e.pupil), at: crate::time::noon_london(e.raised_on), label: format!("{}: escalation stage {} ({})", display_date(e.raised_on), e.stage_no, e.stage_name) }],
        });
    }
}

fn voice_absent(
    facts: &Facts,
    settings: &PromptSettings,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    let start = now - Duration::weeks(settings.voice_absent_weeks as i64);
    let mut by_pupil: BTreeMap<Id, Vec<&ConcernFact>> = BTreeMap::new();
    for c in facts
        .concerns
        .iter()
        .filter(|c| c.observed_at > start && c.observed_at <= now)
    {
        by_pupil.entry(c.pupil).or_default().push(c);
    }
    for (pupil, mut cs) in by_pupil {
        let last = facts.last_voice.get(&pupil).copied();
        if last.is_some_and(|v| v > start) {
            continue;
        }
        cs.sort_by_key(|c| c.observed_at);
        out.push(Prompt {
            key: format!("voice-absent:{pupil}"),
            rule: PromptRule::ChildsVoiceAbsent,
            title: "The child's voice is missing".into(),
            why: format!(
                "{} concern{} about {} since {}, and {}.",
                cs.len(),
                if cs.len() == 1 { "" } else { "s" },
                facts.name(&pupil),
                display_date(london_date(cs[0].observed_at)),
                match last {
                    Some(v) => format!("their own words were last recorded on {}", display_date(london_date(v))),
                    None => "their own words have never been recorded".into(),
                }
            ),
            action: "Talk with the child (\"Tell me what it's like for you on a normal day?\") and record their words, wishes and feelings.".into(),
            pupils: facts.pupils([pupil]),
            since: cs[0].observed_at,
            records: cs.iter().map(|c| concern_ref(c, facts)).collect(),
        });
    }
}

fn accumulating(
    facts: &Facts,
    settings: &PromptSettings,
    now: DateTime<Utc>,
    out: &mut Vec<Prompt>,
) {
    for rule in &settings.accumulating {
        let start = now - Duration::weeks(rule.weeks as i64);
        let mut by_family: BTreeMap<BTreeSet<Id>, Vec<&ConcernFact>> = BTreeMap::new();
        for c in facts.concerns.iter().filter(|c| {
            c.observed_at > start
                && c.observed_at <= now
                && c.categories.iter().any(|k| rule.categories.contains(k))
        }) {
            by_family.entry(facts.family(c.pupil)).or_default().push(c);
        }
        for (family, mut cs) in by_family {
            if cs.len() < rule.count as usize {
                continue;
            }
            cs.sort_by_key(|c| c.observed_at);
            let who: BTreeSet<Id> = cs.iter().map(|c| c.pupil).collect();
            let first = family.iter().next().copied().unwrap_or_default();
            out.push(Prompt {
                key: format!("accumulating:{}:{}", rule.label.to_lowercase().replace(' ', "-"), first),
                rule: PromptRule::AccumulatingConcerns,
                title: format!("{} accumulating", rule.label),
                why: format!(
                    "{} concerns ({}) about {} in the last {} weeks (threshold {}).",
                    cs.len(),
                    rule.label.to_lowercase(),
                    names_list(&facts.names_of(&who)),
                    rule.weeks,
                    rule.count
                ),
                action: "Read the family chronology as a whole and decide whether the pattern meets the threshold for early help or a referral.".into(),
                pupils: facts.pupils(family.iter().copied()),
                since: cs[rule.count as usize - 1].observed_at,
                records: cs.iter().map(|c| concern_ref(c, facts)).collect(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_urgency_order_is_the_rules_own_order() {
        let mut sorted = PromptRule::ALL;
        sorted.sort();
        assert_eq!(
            sorted,
            PromptRule::ALL,
            "evaluate sorts by the enum: keep ALL in step"
        );
    }

    #[test]
    fn voice_absent_fires_only_without_a_recent_voice_entry() {
        let p = Uuid::now_v7();
        let mut f = Facts::default();
        f.concerns.push(ConcernFact {
            id: Uuid::now_v7(),
            pupil: p,
            observed_at: at(10),
            categories: vec![Category::Neglect],
        });
        let s = PromptSettings::default();
        let cal = WorkingCalendar::default();
        assert_eq!(
            evaluate(&f, &s, &cal, at(20))
                .iter()
                .filter(|p| p.rule == PromptRule::ChildsVoiceAbsent)
                .count(),
            1
        );
        f.last_voice.insert(p, at(15));
        assert_eq!(
            evaluate(&f, &s, &cal, at(20))
                .iter()
                .filter(|p| p.rule == PromptRule::ChildsVoiceAbsent)
                .count(),
            0
        );
    }

    #[test]
    fn prompts_are_ordered_by_rule_then_age() {
        let p = Uuid::now_v7();
        let mut f = Facts::default();
        for d in [3, 5, 6, 9] {
            f.concerns.push(ConcernFact {
                id: Uuid::now_v7(),
                pupil: p,
                observed_at: at(d),
                categories: vec![Category::Neglect],
            });
        }
        f.referrals.push(ReferralFact {
            id: Uuid::now_v7(),
            pupil: p,
            agency: "MASH".into(),
            made_at: at(2),
            decision_due_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            decision: None,
        });
        let got = evaluate(
            &f,
            &PromptSettings::default(),
            &WorkingCalendar::default(),
            at(20),
        );
        let rules: Vec<PromptRule> = got.iter().map(|p| p.rule).collect();
        let mut sorted = rules.clone();
        sorted.sort();
        assert_eq!(rules, sorted);
        assert!(
            rules.contains(&PromptRule::NfaWhileConcernsContinue),
            "no decision past the timescale counts as ended"
        );
        assert!(rules.contains(&PromptRule::ReferralWithoutDecision));
        assert!(rules.contains(&PromptRule::AccumulatingConcerns));
    }

    #[test]
    fn default_settings_are_valid_and_bad_ones_are_refused() {
        PromptSettings::default().validate().unwrap();
        let s = PromptSettings {
            nfa_concerns: 0,
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let mut s = PromptSettings::default();
        s.accumulating[0].categories.clear();
        assert!(s.validate().is_err());
    }
}
