//! `sgd`: the admin CLI for IT technicians and scripts. Passphrases come from the environment
//! (`SGD_PASSPHRASE`, `SGD_NEW_PASSPHRASE`) or a no-echo prompt, never from an argument.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use safeguard_core::clock::{Clock, SystemClock};
use safeguard_core::records::{Role, SchoolDetails};
use safeguard_core::secret::{Passphrase, RecoveryKey};
use safeguard_core::session::{ChronologyFilter, PupilQuery, ReferralSelection};
use safeguard_core::{Error, Progress, Session, StoreOptions};

#[derive(Parser)]
#[command(
    name = "sgd",
    version,
    about = "Safeguard Desk admin CLI: stores, users, keys, integrity and backups"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new store with its first DSL; prints the recovery key once.
    Init {
        store: PathBuf,
        #[arg(long)]
        school: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "Not known")]
        local_authority: String,
    },
    /// Create a store holding a fictional demo school with a realistic history.
    Demo {
        store: PathBuf,
        /// The demo school's "today", yyyy-mm-dd (its history ends then; default: today). The
        /// same date makes the same school.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Create a deterministic large synthetic school (for benchmarks and load tests).
    Seed {
        store: PathBuf,
        #[arg(long)]
        pupils: u32,
        #[arg(long)]
        years: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last day of the school's history, yyyy-mm-dd (default: today).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Change a user's passphrase (your own, or anyone's as the DSL). New one from SGD_NEW_PASSPHRASE.
    Passwd {
        store: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Reset a user's passphrase with the recovery key (from SGD_RECOVERY_KEY or a prompt).
    Recover {
        store: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// List pupils (id, UPN, name, year).
    Pupils { store: PathBuf },
    /// Counts per record type.
    Stats { store: PathBuf },
    /// Makes the derived tables (what Today and the pupil list read) again from the records,
    /// after `verify` warned that they differ. Changes no record. DSL only.
    RebuildDerived { store: PathBuf },
    /// The open practice prompts, in the same order as Today (a morning digest for a scheduled task).
    Prompts {
        store: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// A referral PDF quoting every concern, voice entry and notification of the pupil.
    Referral {
        store: PathBuf,
        /// The pupil's UPN.
        #[arg(long)]
        pupil: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// A pupil's chronology as PDF; with --family, the family's (siblings merged).
    Chronology {
        store: PathBuf,
        #[arg(long)]
        pupil: String,
        #[arg(long)]
        family: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// The history of every escalation as PDF (for the head and the partnership).
    Escalations {
        store: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// A pupil's whole child protection file as PDF, with a contents page.
    File {
        store: PathBuf,
        #[arg(long)]
        pupil: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Every check, read-only: integrity, every page's HMAC, the audit chain and the content each
    /// event recorded (both ways), the schema, references, and the chain head anchored in the
    /// signed keyring. Exit 0 only if all pass. Changes nothing.
    Verify {
        store: PathBuf,
        /// A chain head known from elsewhere (a printed document, a backup): SEQ:HASH. The
        /// chain must contain it. May be given more than once.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Vec<String>,
    },
    /// The recovery key.
    Recovery {
        #[command(subcommand)]
        command: RecoveryCommand,
    },
    /// A consistent, encrypted backup of the store in one file.
    Backup { store: PathBuf, file: PathBuf },
    /// Restore a backup into a new folder (never over an existing store); verified first.
    Restore { file: PathBuf, store: PathBuf },
}

#[derive(Subcommand)]
enum RecoveryCommand {
    /// A new recovery key (DSL): the old one, and any copy of the old keyring, then opens
    /// nothing. Prints the new key once.
    Rotate { store: PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; their first passphrase comes from SGD_NEW_PASSPHRASE or a prompt.
    Add {
        store: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
    },
    /// Remove a user: their key slot goes and the database is rekeyed.
    Remove {
        store: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// List users.
    List { store: PathBuf },
}

fn secret_from(var: &str, prompt: &str) -> anyhow::Result<String> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    rpassword::prompt_password(prompt).map_err(|_| {
        anyhow::anyhow!("no {var} in the environment and no terminal to ask on; set {var}")
    })
}

fn passphrase() -> anyhow::Result<Passphrase> {
    Ok(Passphrase::new(secret_from(
        "SGD_PASSPHRASE",
        "Passphrase: ",
    )?))
}

fn new_passphrase() -> anyhow::Result<Passphrase> {
    if let Ok(v) = std::env::var("SGD_NEW_PASSPHRASE") {
        return Ok(Passphrase::new(v));
    }
    let a = secret_from("SGD_NEW_PASSPHRASE", "New passphrase: ")?;
    let b = rpassword::prompt_password("Repeat the new passphrase: ")?;
    if a != b {
        anyhow::bail!("the two passphrases differ");
    }
    Ok(Passphrase::new(a))
}

fn opts() -> StoreOptions {
    StoreOptions::new(Arc::new(SystemClock))
        .held_by("the sgd command")
        .with_progress(|p| match p {
            // An ending is a full stop; a step under way trails off.
            Progress::Done | Progress::Failed => eprintln!("sgd: {}.", p.describe()),
            _ => eprintln!("sgd: {}…", p.describe()),
        })
}

fn open(store: &Path) -> anyhow::Result<Session> {
    let user = std::env::var("SGD_USER").ok();
    Ok(safeguard_core::unlock(
        store,
        user.as_deref(),
        &passphrase()?,
        opts(),
    )?)
}

/// Saves a generated document where asked and says what was written.
fn written(out: &Path, doc: &safeguard_core::pdf::Pdf) -> anyhow::Result<()> {
    safeguard_core::pdf::save_to(out, &doc.bytes)?;
    println!("Wrote {} ({} pages).", out.display(), doc.pages);
    if !doc.missing.is_empty() {
        println!(
            "Note: {} character(s) the font cannot show are printed as \u{FFFD} and listed at the end.",
            doc.missing.len()
        );
    }
    Ok(())
}

fn print_recovery_key(key: &RecoveryKey) {
    println!();
    println!("RECOVERY KEY (shown once; store it offline, e.g. in the school safe):");
    println!();
    println!("    {}", key.expose_grouped().as_str());
    println!();
    println!(
        "It can reset any user's passphrase. Anyone holding it and a copy of the store can read the records."
    );
}

/// `sgd user add|remove|list`.
fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { store, name, role } => {
            let role = Role::parse(&role)?;
            let mut s = open(&store)?;
            let new = new_passphrase()?;
            s.add_user(&name, role, &new)?;
            println!("Added {name} ({}).", role.as_str());
        }
        UserCommand::Remove { store, name } => {
            let mut s = open(&store)?;
            let staff = s
                .users()?
                .iter()
                .any(|u| u.name.eq_ignore_ascii_case(&name) && u.role == Role::Staff);
            s.remove_user(&name)?;
            match staff {
                // A member of staff never held the database key: only the roster key changes.
                true => {
                    println!("Removed {name}: their key slot is gone and the roster has a new key.")
                }
                false => println!(
                    "Removed {name}: their key slot is gone and the database has a new key."
                ),
            }
        }
        UserCommand::List { store } => {
            let s = open(&store)?;
            for u in s.users()? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    u.role.as_str(),
                    if u.active { "active" } else { "removed" }
                );
            }
        }
    }
    Ok(())
}

/// `sgd pupils`: every pupil, a line each (id, UPN, name, year).
fn print_pupils(store: &Path) -> anyhow::Result<()> {
    let s = open(store)?;
    let mut offset = 0;
    loop {
        let page = s.list_pupils(&PupilQuery {
            offset,
            limit: 1000,
            ..Default::default()
        })?;
        for p in &page.items {
            println!(
                "{}\t{}\t{}\t{}",
                p.id,
                p.upn.as_deref().unwrap_or("-"),
                p.name,
                p.year_group
            );
        }
        offset += page.items.len() as u32;
        if page.items.is_empty() || offset >= page.total {
            break;
        }
    }
    Ok(())
}

/// `sgd prompts`: the open prompts, as text or JSON.
fn print_prompts(store: &Path, json: bool) -> anyhow::Result<()> {
    let s = open(store)?;
    let prompts = s.prompts()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&prompts)?);
    } else if prompts.is_empty() {
        println!("No open prompts.");
    } else {
        for p in &prompts {
            let who: Vec<&str> = p.pupils.iter().map(|(_, n)| n.as_str()).collect();
            println!("{} — {}", p.title, who.join(", "));
            println!("  Why: {}", p.why);
            println!("  Consider: {}", p.action);
            println!(
                "  Since: {}  [{}]",
                safeguard_core::time::display_london(p.since),
                p.key
            );
            println!();
        }
        println!(
            "{} open prompt{}.",
            prompts.len(),
            if prompts.len() == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// `sgd verify`: every check, printed; true only if all pass.
fn verify(store: &Path, expect: &[String]) -> anyhow::Result<bool> {
    let expected = expect
        .iter()
        .map(|e| {
            let (seq, hash) = e
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--expect takes SEQ:HASH, e.g. 79:7461ec…"))?;
            let seq: i64 = seq
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--expect: the sequence number is not a number"))?;
            if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                anyhow::bail!("--expect: the hash must be the full 64 hexadecimal characters");
            }
            Ok((seq, hash.to_ascii_lowercase()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let user = std::env::var("SGD_USER").ok();
    let r =
        safeguard_core::verify_store(store, user.as_deref(), &passphrase()?, &opts(), &expected)?;
    let ok = |b: bool| if b { "ok" } else { "FAILED" };
    println!("integrity_check:        {}", ok(r.integrity_ok));
    println!("cipher_integrity_check: {}", ok(r.cipher_integrity_ok));
    println!("audit events:           {}", r.chain.events);
    for h in &r.chain.heads {
        println!(
            "chain head:             device {} seq {} hash {}",
            h.device_id, h.seq, h.hash
        );
    }
    println!(
        "audit chain:            {}",
        ok(r.chain.first_bad.is_none())
    );
    println!(
        "content:                {}",
        if !r.chain.content_checked {
            "not yet covered (a store from an older version: unlock it once)"
        } else {
            ok(r.chain.content_problems.is_empty())
        }
    );
    println!(
        "schema:                 {}",
        ok(r.schema_problems.is_empty())
    );
    println!(
        "references:             {}",
        ok(r.foreign_key_problems.is_empty())
    );
    println!(
        "derived tables:         {}",
        if r.derived_problems.is_empty() {
            "ok"
        } else {
            "WARNING (not records: nothing is lost, a rebuild mends them)"
        }
    );
    println!(
        "anchors:                {}",
        ok(r.anchor_problems.is_empty())
    );
    for p in r.problems() {
        println!("PROBLEM: {p}");
    }
    for w in &r.derived_problems {
        println!("WARNING: {w}");
    }
    Ok(r.all_ok())
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Init {
            store,
            school,
            user,
            local_authority,
        } => {
            let details = SchoolDetails {
                name: school,
                local_authority,
                dfe_number: None,
                referral_email: None,
            };
            let pass = new_or_current_passphrase()?;
            let (_session, key) =
                safeguard_core::create_store(&store, &details, &user, &pass, opts())?;
            println!(
                "Created a store for {} in {}",
                details.name,
                store.display()
            );
            print_recovery_key(&key);
        }
        Command::Demo { store, today } => {
            let pass = passphrase()?;
            let now = today.map_or_else(|| SystemClock.now(), safeguard_core::time::noon_london);
            let (summary, key) = safeguard_core::demo::create(&store, &pass, opts().kdf, now)?;
            println!("{summary}");
            print_recovery_key(&key);
        }
        Command::Seed {
            store,
            pupils,
            years,
            seed,
            today,
        } => {
            let pass = passphrase()?;
            let started = std::time::Instant::now();
            let n = safeguard_core::seed::create(
                &store,
                &safeguard_core::seed::SeedSpec {
                    pupils,
                    years,
                    seed,
                    today: today
                        .unwrap_or_else(|| safeguard_core::time::london_date(SystemClock.now())),
                },
                &pass,
                opts().kdf,
            )?;
            println!(
                "Seeded {} pupils and {} records in {:.1} s",
                pupils,
                n,
                started.elapsed().as_secs_f64()
            );
        }
        Command::User { command } => user(command)?,
        Command::Passwd { store, name } => {
            let user = std::env::var("SGD_USER").ok();
            match safeguard_core::open_store(&store, user.as_deref(), &passphrase()?, opts())? {
                safeguard_core::Opened::Team(mut s) => {
                    let new = new_passphrase()?;
                    s.change_passphrase(&name, &new)?;
                }
                // A member of staff changes their own passphrase only.
                safeguard_core::Opened::Staff(mut s)
                    if s.user().name.eq_ignore_ascii_case(&name) =>
                {
                    let new = new_passphrase()?;
                    s.change_passphrase(&new)?;
                }
                safeguard_core::Opened::Staff(_) => {
                    return Err(safeguard_core::Error::Forbidden.into());
                }
            }
            println!("Changed the passphrase of {name}.");
        }
        Command::Recover { store, name } => {
            let key = RecoveryKey::parse(&secret_from("SGD_RECOVERY_KEY", "Recovery key: ")?)?;
            let new = new_passphrase()?;
            safeguard_core::recover(&store, &name, &key, &new, opts())?;
            println!("Reset the passphrase of {name} with the recovery key.");
        }
        Command::Pupils { store } => print_pupils(&store)?,
        Command::RebuildDerived { store } => {
            let mut s = open(&store)?;
            let n = s.rebuild_derived_tables()?;
            println!("Made the derived tables again from {n} records.");
        }
        Command::Stats { store } => {
            let s = open(&store)?;
            for (label, n) in s.stats()?.counts {
                println!("{n:>9}  {label}");
            }
        }
        Command::Prompts { store, json } => print_prompts(&store, json)?,
        Command::Verify { store, expect } => return verify(&store, &expect),
        Command::Recovery { command } => match command {
            RecoveryCommand::Rotate { store } => {
                let mut s = open(&store)?;
                let key = s.rotate_recovery_key()?;
                println!("Rotated the recovery key: the old one opens nothing now.");
                print_recovery_key(&key);
            }
        },
        Command::Referral { store, pupil, out } => {
            let mut s = open(&store)?;
            let pupil_id = s.pupil_by_upn(&pupil)?;
            let doc = s.referral_pdf(&ReferralSelection {
                pupil_id,
                ..Default::default()
            })?;
            written(&out, &doc)?;
        }
        Command::Chronology {
            store,
            pupil,
            family,
            out,
        } => {
            let mut s = open(&store)?;
            let pupil_id = s.pupil_by_upn(&pupil)?;
            let doc = s.chronology_pdf(pupil_id, family, &ChronologyFilter::default())?;
            written(&out, &doc)?;
        }
        Command::Escalations { store, out } => {
            let mut s = open(&store)?;
            let doc = s.escalations_pdf(None)?;
            written(&out, &doc)?;
        }
        Command::File { store, pupil, out } => {
            let mut s = open(&store)?;
            let pupil_id = s.pupil_by_upn(&pupil)?;
            let doc = s.child_file_pdf(pupil_id)?;
            written(&out, &doc)?;
        }
        Command::Backup { store, file } => {
            let mut s = open(&store)?;
            s.backup(&file)?;
            println!(
                "Backed up to {} (encrypted; restore with `sgd restore`).",
                file.display()
            );
        }
        Command::Restore { file, store } => {
            let user = std::env::var("SGD_USER").ok();
            let r =
                safeguard_core::restore(&file, &store, user.as_deref(), &passphrase()?, opts())?;
            println!(
                "Restored into {} and verified ({} audit events).",
                store.display(),
                r.chain.events
            );
        }
    }
    Ok(true)
}

/// `init` takes the first passphrase from SGD_PASSPHRASE (as demo and seed do) or asks twice.
fn new_or_current_passphrase() -> anyhow::Result<Passphrase> {
    if let Ok(v) = std::env::var("SGD_PASSPHRASE") {
        return Ok(Passphrase::new(v));
    }
    new_passphrase()
}

fn main() -> ExitCode {
    safeguard_core::process::harden();
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("sgd: verification FAILED");
            ExitCode::from(1)
        }
        Err(e) => {
            match e.downcast_ref::<Error>() {
                Some(core) => eprintln!("sgd: {core} [{:?}]", core.code()),
                None => eprintln!("sgd: {e}"),
            }
            ExitCode::from(2)
        }
    }
}
