//! A deterministic large synthetic school for benchmarks: N pupils in families, Y years of
//! concerns, voice entries, follow-ups, referrals and decisions, notifications and escalations,
//! written through the same `Session` API as everything else (in batched transactions).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::clock::ManualClock;
use crate::error::Result;
use crate::keyring::KdfParams;
use crate::records::*;
use crate::secret::Passphrase;
use crate::session::{Session, StoreOptions, create_store};

#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub pupils: u32,
    pub years: u32,
    pub seed: u64,
    /// The last day of the school's history.
    pub today: chrono::NaiveDate,
}

const FIRST: &[&str] = &[
    "Amelia", "Noah", "Olivia", "Muhammad", "Isla", "George", "Ava", "Leo", "Mia", "Arthur", "Zoë",
    "Oscar", "Freya", "Jakub", "Siobhán", "Yusuf", "Grace", "Kacper", "Aisha", "Harry", "Lily",
    "Kai", "Ruby", "Theo",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Khan", "Nowak", "O'Connor", "Mensah", "Patel", "Brown", "Taylor", "Wilson",
    "Evans", "Ahmed", "Kowalski", "Murphy", "Okafor", "Hughes", "Davies", "Ali", "Green", "Walker",
];
const PLACES: &[&str] = &[
    "classroom",
    "playground",
    "dining hall",
    "school gate",
    "library",
    "PE lesson",
    "breakfast club",
    "corridor",
];
const OBSERVATIONS: &[&str] = &[
    "arrived without a coat although it was raining",
    "said they had not eaten since lunch yesterday",
    "had head lice visible",
    "was wearing the same uniform for the third day",
    "had a bruise on the upper arm about 2 cm across",
    "fell asleep during the morning lesson",
    "was collected 50 minutes late with no call from home",
    "became upset when asked about the weekend",
    "said an older child at the park had taken their phone",
    "had no packed lunch and no dinner money",
    "described an argument at home that woke them",
    "was absent for three days with no reason given",
];
const WORDS: &[&str] = &[
    "I was hungry",
    "Mum was asleep",
    "I don't want to go home",
    "My tummy hurts",
    "He shouted at us",
    "I looked after my sister",
    "There was no food",
    "I like it here",
    "Dad said not to tell",
    "I was scared",
];

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

pub(crate) enum Ev {
    Concern { pupil: usize },
    Voice { pupil: usize },
    Referral { pupil: usize },
    Encompass { family: usize },
}

