//! The fictional demo school: a rich, realistic, clearly invented history so a newcomer can try
//! the desk. Every record type appears, siblings are linked, one escalation is in progress.
//! Times are relative to the day the demo is made, so Today always has something on it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;

use crate::calendar::{CalendarConfig, DateRange};
use crate::clock::ManualClock;
use crate::error::Result;
use crate::keyring::KdfParams;
use crate::records::*;
use crate::secret::{Passphrase, RecoveryKey};
use crate::session::{StoreOptions, create_store, unlock};

pub const SCHOOL_NAME: &str = "Larkfield Community Primary School (FICTIONAL DEMO)";
pub const DSL_NAME: &str = "Rachel Adeyemi";
pub const DEPUTY_NAME: &str = "Tom Whitfield";
pub const HEAD_NAME: &str = "Priya Shah";
pub const STAFF_NAME: &str = "Daniel Okoro";

/// A fictional staff concern form, as if scanned (assets/demo).
const SCANNED_FORM_PNG: &[u8] = include_bytes!("../assets/demo/staff-concern-form.png");

struct Timeline {
    clock: Arc<ManualClock>,
    /// The moment the demo is made "as of": nothing is recorded after it.
    end: DateTime<Utc>,
    today: NaiveDate,
}

impl Timeline {
    /// `days_ago` days before today at `hh:mm` London time.
    fn at(&self, days_ago: i64, hh: u32, mm: u32) -> DateTime<Utc> {
        let d = self.today - Duration::days(days_ago);
        London
            .from_local_datetime(&d.and_hms_opt(hh, mm, 0).expect("valid"))
            .earliest()
            .expect("valid")
            .with_timezone(&Utc)
    }
    fn date(&self, days_ago: i64) -> NaiveDate {
        self.today - Duration::days(days_ago)
    }
    /// Moves the clock to a moment and returns it.
    fn now(&self, days_ago: i64, hh: u32, mm: u32) -> DateTime<Utc> {
        let t = self.at(days_ago, hh, mm).min(self.end);
        self.clock.set(t);
        t
    }
}

fn pupil(
    first: &str,
    last: &str,
    preferred: Option<&str>,
    dob: (i32, u32, u32),
    gender: &str,
    upn: &str,
    year: &str,
) -> PupilDetails {
    let dob = NaiveDate::from_ymd_opt(dob.0, dob.1, dob.2).expect("valid");
    PupilDetails {
        preferred_name: preferred.map(Into::into),
        gender: gender.into(),
        upn: Some(upn.into()),
        first_language: Some("English".into()),
        ..PupilDetails::new(first, last, dob, year)
    }
}

fn member(
    name: Option<&str>,
    relationship: &str,
    is_child: bool,
    parental_responsibility: bool,
    risks: Option<&str>,
) -> MemberDetails {
    let base = match name {
        Some(n) => MemberDetails::person(n, relationship, is_child),
        None => MemberDetails::pupil_child(),
    };
    MemberDetails {
        parental_responsibility,
        known_risks: risks.map(Into::into),
        ..base
    }
}

#[allow(clippy::too_many_arguments)]
fn concern(
    reporter: (&str, &str),
    observed_at: DateTime<Utc>,
    location: &str,
    categories: &[Category],
    account: &str,
    child_words: Option<&str>,
    action: &str,
) -> ConcernDetails {
    ConcernDetails {
        reporter_name: reporter.0.into(),
        reporter_role: reporter.1.into(),
        observed_at,
        location: location.into(),
        categories: categories.to_vec(),
        account: account.into(),
        child_words: child_words.map(Into::into),
        immediate_action: action.into(),
        body_marks: vec![],
    }
}

fn stage(
    raised_on: NaiveDate,
    who: (&str, &str, &str),
    disagreement: &str,
    evidence: &str,
) -> StageDetails {
    StageDetails {
        stage_name: String::new(),
        raised_on,
        with_name: who.0.into(),
        with_role: who.1.into(),
        with_agency: who.2.into(),
        disagreement: disagreement.into(),
        evidence: evidence.into(),
    }
}

