//! The fictional demo school: a rich, realistic, clearly invented history so a newcomer can try
//! the desk. Every record type appears, siblings are linked, one escalation is in progress.
//!
//! The history is data (`assets/demo/larkfield.json`): steps in the order they happened at the
//! desk, each one call of the same `Session` API the window uses. Times in it are relative to the
//! demo's day, so Today always has something on it, and the same day makes the same school.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::calendar::{CalendarConfig, WorkingCalendar};
use crate::clock::ManualClock;
use crate::error::{Error, Result};
use crate::keyring::KdfParams;
use crate::records::*;
use crate::secret::{Passphrase, RecoveryKey};
use crate::session::{Session, StaffSession, StoreOptions, create_store, unlock, unlock_staff};

pub const DSL_NAME: &str = "Rachel Adeyemi";
pub const DEPUTY_NAME: &str = "Tom Whitfield";
pub const HEAD_NAME: &str = "Priya Shah";
pub const STAFF_NAME: &str = "Daniel Okoro";

/// The demo school's history (see the file's "about").
const HISTORY: &str = include_str!("../assets/demo/larkfield.json");

/// Files the history attaches, by the name it gives them.
const ASSETS: &[(&str, &[u8])] = &[(
    "staff-concern-form.png",
    include_bytes!("../assets/demo/staff-concern-form.png"),
)];

/// One step of the history, after its relative times and references are resolved.
#[derive(Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
enum Action {
    CreateStore {
        dsl: String,
        school: SchoolDetails,
    },
    AddUser {
        name: String,
        role: Role,
    },
    /// Signs the current user out and unlocks as `user` (staff get a staff session).
    Unlock {
        user: String,
    },
    SetCalendar {
        calendar: CalendarConfig,
    },
    AddPupil {
        pupil: PupilDetails,
    },
    AddHousehold {
        household: HouseholdDetails,
    },
    AddMember {
        member: NewHouseholdMember,
    },
    RecordConcern {
        concern: NewConcern,
    },
    AttachFile {
        record: Id,
        file_name: String,
        media_type: String,
        asset: String,
    },
    RecordVoice {
        voice: NewVoice,
    },
    RecordReferral {
        referral: NewReferral,
    },
    RecordDecision {
        referral: Id,
        decision: DecisionDetails,
    },
    OpenEscalation {
        escalation: NewEscalation,
    },
    RecordEscalationResponse {
        escalation: Id,
        response: String,
    },
    AdvanceEscalation {
        escalation: Id,
        stage: StageDetails,
    },
    AddReviewComment {
        escalation: Id,
        comment: String,
    },
    RecordEncompass {
        notification: NewEncompass,
    },
    AddFollowUp {
        follow_up: NewFollowUp,
    },
    CompleteFollowUp {
        follow_up: Id,
        outcome: String,
    },
    /// Completes every open follow-up a record made (an Encompass notification's, say).
    CompleteFollowUpsOf {
        source: Id,
        outcome: String,
    },
    Amend {
        kind: RecordKind,
        record: Id,
        field: String,
        value: Value,
        reason: String,
    },
    /// Dismisses the open prompt of `rule` about `pupil`, if the rules raised it on this day.
    DismissPrompt {
        rule: String,
        pupil: Id,
        reason: String,
    },
}

/// The values a step may leave out, as the desk's forms would fill them.
fn defaults(action: &str) -> Value {
    let unknown_stage = json!({ "stage_name": "" });
    match action {
        "add_pupil" => json!({ "pupil": PupilDetails::new("", "", NaiveDate::MIN, "") }),
        "add_member" => {
            json!({ "member": { "pupil_id": null, "details": MemberDetails::pupil_child() } })
        }
        "set_calendar" => json!({ "calendar": CalendarConfig::default() }),
        "record_concern" => {
            json!({ "concern": { "other_children": [], "details": { "body_marks": [] } } })
        }
        "open_escalation" => json!({ "escalation": { "first_stage": unknown_stage } }),
        "advance_escalation" => json!({ "stage": unknown_stage }),
        _ => json!({}),
    }
}

/// Who is acting: a team member holds the database key; staff write to the inbox.
#[allow(clippy::large_enum_variant)] // one value for the whole run: its size costs nothing
enum Acting {
    Team(Session),
    Staff(StaffSession),
    Nobody,
}