/// Creates the store and returns how many records were written.
pub fn create(dir: &Path, spec: &SeedSpec, passphrase: &Passphrase, kdf: KdfParams) -> Result<u64> {
    // The school's history ends at midday on `spec.today`: the same spec gives the same records.
    let end = crate::time::noon_london(spec.today);
    let start = end - Duration::days(365 * spec.years.max(1) as i64);
    let clock = Arc::new(ManualClock::new(start));
    let mut opts = StoreOptions::new(clock.clone());
    opts.kdf = kdf;
    let school = SchoolDetails {
        name: format!("Seeded School {} (synthetic)", spec.seed),
        local_authority: "Synthetic LA".into(),
        dfe_number: None,
        referral_email: None,
    };
    let (mut s, _key) = create_store(dir, &school, "Seed DSL", passphrase, opts)?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut written = 0u64;

    // Pupils in families of one to four children.
    let mut pupils: Vec<Id> = Vec::with_capacity(spec.pupils as usize);
    let mut families: Vec<Vec<usize>> = Vec::new();
    // Pupils are entered as the school's roll today; their history is then written in time order.
    clock.set(end);
    s.batch(|s| {
        while pupils.len() < spec.pupils as usize {
            let size = [1, 1, 2, 2, 2, 3, 3, 4][rng.random_range(0..8)]
                .min(spec.pupils as usize - pupils.len());
            let last = pick(&mut rng, LAST);
            let hh = s.add_household(&HouseholdDetails {
                name: format!("{last} household"),
                address: None,
            })?;
            let mut fam = Vec::new();
            for _ in 0..size {
                let n = pupils.len();
                let age = rng.random_range(4..12);
                let dob = (end - Duration::days(365 * age + rng.random_range(0..365))).date_naive();
                let first = pick(&mut rng, FIRST);
                let details = PupilDetails {
                    gender: if rng.random_bool(0.5) {
                        "Female".into()
                    } else {
                        "Male".into()
                    },
                    upn: Some(format!("S{:012}", n)),
                    looked_after: rng.random_bool(0.01),
                    protection_status: if rng.random_bool(0.05) {
                        ProtectionStatus::ChildInNeed
                    } else {
                        ProtectionStatus::None
                    },
                    young_carer: rng.random_bool(0.02),
                    attendance_concern: rng.random_bool(0.08),
                    ..PupilDetails::new(first, last, dob, &format!("Year {}", (age - 4).max(0)))
                };
                let id = s.add_pupil(&details)?;
                s.add_household_member(&NewHouseholdMember {
                    household_id: hh,
                    pupil_id: Some(id),
                    details: MemberDetails::pupil_child(),
                })?;
                pupils.push(id);
                fam.push(n);
                written += 2;
            }
            families.push(fam);
        }
        Ok(())
    })?;

    // ~100 records per pupil over ten years, spread in time; the event list is sorted so the
    // store is written in time order, as a real one is.
    let per_pupil_per_year = 10.0;
    let total = (spec.pupils as f64 * spec.years as f64 * per_pupil_per_year) as usize;
    let span = (end - start).num_minutes();
    let mut events: Vec<(i64, Ev)> = Vec::with_capacity(total);
    for _ in 0..total {
        let t = rng.random_range(0..span);
        let pupil = rng.random_range(0..pupils.len());
        let ev = match rng.random_range(0..100) {
            0..=69 => Ev::Concern { pupil },
            70..=84 => Ev::Voice { pupil },
            85..=94 => Ev::Referral { pupil },
            _ => Ev::Encompass {
                family: rng.random_range(0..families.len()),
            },
        };
        events.push((t, ev));
    }
    events.sort_by_key(|e| e.0);
    let decision_lag = Duration::days(4);
    for chunk in events.chunks(5000) {
        s.batch(|s| {
            for (t, ev) in chunk {
                let at = start + Duration::minutes(*t);
                clock.set(at + Duration::minutes(30));
                written += write_event(
                    s,
                    &clock,
                    &mut rng,
                    ev,
                    at,
                    &pupils,
                    &families,
                    end,
                    decision_lag,
                )?;
            }
            Ok(())
        })?;
    }
    clock.set(end);
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_event(
    s: &mut Session,
    clock: &ManualClock,
    rng: &mut ChaCha8Rng,
    ev: &Ev,
    at: DateTime<Utc>,
    pupils: &[Id],
    families: &[Vec<usize>],
    end: DateTime<Utc>,
    lag: Duration,
) -> Result<u64> {
    let old = end - at > Duration::days(30);
    match ev {
        Ev::Concern { pupil } => {
            let cat = Category::ALL[rng.random_range(0..Category::ALL.len())];
            let account = format!(
                "At {} in the {} the pupil {}. {} Staff member noted the time and spoke to the pupil calmly. {}",
                at.format("%H:%M"),
                pick(rng, PLACES),
                pick(rng, OBSERVATIONS),
                pick(rng, OBSERVATIONS).to_string() + ".",
                "The pupil was offered a drink and a quiet space and returned to class."
                    .repeat(rng.random_range(1..6))
            );
            let id = s.record_concern(&NewConcern {
                pupil_id: pupils[*pupil],
                details: ConcernDetails {
                    reporter_name: "Class teacher".into(),
                    reporter_role: "Teacher".into(),
                    observed_at: at,
                    location: pick(rng, PLACES).into(),
                    categories: vec![cat],
                    account,
                    child_words: rng.random_bool(0.4).then(|| pick(rng, WORDS).to_owned()),
                    immediate_action: "DSL informed.".into(),
                    body_marks: vec![],
                },
                other_children: vec![],
            })?;
            if rng.random_bool(0.2) {
                let f = s.add_follow_up(&NewFollowUp {
                    pupil_id: pupils[*pupil],
                    source_id: Some(id),
                    owner_id: None,
                    due_on: (at + Duration::days(3)).date_naive(),
                    details: FollowUpDetails {
                        action: "Check in with the pupil and record what they say.".into(),
                    },
                })?;
                if old || rng.random_bool(0.5) {
                    s.complete_follow_up(
                        f,
                        "Spoken to; pupil settled. No further concern at this time.",
                    )?;
                    return Ok(3);
                }
                return Ok(2);
            }
            Ok(1)
        }
        Ev::Voice { pupil } => {
            s.record_voice(&NewVoice {
                pupil_id: pupils[*pupil],
                details: VoiceDetails {
                    spoken_at: at,
                    words: format!("{}. {}.", pick(rng, WORDS), pick(rng, WORDS)),
                    wishes: Some("To feel safe at home.".into()),
                    feelings: None,
                    non_verbal: None,
                    who_was_present: "Pupil and DSL".into(),
                    context: None,
                },
            })?;
            Ok(1)
        }
        Ev::Referral { pupil } => {
            let r = s.record_referral(&NewReferral {
                pupil_id: pupils[*pupil],
                details: ReferralDetails {
                    made_at: at,
                    agency: Agency::Mash,
                    agency_name: None,
                    method: ReferralMethod::Portal,
                    reference: Some(format!("MASH-{}", rng.random_range(1000..99999))),
                    contact_name: None,
                    parents_aware: Some(true),
                    consent: Consent::Given,
                    no_consent_reason: None,
                    child_view: None,
                    what_was_shared: "The concerns recorded this term.".into(),
                    written_confirmation_sent_on: None,
                },
            })?;
            if end - at > lag * 3 || rng.random_bool(0.7) {
                let received: NaiveDate = (at + lag).date_naive().min(end.date_naive());
                // The decision is recorded when it arrives, not when the referral was made.
                clock.set((at + lag).min(end));
                let outcome = [
                    DecisionOutcome::NoFurtherAction,
                    DecisionOutcome::SignpostedToEarlyHelp,
                    DecisionOutcome::ChildAndFamilyAssessment,
                ][rng.random_range(0..3)];
                s.record_decision(
                    r,
                    &DecisionDetails {
                        received_on: received,
                        outcome,
                        decided_by: None,
                        notes: "Decision received by email.".into(),
                    },
                )?;
                // Some "no further action" decisions are challenged under the local procedure;
                // most challenges get a response and are resolved.
                if outcome == DecisionOutcome::NoFurtherAction && rng.random_bool(0.25) {
                    let stage = |who: &str| StageDetails {
                        stage_name: String::new(),
                        raised_on: received,
                        with_name: who.into(),
                        with_role: "Social worker".into(),
                        with_agency: "MASH".into(),
                        disagreement: "No further action while concerns continue.".into(),
                        evidence: "The concerns recorded since the referral.".into(),
                    };
                    let e = s.open_escalation(&NewEscalation {
                        pupil_id: pupils[*pupil],
                        referral_id: Some(r),
                        details: EscalationDetails {
                            agency: "MASH".into(),
                            subject: "No further action while concerns continue".into(),
                        },
                        first_stage: stage("Duty social worker"),
                    })?;
                    let mut n = 4;
                    if old || rng.random_bool(0.7) {
                        s.record_escalation_response(e, "The decision stands.")?;
                        s.advance_escalation(e, &stage("Team manager"))?;
                        s.record_escalation_response(e, "Assessment agreed.")?;
                        s.resolve_escalation(e, "Child and family assessment started.")?;
                        n += 4;
                    }
                    clock.set(at + Duration::minutes(30));
                    return Ok(n);
                }
                clock.set(at + Duration::minutes(30));
                return Ok(2);
            }
            Ok(1)
        }
        Ev::Encompass { family } => {
            let children: Vec<EncompassChild> = families[*family]
                .iter()
                .map(|&p| EncompassChild {
                    pupil_id: pupils[p],
                    present: Some(rng.random_bool(0.7)),
                    where_during: None,
                    spoken_to: Some(false),
                    what_they_said: None,
                })
                .collect();
            let n = s.record_encompass(&NewEncompass {
                details: EncompassDetails {
                    received_at: at,
                    police_force: "Synthetic Police".into(),
                    officer: "PC 1".into(),
                    police_reference: format!("SP/{}", rng.random_range(10000..99999)),
                    incident_at: at - Duration::hours(8),
                    incident_location: "Home".into(),
                    circumstances: "Verbal argument between adults at the home address.".into(),
                    other_information: None,
                    support: SupportType::Silent,
                },
                children,
            })?;
            let mut count = 1 + families[*family].len() as u64;
            if old || rng.random_bool(0.8) {
                for f in s.open_follow_ups_for(n)? {
                    s.complete_follow_up(
                        f,
                        "Seen before the start of the school day; silent support given.",
                    )?;
                    count += 1;
                }
            }
            Ok(count)
        }
    }
}