/// Creates the demo store as of `now` (its history is dated back from then). Every demo
/// user's passphrase is `passphrase`.
pub fn create(
    dir: &Path,
    passphrase: &Passphrase,
    kdf: KdfParams,
    now: DateTime<Utc>,
) -> Result<(String, RecoveryKey)> {
    let tl = Timeline {
        clock: Arc::new(ManualClock::new(now)),
        end: now,
        today: crate::time::london_date(now),
    };
    let mut opts = StoreOptions::new(tl.clock.clone());
    opts.kdf = kdf;
    tl.now(120, 8, 0);
    let school = SchoolDetails {
        name: SCHOOL_NAME.into(),
        local_authority: "Westmere Borough Council (fictional)".into(),
        dfe_number: Some("999/9999".into()),
        referral_email: Some("mash@westmere.example".into()),
    };
    let (mut dsl, key) = create_store(dir, &school, DSL_NAME, passphrase, opts.clone())?;
    dsl.add_user(DEPUTY_NAME, Role::Deputy, passphrase)?;
    dsl.add_user(HEAD_NAME, Role::Head, passphrase)?;
    dsl.add_user(STAFF_NAME, Role::Staff, passphrase)?;
    let year = tl
        .today
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2026);
    let ymd = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).expect("valid");
    let autumn = if tl
        .today
        .format("%m")
        .to_string()
        .parse::<u32>()
        .unwrap_or(1)
        >= 9
    {
        year
    } else {
        year - 1
    };
    dsl.set_calendar_config(&CalendarConfig {
        extra_bank_holidays: vec![],
        school_holidays: vec![
            DateRange {
                start: ymd(autumn, 10, 26),
                end: ymd(autumn, 10, 30),
                label: "Autumn half term".into(),
            },
            DateRange {
                start: ymd(autumn, 12, 21),
                end: ymd(autumn + 1, 1, 1),
                label: "Christmas holidays".into(),
            },
            DateRange {
                start: ymd(autumn + 1, 2, 15),
                end: ymd(autumn + 1, 2, 19),
                label: "Spring half term".into(),
            },
            DateRange {
                start: ymd(autumn + 1, 3, 29),
                end: ymd(autumn + 1, 4, 9),
                label: "Easter holidays".into(),
            },
        ],
        inset_days: vec![ymd(autumn, 9, 1), ymd(autumn + 1, 1, 4)],
        ..CalendarConfig::default()
    })?;

    // ---- pupils and families ----
    let mut liam_d = pupil(
        "Liam",
        "Brennan",
        None,
        (year - 8, 3, 14),
        "Male",
        "A999123400001",
        "Year 3",
    );
    liam_d.address = Some("14 Alder Court, Westmere WM4 2QT".into());
    liam_d.ethnicity = Some("White British".into());
    liam_d.gp = Some("Alder Street Surgery".into());
    liam_d.protection_status = ProtectionStatus::EarlyHelp;
    liam_d.attendance_concern = true;
    liam_d.identity_notes = Some("Liam supports Westmere Rovers and talks about his grandad, who he used to visit on Sundays.".into());
    let liam = dsl.add_pupil(&liam_d)?;
    let mut ava_d = pupil(
        "Ava",
        "Brennan",
        None,
        (year - 10, 7, 2),
        "Female",
        "A999123400002",
        "Year 5",
    );
    ava_d.address = liam_d.address.clone();
    ava_d.ethnicity = Some("White British".into());
    ava_d.young_carer = true;
    let ava = dsl.add_pupil(&ava_d)?;
    let mut noah_d = pupil(
        "Noah",
        "Brennan",
        None,
        (year - 5, 1, 20),
        "Male",
        "A999123400003",
        "Reception",
    );
    noah_d.address = liam_d.address.clone();
    noah_d.sen_disability = Some("Speech and language delay; awaiting assessment.".into());
    let noah = dsl.add_pupil(&noah_d)?;

    let mut zoe_d = pupil(
        "Zoë",
        "Nowak-Łukasiewicz",
        None,
        (year - 9, 11, 5),
        "Female",
        "A999123400004",
        "Year 4",
    );
    zoe_d.address = Some("Flat 3, 22 Harbour Road, Westmere WM1 7LS".into());
    zoe_d.ethnicity = Some("White Polish".into());
    zoe_d.religion = Some("Roman Catholic".into());
    zoe_d.first_language = Some("Polish".into());
    zoe_d.identity_notes = Some(
        "Bilingual; attends Polish Saturday school. Mother prefers to speak Polish at meetings."
            .into(),
    );
    let zoe = dsl.add_pupil(&zoe_d)?;
    let mut jakub_d = pupil(
        "Jakub",
        "Nowak-Łukasiewicz",
        Some("Kuba"),
        (year - 6, 4, 18),
        "Male",
        "A999123400005",
        "Year 1",
    );
    jakub_d.address = zoe_d.address.clone();
    jakub_d.first_language = Some("Polish".into());
    let jakub = dsl.add_pupil(&jakub_d)?;

    let mut siobhan_d = pupil(
        "Siobhán",
        "O'Connor",
        None,
        (year - 11, 2, 27),
        "Female",
        "A999123400006",
        "Year 6",
    );
    siobhan_d.religion = Some("Roman Catholic".into());
    siobhan_d.ethnicity = Some("White Irish".into());
    let siobhan = dsl.add_pupil(&siobhan_d)?;
    let mut amir_d = pupil(
        "Amir",
        "Haddad",
        None,
        (year - 9, 9, 9),
        "Male",
        "A999123400007",
        "Year 4",
    );
    amir_d.first_language = Some("Arabic".into());
    amir_d.interpreter_needed = true;
    amir_d.religion = Some("Muslim".into());
    amir_d.looked_after = true;
    amir_d.protection_status = ProtectionStatus::ChildInNeed;
    let amir = dsl.add_pupil(&amir_d)?;
    let mut grace_d = pupil(
        "Grace",
        "Mensah",
        None,
        (year - 7, 5, 30),
        "Female",
        "A999123400008",
        "Year 2",
    );
    grace_d.ethnicity = Some("Black British - Ghanaian".into());
    grace_d.religion = Some("Pentecostal Christian".into());
    let grace = dsl.add_pupil(&grace_d)?;
    let mut oliver_d = pupil(
        "Oliver",
        "Price",
        None,
        (year - 8, 8, 8),
        "Male",
        "A999123400009",
        "Year 3",
    );
    oliver_d.address = Some("7 Mill Lane, Westmere WM3 9DD".into());
    let oliver = dsl.add_pupil(&oliver_d)?;
    let mut ruby_d = pupil(
        "Ruby",
        "Price",
        None,
        (year - 6, 12, 1),
        "Female",
        "A999123400013",
        "Year 1",
    );
    ruby_d.address = oliver_d.address.clone();
    let ruby = dsl.add_pupil(&ruby_d)?;
    for (f, l, y, upn, yr) in [
        ("Maya", "Patel", 10, "A999123400010", "Year 5"),
        ("Harry", "Wood", 6, "A999123400011", "Year 1"),
        ("Isla", "Hughes", 11, "A999123400012", "Year 6"),
    ] {
        dsl.add_pupil(&pupil(
            f,
            l,
            None,
            (year - y, 6, 1),
            "Not recorded",
            upn,
            yr,
        ))?;
    }

    let brennans = dsl.add_household(&HouseholdDetails {
        name: "Brennan household".into(),
        address: liam_d.address.clone(),
    })?;
    for p in [liam, ava, noah] {
        dsl.add_household_member(&NewHouseholdMember {
            household_id: brennans,
            pupil_id: Some(p),
            details: member(None, "child", true, false, None),
        })?;
    }
    dsl.add_household_member(&NewHouseholdMember {
        household_id: brennans,
        pupil_id: None,
        details: member(
            Some("Kelly Brennan"),
            "mother",
            false,
            true,
            Some("Reported to be struggling with her mental health; works night shifts."),
        ),
    })?;
    dsl.add_household_member(&NewHouseholdMember { household_id: brennans, pupil_id: None, details: member(Some("Craig Dunmore"), "mother's partner", false, false, Some("Police information (Operation Encompass, earlier this year) of a domestic incident at a previous address.")) })?;
    let mut kyle = member(Some("Kyle Brennan"), "brother", true, false, None);
    kyle.school_or_setting = Some("Westmere Academy, Year 8".into());
    dsl.add_household_member(&NewHouseholdMember {
        household_id: brennans,
        pupil_id: None,
        details: kyle,
    })?;
    let prices = dsl.add_household(&HouseholdDetails {
        name: "Price household".into(),
        address: oliver_d.address.clone(),
    })?;
    for p in [oliver, ruby] {
        dsl.add_household_member(&NewHouseholdMember {
            household_id: prices,
            pupil_id: Some(p),
            details: member(None, "child", true, false, None),
        })?;
    }
    dsl.add_household_member(&NewHouseholdMember {
        household_id: prices,
        pupil_id: None,
        details: member(Some("Dean Price"), "father", false, true, None),
    })?;
    let nowaks = dsl.add_household(&HouseholdDetails {
        name: "Nowak-Łukasiewicz household".into(),
        address: zoe_d.address.clone(),
    })?;
    for p in [zoe, jakub] {
        dsl.add_household_member(&NewHouseholdMember {
            household_id: nowaks,
            pupil_id: Some(p),
            details: member(None, "child", true, false, None),
        })?;
    }
    dsl.add_household_member(&NewHouseholdMember {
        household_id: nowaks,
        pupil_id: None,
        details: member(Some("Anna Nowak"), "mother", false, true, None),
    })?;
    dsl.add_household_member(&NewHouseholdMember {
        household_id: nowaks,
        pupil_id: None,
        details: member(
            Some("Marek Łukasiewicz"),
            "father",
            false,
            true,
            Some("Subject of the police notification (domestic incident)."),
        ),
    })?;

    let teacher = (STAFF_NAME, "Class teacher, Year 3");
    let ta = ("Jo Barnes", "Teaching assistant, Reception");

    // ---- the Brennans: small concerns accumulating, referrals, no further action, challenge ----
    tl.now(95, 9, 40);
    let c1 = dsl.record_concern(&NewConcern {
        pupil_id: liam,
        details: concern(teacher, tl.at(95, 8, 50), "Year 3 classroom", &[Category::Neglect],
            "Liam arrived at 08:50 in the same shirt as on Friday, with dried food on the front. He ate two slices of toast at breakfast club and asked for a third. His shoes have a split along the left sole.",
            Some("I didn't have tea last night cos mum was at work."),
            "Gave breakfast from breakfast club. Informed DSL at 09:30."),
        other_children: vec![],
    })?;
    tl.now(95, 11, 0);
    dsl.attach_file(
        c1,
        "Staff concern form - scanned.png",
        "image/png",
        SCANNED_FORM_PNG,
    )?;
    tl.now(88, 12, 30);
    dsl.record_concern(&NewConcern {
        pupil_id: noah,
        details: concern(ta, tl.at(88, 10, 15), "Reception outdoor area", &[Category::Neglect],
            "Noah had head lice visible in his hair and was scratching. His coat was too small to fasten. He said he was cold at 10:15 when the class went outside.",
            Some("My coat doesn't do up."),
            "Lent a coat from lost property. Letter about head lice sent home."),
        other_children: vec![],
    })?;
    tl.now(85, 15, 30);
    let mut ava_voice = VoiceDetails {
        spoken_at: tl.at(85, 14, 0),
        words: "I do the tea for Noah and Liam when mum's at work. Craig is asleep. I like doing it but sometimes I'm too tired for my spellings.".into(),
        wishes: Some("Wants to go to the after-school art club like her friend.".into()),
        feelings: Some("Said she feels 'tired and a bit worried' about her brothers.".into()),
        non_verbal: Some("Looked down and pulled her sleeves over her hands when talking about the evenings.".into()),
        who_was_present: "Ava and Rachel Adeyemi (DSL), in the library".into(),
        context: Some("'Tell me what it's like for you on a normal day?'".into()),
    };
    dsl.record_voice(&NewVoice {
        pupil_id: ava,
        details: ava_voice.clone(),
    })?;
    tl.now(84, 10, 0);
    let r1 = dsl.record_referral(&NewReferral {
        pupil_id: liam,
        details: ReferralDetails {
            made_at: tl.at(84, 9, 45),
            agency: Agency::Mash,
            agency_name: Some("Westmere MASH".into()),
            method: ReferralMethod::Phone,
            reference: Some("MASH-24-0917".into()),
            contact_name: Some("Duty social worker".into()),
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: Some("Liam said he would like 'someone to help mum so she's not tired'.".into()),
            what_was_shared: "Concerns of neglect across the three Brennan children: hunger, unwashed clothes, head lice, a coat too small; Ava (10) caring for her brothers in the evenings.".into(),
            written_confirmation_sent_on: Some(tl.date(83)),
        },
    })?;
    tl.now(80, 16, 0);
    dsl.record_decision(
        r1,
        &DecisionDetails {
            received_on: tl.date(80),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: Some("MASH team manager".into()),
            notes: "Threshold not met. Advice to school: signpost to early help and food bank."
                .into(),
        },
    )?;
    tl.now(70, 9, 15);
    dsl.record_concern(&NewConcern {
        pupil_id: ava,
        details: concern(("Sam Reid", "Class teacher, Year 5"), tl.at(70, 8, 55), "Year 5 classroom", &[Category::Neglect, Category::YoungCarer],
            "Ava fell asleep at her desk at 08:55. She said she had been up with Noah, who was poorly, until late. She had no packed lunch.",
            Some("Noah was sick and mum wasn't back so I stayed up."),
            "Let Ava rest in the library; school lunch provided. Informed DSL."),
        other_children: vec![OtherChild { pupil_id: Some(noah), name: "Noah Brennan".into(), role: "younger brother, reported unwell at home".into() }],
    })?;
    tl.now(63, 13, 0);
    dsl.record_concern(&NewConcern {
        pupil_id: liam,
        details: concern(teacher, tl.at(63, 11, 20), "Playground", &[Category::Neglect, Category::Attendance],
            "Liam has been absent on 4 of the last 10 school days with no reason given. Today he had a bruise about 3 cm across on his left forearm. Asked how it happened, he said he fell off the sofa.",
            Some("I fell off the sofa. Craig was shouting."),
            "Body map completed. DSL informed at 11:30 and spoke to Liam at 12:10."),
        other_children: vec![],
    })?;
    tl.now(62, 10, 0);
    let r2 = dsl.record_referral(&NewReferral {
        pupil_id: liam,
        details: ReferralDetails {
            made_at: tl.at(62, 9, 30),
            agency: Agency::Mash,
            agency_name: Some("Westmere MASH".into()),
            method: ReferralMethod::Portal,
            reference: Some("MASH-24-1102".into()),
            contact_name: None,
            parents_aware: Some(false),
            consent: Consent::NotSought,
            no_consent_reason: Some("Liam described shouting by an adult in the home; informing parents before social care decide could place him at risk.".into()),
            child_view: None,
            what_was_shared: "Second referral: continued neglect indicators across the siblings, poor attendance, a bruise with Liam's account, Ava's caring role.".into(),
            written_confirmation_sent_on: None,
        },
    })?;
    tl.now(58, 9, 0);
    dsl.record_decision(r2, &DecisionDetails {
        received_on: tl.date(58),
        outcome: DecisionOutcome::NoFurtherAction,
        decided_by: Some("MASH team manager".into()),
        notes: "No further action: explanation for the bruise accepted; family to be offered early help.".into(),
    })?;

    // The DSL challenges: an escalation under the local procedure, now at stage 2.
    tl.now(56, 14, 0);
    let esc = dsl.open_escalation(&NewEscalation {
        pupil_id: liam,
        referral_id: Some(r2),
        details: EscalationDetails { agency: "Westmere children's social care (MASH)".into(), subject: "Two referrals about the Brennan children closed with no further action while neglect concerns continue.".into() },
        first_stage: stage(tl.date(56), ("Duty social worker", "Social worker", "Westmere MASH"),
            "The school believes the threshold for a child and family assessment is met: accumulating neglect across three siblings and a young carer.",
            "Concerns of the last 40 days (hunger, hygiene, head lice, absence, a bruise); Ava's account of caring for her brothers; two referrals."),
    })?;
    tl.now(52, 11, 0);
    dsl.record_escalation_response(esc, "Social worker replied: the decision stands; the family has been sent early help information.")?;
    tl.now(50, 9, 30);
    dsl.advance_escalation(esc, &stage(tl.date(50), ("Team manager", "Team manager", "Westmere MASH"),
        "The response does not address the accumulation of neglect or the caring role of a 10-year-old.",
        "The stage 1 response; early help has not been taken up by the family."))?;

    tl.now(30, 15, 40);
    ava_voice.spoken_at = tl.at(30, 15, 0);
    ava_voice.words = "Craig said if I tell anyone at school we'll get taken away. I don't want to be taken away, I want mum to be OK.".into();
    ava_voice.wishes =
        Some("To stay with her mum and brothers; for 'someone to help at home'.".into());
    dsl.record_voice(&NewVoice {
        pupil_id: ava,
        details: ava_voice,
    })?;
    tl.now(12, 9, 10);
    dsl.record_concern(&NewConcern {
        pupil_id: noah,
        details: concern(ta, tl.at(12, 8, 45), "Reception classroom", &[Category::Neglect],
            "Noah arrived at 08:45 without socks and with a wet nappy under his trousers. He ate his snack quickly and asked for Liam's.",
            None,
            "Changed and given spare clothes. DSL informed."),
        other_children: vec![],
    })?;
    tl.now(5, 10, 0);
    dsl.record_concern(&NewConcern {
        pupil_id: liam,
        details: concern(teacher, tl.at(5, 9, 5), "Year 3 classroom", &[Category::Neglect],
            "Liam said he had not had breakfast or tea. He was wearing the same uniform for the third day and had a strong smell of urine.",
            Some("There wasn't any food. Ava made us toast but the bread was gone."),
            "Breakfast given. DSL informed at 09:20."),
        other_children: vec![],
    })?;

    // ---- Operation Encompass: the Nowak-Łukasiewicz siblings ----
    let received = tl.at(1, 7, 5);
    tl.now(1, 7, 20);
    let enc = dsl.record_encompass(&NewEncompass {
        details: EncompassDetails {
            received_at: received,
            police_force: "Westmere Police (fictional)".into(),
            officer: "PC 4471 Hollis".into(),
            police_reference: "WP/DA/2611/0042".into(),
            incident_at: tl.at(2, 22, 40),
            incident_location: "Family home".into(),
            circumstances: "Verbal argument between the parents escalating to damage to property. The father left before officers arrived.".into(),
            other_information: Some("Mother declined a DASH risk assessment at the scene.".into()),
            support: SupportType::Silent,
        },
        children: vec![
            EncompassChild { pupil_id: zoe, present: Some(true), where_during: Some("In the bedroom she shares with her brother".into()), spoken_to: Some(true), what_they_said: Some("Tata broke the door. I put my hands on Kuba's ears.".into()) },
            EncompassChild { pupil_id: jakub, present: Some(true), where_during: Some("In bed".into()), spoken_to: Some(false), what_they_said: None },
        ],
    })?;
    let _ = enc;

    // ---- others ----
    tl.now(40, 13, 20);
    let c_grace = dsl.record_concern(&NewConcern {
        pupil_id: grace,
        details: concern(("Leah Morris", "Midday supervisor"), tl.at(40, 12, 40), "Playground", &[Category::ChildOnChild],
            "At 12:40 Grace was pushed over by another pupil during a game and grazed her knee. Grace said the same pupil had taken her hat twice this week.",
            Some("He always takes my hat and says I can't play."),
            "First aid given. Both children spoken to by the class teacher."),
        other_children: vec![OtherChild { pupil_id: None, name: "Year 2 pupil (named on the paper form)".into(), role: "alleged to have pushed Grace".into() }],
    })?;
    tl.now(39, 9, 0);
    dsl.amend(
        RecordKind::Concern,
        c_grace,
        "location",
        serde_json::json!("KS1 playground, by the climbing frame"),
        "Location made precise after speaking to the midday supervisor.",
    )?;
    tl.now(20, 16, 0);
    dsl.record_concern(&NewConcern {
        pupil_id: siobhan,
        details: concern(("Sam Reid", "Class teacher, Year 6"), tl.at(20, 14, 30), "Year 6 classroom", &[Category::Online],
            "Siobhán told her teacher that an adult she met in an online game had asked her for a photo and to move to a private chat.",
            Some("He said he's 13 but his voice is like a grown-up's."),
            "Screenshots not taken; device not handled. DSL informed at 14:40. Parents informed at 15:30."),
        other_children: vec![],
    })?;
    tl.now(6, 11, 0);
    dsl.record_referral(&NewReferral {
        pupil_id: siobhan,
        details: ReferralDetails {
            made_at: tl.at(6, 10, 30),
            agency: Agency::Police,
            agency_name: Some("Westmere Police online safety team (fictional)".into()),
            method: ReferralMethod::Email,
            reference: None,
            contact_name: None,
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: Some("Siobhán said she wants him 'to not do it to anyone else'.".into()),
            what_was_shared: "Siobhán's account of contact from an adult in an online game, the game's name and the username she gave.".into(),
            written_confirmation_sent_on: None,
        },
    })?;
    tl.now(15, 10, 0);
    dsl.add_follow_up(&NewFollowUp {
        pupil_id: amir,
        source_id: None,
        owner_id: None,
        due_on: tl.date(3),
        details: FollowUpDetails {
            action:
                "Send the PEP and safeguarding notes to Amir's social worker before the LAC review."
                    .into(),
        },
    })?;
    let f_grace = dsl.add_follow_up(&NewFollowUp {
        pupil_id: grace,
        source_id: Some(c_grace),
        owner_id: None,
        due_on: tl.date(30),
        details: FollowUpDetails {
            action: "Check in with Grace weekly for three weeks about playtimes.".into(),
        },
    })?;
    tl.now(28, 15, 30);
    dsl.complete_follow_up(
        f_grace,
        "Grace says playtimes are 'better now'. No further incidents recorded by midday staff.",
    )?;
    tl.now(4, 9, 0);
    dsl.add_follow_up(&NewFollowUp {
        pupil_id: liam,
        source_id: None,
        owner_id: None,
        due_on: crate::calendar::WorkingCalendar::new(dsl.calendar_config()?)
            .add_working_days(tl.date(4), 3)
            .max(tl.date(0)),
        details: FollowUpDetails {
            action: "Chase the team manager's stage 2 response; prepare stage 3 if none.".into(),
        },
    })?;

    // ---- the Prices: a referral closed with no further action, and the concerns continue ----
    tl.now(60, 11, 0);
    let r_price = dsl.record_referral(&NewReferral {
        pupil_id: oliver,
        details: ReferralDetails {
            made_at: tl.at(60, 10, 0),
            agency: Agency::ChildrensSocialCare,
            agency_name: Some("Westmere children's social care".into()),
            method: ReferralMethod::Phone,
            reference: Some("CSC-24-3310".into()),
            contact_name: Some("Duty social worker".into()),
            parents_aware: Some(true),
            consent: Consent::Given,
            no_consent_reason: None,
            child_view: Some("Oliver said he wants 'dad to have money for the electric'.".into()),
            what_was_shared: "Oliver (8) has come to school hungry on several days; the home has had no electricity for a week; father is unemployed.".into(),
            written_confirmation_sent_on: Some(tl.date(59)),
        },
    })?;
    tl.now(55, 15, 0);
    dsl.record_decision(
        r_price,
        &DecisionDetails {
            received_on: tl.date(55),
            outcome: DecisionOutcome::NoFurtherAction,
            decided_by: Some("Duty team manager".into()),
            notes: "No further action; family signposted to the food bank.".into(),
        },
    )?;
    for (days, who, cat, account, words) in [
        (
            40,
            oliver,
            Category::Neglect,
            "Oliver had no coat or jumper on a cold morning (4°C at 08:40) and his trousers were wet at the hems. He ate his breakfast club toast in under a minute.",
            Some("We haven't got the heating on."),
        ),
        (
            25,
            ruby,
            Category::Attendance,
            "Ruby has been absent on 3 of the last 5 days; no call from home. Father said on the phone she had a cough.",
            None,
        ),
        (
            18,
            ruby,
            Category::Attendance,
            "Ruby absent again today (Monday) with no message. Home visit by the attendance officer at 11:00: no answer.",
            None,
        ),
        (
            9,
            ruby,
            Category::Attendance,
            "Ruby arrived at 10:15, 1 hour 45 minutes late, with Oliver. Neither had eaten breakfast.",
            Some("Daddy was asleep and we couldn't wake him."),
        ),
    ] {
        tl.now(days, 15, 30);
        dsl.record_concern(&NewConcern {
            pupil_id: who,
            details: concern(
                ("Sam Reid", "Attendance officer"),
                tl.at(days, 9, 0),
                "School office",
                &[cat],
                account,
                words,
                "DSL informed; breakfast given where needed.",
            ),
            other_children: vec![],
        })?;
    }

    // ---- a notification about Liam only: his brother and sister are not on it ----
    tl.now(9, 7, 40);
    let enc_liam = dsl.record_encompass(&NewEncompass {
        details: EncompassDetails {
            received_at: tl.at(9, 7, 30),
            police_force: "Westmere Police (fictional)".into(),
            officer: "PC 2290 Adebayo".into(),
            police_reference: "WP/DA/2611/0017".into(),
            incident_at: tl.at(10, 23, 15),
            incident_location: "Family home".into(),
            circumstances: "Neighbours reported shouting and a crash. Mother's partner was arrested for criminal damage and released on bail with conditions not to attend the address.".into(),
            other_information: Some("Liam was seen by officers on the landing.".into()),
            support: SupportType::Silent,
        },
        children: vec![EncompassChild { pupil_id: liam, present: Some(true), where_during: Some("On the landing".into()), spoken_to: Some(true), what_they_said: Some("Craig threw the telly.".into()) }],
    })?;
    tl.now(9, 8, 50);
    for f in dsl.open_follow_ups_for(enc_liam)? {
        dsl.complete_follow_up(f, "Liam met at the gate by his class teacher; quiet day, sat with a friend at lunch. No disclosure.")?;
    }

    // A member of staff records a concern themselves, into the inbox (staff hold no database
    // key); the DSL's next unlock files it as a record.
    tl.now(3, 15, 45);
    drop(dsl);
    let mut staff = crate::session::unlock_staff(dir, Some(STAFF_NAME), passphrase, opts.clone())?;
    staff.record_concern(&NewConcern {
        pupil_id: amir,
        details: concern(teacher, tl.at(3, 14, 10), "Year 4 classroom", &[Category::MentalHealth],
            "During circle time Amir put his head on the table and did not speak for 20 minutes. He was clearly very upset. Afterwards he said he misses his brother.",
            Some("I miss Yusuf. Nobody tells me where he is."),
            "Sat with Amir at break. Informed DSL in person at 15:40."),
        other_children: vec![],
    })?;
    drop(staff);
    let mut dsl = unlock(dir, Some(DSL_NAME), passphrase, opts.clone())?;

    // The DSL has considered one prompt and recorded why no further step is needed now.
    tl.clock.set(tl.end);
    if let Some(p) = dsl
        .prompts()?
        .into_iter()
        .find(|p| p.key == format!("voice-absent:{grace}"))
    {
        dsl.dismiss_prompt(&p.key, "Grace talked with her class teacher about playtimes on the follow-up check-ins (see the outcome); she did not want a separate conversation. Review if there is a new concern.")?;
    }
    drop(dsl);
    let mut head = unlock(dir, Some(HEAD_NAME), passphrase, opts)?;
    head.add_review_comment(esc, "Reviewed with the DSL. Agree the challenge is right; please escalate to stage 3 if the team manager has not replied by the due date.")?;
    drop(head);
    let summary = format!(
        "Created the demo store for {SCHOOL_NAME} in {}.\nUsers (all with the passphrase you gave): {DSL_NAME} (DSL), {DEPUTY_NAME} (deputy DSL), {HEAD_NAME} (head), {STAFF_NAME} (staff).",
        dir.display()
    );
    Ok((summary, key))
}

/// For tests: the demo's users.
pub fn user_names() -> [&'static str; 4] {
    [DSL_NAME, DEPUTY_NAME, HEAD_NAME, STAFF_NAME]
}