struct Timeline {
    clock: Arc<ManualClock>,
    /// The moment the demo is made "as of": nothing is recorded after it.
    end: DateTime<Utc>,
    today: NaiveDate,
    /// The year this academic year's autumn term is in.
    autumn: i32,
    calendar: CalendarConfig,
}

impl Timeline {
    fn new(now: DateTime<Utc>) -> Self {
        let today = crate::time::london_date(now);
        Timeline {
            clock: Arc::new(ManualClock::new(now)),
            end: now,
            today,
            autumn: if today.month() >= 9 {
                today.year()
            } else {
                today.year() - 1
            },
            calendar: CalendarConfig::default(),
        }
    }

    fn days_ago(&self, text: &str) -> Option<NaiveDate> {
        let days: i64 = text.strip_prefix('-')?.strip_suffix('d')?.parse().ok()?;
        Some(self.today - Duration::days(days))
    }

    /// "-95d 08:50": that London time on that day.
    fn moment(&self, text: &str) -> Option<DateTime<Utc>> {
        let (day, time) = text.split_once(' ')?;
        let time = NaiveTime::parse_from_str(time, "%H:%M").ok()?;
        London
            .from_local_datetime(&self.days_ago(day)?.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// A date: "-83d", "-8y-03-14", "autumn-10-26", "autumn+1-01-01" or "-4d+3wd".
    fn date(&self, text: &str) -> Option<NaiveDate> {
        if let Some((from, working)) = text.split_once('+').filter(|(_, w)| w.ends_with("wd")) {
            let n: i64 = working.strip_suffix("wd")?.parse().ok()?;
            let due = WorkingCalendar::new(self.calendar.clone())
                .add_working_days(self.days_ago(from)?, n);
            return Some(due.max(self.today));
        }
        if let Some(d) = self.days_ago(text) {
            return Some(d);
        }
        let (year, month_day) = if let Some(rest) = text.strip_prefix("autumn") {
            let (offset, md) = match rest.strip_prefix("+1") {
                Some(md) => (1, md),
                None => (0, rest),
            };
            (self.autumn + offset, md.strip_prefix('-')?)
        } else {
            let (years, md) = text.strip_prefix('-')?.split_once("y-")?;
            (self.today.year() - years.parse::<i32>().ok()?, md)
        };
        let (m, d) = month_day.split_once('-')?;
        NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
    }
}

/// Turns "@…" times and "$name" references into the values the records hold.
fn resolve(
    v: &mut Value,
    tl: &Timeline,
    named: &HashMap<String, Id>,
) -> std::result::Result<(), String> {
    match v {
        Value::String(s) if s.starts_with('$') => {
            let id = named
                .get(&s[1..])
                .ok_or_else(|| format!("{s} names no earlier record"))?;
            *s = id.to_string();
        }
        Value::String(s) if s.starts_with('@') => {
            let text = &s[1..];
            *s = if let Some(t) = tl.moment(text) {
                t.to_rfc3339()
            } else if let Some(d) = tl.date(text) {
                d.to_string()
            } else {
                return Err(format!("{s} is not a time this history understands"));
            };
        }
        Value::Array(items) => {
            for item in items {
                resolve(item, tl, named)?;
            }
        }
        Value::Object(fields) => {
            for item in fields.values_mut() {
                resolve(item, tl, named)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `given` over `base`: objects merge field by field; anything else given replaces.
fn overlay(base: Value, given: Value) -> Value {
    match (base, given) {
        (Value::Object(mut b), Value::Object(g)) => {
            for (k, v) in g {
                let merged = match b.remove(&k) {
                    Some(old) => overlay(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, given) => given,
    }
}

fn take_text(
    step: &mut Map<String, Value>,
    key: &str,
) -> std::result::Result<Option<String>, String> {
    match step.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"{key}\" must be text")),
    }
}

fn typed<T: DeserializeOwned>(v: Value) -> std::result::Result<T, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Creates the demo store as of `now` (its history is dated back from then). Every demo
/// user's passphrase is `passphrase`.
pub fn create(
    dir: &Path,
    passphrase: &Passphrase,
    kdf: KdfParams,
    now: DateTime<Utc>,
) -> Result<(String, RecoveryKey)> {
    create_from(HISTORY, dir, passphrase, kdf, now)
}

fn create_from(
    history: &str,
    dir: &Path,
    passphrase: &Passphrase,
    kdf: KdfParams,
    now: DateTime<Utc>,
) -> Result<(String, RecoveryKey)> {
    let history: Value = serde_json::from_str(history).map_err(|e| bug(0, "", &e.to_string()))?;
    let steps = history
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| bug(0, "", "the history has no \"steps\""))?;
    let mut tl = Timeline::new(now);
    let mut opts = StoreOptions::new(tl.clock.clone());
    opts.kdf = kdf;
    let mut run = Run {
        dir,
        passphrase,
        opts,
        acting: Acting::Nobody,
        named: HashMap::new(),
        users: Vec::new(),
        school: String::new(),
        key: None,
    };
    for (i, step) in steps.iter().enumerate() {
        let number = i + 1;
        let Some(mut step) = step.as_object().cloned() else {
            return Err(bug(number, "", "a step must be an object"));
        };
        if step.contains_key("note") && step.len() == 1 {
            continue;
        }
        let (at, name, what) = (|| {
            Ok::<_, String>((
                take_text(&mut step, "at")?,
                take_text(&mut step, "as")?,
                step.get("do")
                    .and_then(Value::as_str)
                    .ok_or("a step needs \"do\"")?
                    .to_owned(),
            ))
        })()
        .map_err(|e| bug(number, "", &e))?;
        if let Some(at) = at {
            let t = if at == "end" {
                Some(tl.end)
            } else {
                tl.moment(&at)
            };
            let t =
                t.ok_or_else(|| bug(number, &what, &format!("\"at\": {at} is not a moment")))?;
            tl.clock.set(t.min(tl.end));
        }
        let mut value = Value::Object(step);
        resolve(&mut value, &tl, &run.named).map_err(|e| bug(number, &what, &e))?;
        let action: Action =
            typed(overlay(defaults(&what), value)).map_err(|e| bug(number, &what, &e))?;
        if let Action::SetCalendar { calendar } = &action {
            tl.calendar = calendar.clone();
        }
        let made = run.apply(action).map_err(|e| match e {
            Step::Refused(e) => e,
            Step::Bad(reason) => bug(number, &what, &reason),
        })?;
        match (name, made) {
            (Some(name), Some(id)) => {
                run.named.insert(name, id);
            }
            (Some(_), None) => {
                return Err(bug(number, &what, "\"as\" names nothing this step makes"));
            }
            _ => {}
        }
    }
    let key = run
        .key
        .take()
        .ok_or_else(|| bug(0, "", "the history never creates the store"))?;
    run.acting = Acting::Nobody;
    let users = run
        .users
        .iter()
        .map(|(name, role)| format!("{name} ({})", role_label(*role)))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "Created the demo store for {} in {}.\nUsers (all with the passphrase you gave): {users}.",
        run.school,
        dir.display()
    );
    Ok((summary, key))
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Dsl => "DSL",
        Role::Deputy => "deputy DSL",
        Role::Head => "head",
        Role::Staff => "staff",
    }
}

/// A mistake in the compiled-in history is a bug in this build, named with its step.
fn bug(step: usize, action: &str, reason: &str) -> Error {
    Error::Internal {
        detail: format!("demo history, step {step} {action}: {reason}"),
    }
}

enum Step {
    /// The Session refused the step: passed on as it is.
    Refused(Error),
    /// The step itself is wrong.
    Bad(String),
}

impl From<Error> for Step {
    fn from(e: Error) -> Self {
        Step::Refused(e)
    }
}

struct Run<'a> {
    dir: &'a Path,
    passphrase: &'a Passphrase,
    opts: StoreOptions,
    acting: Acting,
    named: HashMap<String, Id>,
    users: Vec<(String, Role)>,
    school: String,
    key: Option<RecoveryKey>,
}

impl Run<'_> {
    fn team(&mut self) -> std::result::Result<&mut Session, Step> {
        match &mut self.acting {
            Acting::Team(s) => Ok(s),
            Acting::Staff(_) => Err(Step::Bad("staff cannot do this; unlock as the team".into())),
            Acting::Nobody => Err(Step::Bad("nobody is unlocked".into())),
        }
    }

    /// Does one step; returns the id of what it made, if anything.
    fn apply(&mut self, action: Action) -> std::result::Result<Option<Id>, Step> {
        let id = match action {
            Action::CreateStore { dsl, school } => {
                let (s, key) =
                    create_store(self.dir, &school, &dsl, self.passphrase, self.opts.clone())?;
                self.key = Some(key);
                self.school = school.name.clone();
                self.users.push((dsl, Role::Dsl));
                self.acting = Acting::Team(s);
                return Ok(None);
            }
            Action::AddUser { name, role } => {
                let pass = self.passphrase;
                let id = self.team()?.add_user(&name, role, pass)?;
                self.users.push((name, role));
                id
            }
            Action::Unlock { user } => {
                let role = self
                    .users
                    .iter()
                    .find(|(name, _)| *name == user)
                    .map(|(_, role)| *role)
                    .ok_or_else(|| Step::Bad(format!("{user} is not a user yet")))?;
                // One session at a time holds the store.
                self.acting = Acting::Nobody;
                self.acting = if role == Role::Staff {
                    Acting::Staff(unlock_staff(
                        self.dir,
                        Some(&user),
                        self.passphrase,
                        self.opts.clone(),
                    )?)
                } else {
                    Acting::Team(unlock(
                        self.dir,
                        Some(&user),
                        self.passphrase,
                        self.opts.clone(),
                    )?)
                };
                return Ok(None);
            }
            Action::SetCalendar { calendar } => {
                self.team()?.set_calendar_config(&calendar)?;
                return Ok(None);
            }
            Action::AddPupil { pupil } => self.team()?.add_pupil(&pupil)?,
            Action::AddHousehold { household } => self.team()?.add_household(&household)?,
            Action::AddMember { member } => self.team()?.add_household_member(&member)?,
            Action::RecordConcern { concern } => match &mut self.acting {
                Acting::Staff(s) => s.record_concern(&concern)?,
                _ => self.team()?.record_concern(&concern)?,
            },
            Action::AttachFile {
                record,
                file_name,
                media_type,
                asset,
            } => {
                let (_, bytes) = ASSETS
                    .iter()
                    .find(|(name, _)| *name == asset)
                    .ok_or_else(|| Step::Bad(format!("no demo asset is called {asset}")))?;
                self.team()?
                    .attach_file(record, &file_name, &media_type, bytes)?
            }
            Action::RecordVoice { voice } => self.team()?.record_voice(&voice)?,
            Action::RecordReferral { referral } => self.team()?.record_referral(&referral)?,
            Action::RecordDecision { referral, decision } => {
                self.team()?.record_decision(referral, &decision)?
            }
            Action::OpenEscalation { escalation } => self.team()?.open_escalation(&escalation)?,
            Action::RecordEscalationResponse {
                escalation,
                response,
            } => self
                .team()?
                .record_escalation_response(escalation, &response)?,
            Action::AdvanceEscalation { escalation, stage } => {
                self.team()?.advance_escalation(escalation, &stage)?
            }
            Action::AddReviewComment {
                escalation,
                comment,
            } => self.team()?.add_review_comment(escalation, &comment)?,
            Action::RecordEncompass { notification } => {
                self.team()?.record_encompass(&notification)?
            }
            Action::AddFollowUp { follow_up } => self.team()?.add_follow_up(&follow_up)?,
            Action::CompleteFollowUp { follow_up, outcome } => {
                self.team()?.complete_follow_up(follow_up, &outcome)?;
                return Ok(None);
            }
            Action::CompleteFollowUpsOf { source, outcome } => {
                let s = self.team()?;
                for f in s.open_follow_ups_for(source)? {
                    s.complete_follow_up(f, &outcome)?;
                }
                return Ok(None);
            }
            Action::Amend {
                kind,
                record,
                field,
                value,
                reason,
            } => {
                self.team()?.amend(kind, record, &field, value, &reason)?;
                return Ok(None);
            }
            Action::DismissPrompt {
                rule,
                pupil,
                reason,
            } => {
                let s = self.team()?;
                let key = format!("{rule}:{pupil}");
                if s.prompts()?.iter().any(|p| p.key == key) {
                    s.dismiss_prompt(&key, &reason)?;
                }
                return Ok(None);
            }
        };
        Ok(Some(id))
    }
}

/// For tests: the demo's users.
pub fn user_names() -> [&'static str; 4] {
    [DSL_NAME, DEPUTY_NAME, HEAD_NAME, STAFF_NAME]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> DateTime<Utc> {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        Utc.from_utc_datetime(&d.and_hms_opt(17, 0, 0).unwrap())
    }

    #[test]
    fn relative_times_are_read_against_the_demo_day() {
        let tl = Timeline::new(at("2026-12-01")); // a Tuesday
        let d = |s: &str| tl.date(s).map(|d| d.to_string());
        assert_eq!(d("-83d").as_deref(), Some("2026-09-09"));
        assert_eq!(d("-8y-03-14").as_deref(), Some("2018-03-14"));
        assert_eq!(d("autumn-10-26").as_deref(), Some("2026-10-26"));
        assert_eq!(d("autumn+1-01-04").as_deref(), Some("2027-01-04"));
        // Friday 27 November + 3 working days is Wednesday 2 December.
        assert_eq!(d("-4d+3wd").as_deref(), Some("2026-12-02"));
        // Never before the demo's day.
        assert_eq!(d("-30d+1wd").as_deref(), Some("2026-12-01"));
        assert_eq!(d("-8y-02-30"), None, "an impossible date is not guessed");
        assert_eq!(d("yesterday"), None);
        // London time: 08:50 in British Summer Time is 07:50 UTC.
        let summer = Timeline::new(at("2026-07-15"));
        assert_eq!(
            summer.moment("-1d 08:50").unwrap().to_rfc3339(),
            "2026-07-14T07:50:00+00:00"
        );
        assert_eq!(tl.moment("-1d 8.50"), None);
        // In the summer holidays "autumn" is the academic year that began the September before.
        assert_eq!(
            summer.date("autumn-09-01").unwrap().to_string(),
            "2025-09-01"
        );
    }

    #[test]
    fn the_history_creates_the_users_the_tests_name() {
        let history: Value = serde_json::from_str(HISTORY).unwrap();
        let mut names = vec![];
        for step in history["steps"].as_array().unwrap() {
            match step["do"].as_str() {
                Some("create_store") => names.push(step["dsl"].as_str().unwrap()),
                Some("add_user") => names.push(step["name"].as_str().unwrap()),
                _ => {}
            }
        }
        assert_eq!(names, user_names());
    }

    /// A mistake in a history is refused with its step and nothing after it is done.
    #[test]
    fn a_mistaken_step_is_named_and_stops_the_history() {
        let start = r#"{ "at": "-10d 08:00", "do": "create_store", "dsl": "A DSL",
            "school": { "name": "Test school", "local_authority": "Test LA" } },
            { "do": "add_pupil", "as": "kim", "pupil": { "legal_first_name": "Kim",
              "legal_last_name": "Lee", "date_of_birth": "@-8y-01-02", "year_group": "Year 3" } }"#;
        let cases = [
            (
                r#"{ "do": "record_voice", "voice": { "pupil_id": "$sam" } }"#,
                "step 3 record_voice: $sam names no earlier record",
            ),
            (
                r#"{ "do": "add_pupil", "pupil": { "legal_frist_name": "Jo" } }"#,
                "unknown field `legal_frist_name`",
            ),
            (
                r#"{ "do": "add_pupil", "pupil": { "date_of_birth": "@-8y-02-30" } }"#,
                "@-8y-02-30 is not a time",
            ),
            (
                r#"{ "do": "fly_to_the_moon" }"#,
                "unknown variant `fly_to_the_moon`",
            ),
            (
                r#"{ "at": "tomorrow", "do": "add_user", "name": "B", "role": "head" }"#,
                "\"at\": tomorrow is not a moment",
            ),
            (
                r#"{ "do": "unlock", "user": "Nobody Here" }"#,
                "Nobody Here is not a user yet",
            ),
            (
                r#"{ "do": "attach_file", "record": "$kim", "file_name": "x.png", "media_type": "image/png", "asset": "missing.png" }"#,
                "no demo asset is called missing.png",
            ),
        ];
        for (step, expected) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("s");
            let history = format!(
                r#"{{ "steps": [ {start}, {step}, {{ "do": "add_user", "name": "After", "role": "head" }} ] }}"#
            );
            let pass = Passphrase::new("demo test passphrase".into());
            let err = create_from(&history, &dir, &pass, KdfParams::MINIMUM, at("2026-12-01"))
                .err()
                .unwrap_or_else(|| panic!("{step} was accepted"));
            assert!(matches!(err, Error::Internal { .. }), "{err}");
            assert!(err.to_string().contains(expected), "{step}: {err}");
            let s = unlock(
                &dir,
                Some("A DSL"),
                &pass,
                StoreOptions::new(Arc::new(ManualClock::new(at("2026-12-01")))),
            )
            .unwrap();
            assert_eq!(
                s.users().unwrap().len(),
                1,
                "nothing after the mistake: {step}"
            );
        }
    }
}
