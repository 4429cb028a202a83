//! Generating documents: a referral and a chronology for a child with 300 records (the issue's
//! bar: a referral under 200 ms). Run: `cargo bench --bench documents`.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use safeguard_core::clock::ManualClock;
use safeguard_core::records::*;
use safeguard_core::secret::Passphrase;
use safeguard_core::session::{ChronologyFilter, ReferralSelection};
use safeguard_core::{Session, StoreOptions};

/// A child with 300 records: 240 concerns (some long, some with the child's words), 40 voice
/// entries, 20 referrals.
fn child_with_300_records() -> (tempfile::TempDir, Session, Id) {
    let tmp = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let school = SchoolDetails {
        name: "Bench Primary".into(),
        local_authority: "Bench LA".into(),
        dfe_number: None,
        referral_email: None,
    };
    let (mut s, _) = safeguard_core::create_store(
        &tmp.path().join("store"),
        &school,
        "Bench DSL",
        &Passphrase::new("benchmark passphrase".into()),
        StoreOptions::new(clock),
    )
    .unwrap();
    let dob = chrono::NaiveDate::from_ymd_opt(2016, 5, 1).unwrap();
    let p = s
        .add_pupil(&PupilDetails::new(
            "Zoë",
            "Nowak-Łukasiewicz",
            dob,
            "Year 5",
        ))
        .unwrap();
    let start = now - Duration::days(700);
    s.batch(|s| {
        for i in 0..300i64 {
            let at = start + Duration::hours(i * 50);
            match i % 15 {
                0..=11 => {
                    let account = format!(
                        "Entry {i}: {}",
                        "Zoë arrived without a coat and said she was hungry. "
                            .repeat(if i % 12 == 0 { 40 } else { 3 })
                    );
                    s.record_concern(&NewConcern {
                        pupil_id: p,
                        details: ConcernDetails {
                            reporter_name: "Class teacher".into(),
                            reporter_role: "Teacher".into(),
                            observed_at: at,
                            location: "Classroom".into(),
                            categories: vec![Category::Neglect],
                            account,
                            child_words: (i % 3 == 0)
                                .then(|| "There wasn't any food at home.".into()),
                            immediate_action: "Breakfast given; DSL informed.".into(),
                            body_marks: vec![],
                        },
                        other_children: vec![],
                    })?;
                }
                12 | 13 => {
                    s.record_voice(&NewVoice {
                        pupil_id: p,
                        details: VoiceDetails {
                            spoken_at: at,
                            words: "I like school because there is lunch.".into(),
                            wishes: Some("To have breakfast at home".into()),
                            feelings: None,
                            non_verbal: None,
                            who_was_present: "Zoë and the DSL".into(),
                            context: None,
                        },
                    })?;
                }
                _ => {
                    s.record_referral(&NewReferral {
                        pupil_id: p,
                        details: ReferralDetails {
                            made_at: at,
                            agency: Agency::Mash,
                            agency_name: None,
                            method: ReferralMethod::Portal,
                            reference: None,
                            contact_name: None,
                            parents_aware: Some(true),
                            consent: Consent::Given,
                            no_consent_reason: None,
                            child_view: None,
                            what_was_shared: "Neglect concerns.".into(),
                            written_confirmation_sent_on: None,
                        },
                    })?;
                }
            }
        }
        Ok(())
    })
    .unwrap();
    (tmp, s, p)
}

fn documents(c: &mut Criterion) {
    let (_tmp, mut s, p) = child_with_300_records();
    let sel = ReferralSelection {
        pupil_id: p,
        ..Default::default()
    };
    let pages = s.referral_pdf(&sel).unwrap().pages;
    eprintln!("referral of a child with 300 records: {pages} pages");
    let mut g = c.benchmark_group("documents");
    g.sample_size(20);
    g.bench_function("referral, child with 300 records", |b| {
        b.iter(|| s.referral_pdf(&sel).unwrap())
    });
    g.bench_function("chronology, child with 300 records", |b| {
        b.iter(|| {
            s.chronology_pdf(p, false, &ChronologyFilter::default())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, documents);
criterion_main!(benches);
