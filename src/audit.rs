//! The audit trail: every write and every opening of a child's file appends an event. Events
//! form one SHA-256 hash chain per device, so copies of a store kept on several laptops can later
//! be merged as a union without rewriting a chain.
//!
//! Since format 2 each event also **commits to the content it wrote**: the primary key and a
//! hash of the canonical encoding of every row it inserted into a record table (ids and hashes
//! only, never content). `verify` then checks both ways: every record row is accounted for by
//! exactly one event and matches it, and every row an event accounts for exists. Rows written
//! before format 2 are covered as a batch by one `audit.baseline` event (a count and a digest
//! per table), written once when a store is first opened by this version.

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::time::fmt_utc;

const DOMAIN: &[u8] = b"safeguard-desk/audit-event/v1";
const DOMAIN_V2: &[u8] = b"safeguard-desk/audit-event/v2";
const ROW_DOMAIN: &[u8] = b"safeguard-desk/audit-row/v1";
const GENESIS: [u8; 32] = [0u8; 32];

/// Every append-only record table and its integer primary key: each of their rows is
/// accounted for by an audit event. (`drafts` is not a record; `open_*` tables are derived;
/// `store_meta` is written once at creation.)
pub const RECORD_TABLES: &[(&str, &str)] = &[
    ("users", "seq"),
    ("user_events", "seq"),
    ("settings", "seq"),
    ("pupils", "seq"),
    ("households", "seq"),
    ("household_members", "seq"),
    ("household_member_ends", "seq"),
    ("concerns", "seq"),
    ("concern_children", "seq"),
    ("attachments", "seq"),
    ("encompass_notifications", "seq"),
    ("encompass_children", "seq"),
    ("voice_entries", "seq"),
    ("follow_ups", "seq"),
    ("follow_up_events", "seq"),
    ("referrals", "seq"),
    ("referral_decisions", "seq"),
    ("escalations", "seq"),
    ("escalation_stages", "seq"),
    ("escalation_events", "seq"),
    ("amendments", "seq"),
    ("prompt_dismissals", "seq"),
    ("search_text", "rowid"),
    ("keyring_generations", "seq"),
    ("team_keys", "seq"),
    ("staff_keys", "seq"),
    ("inbox_filed", "seq"),
    ("keyring_contents", "seq"),
];

/// Columns a migration added to a record table after rows were audited: hashed only when they
/// hold a value, so a row written before the column existed keeps the hash it was audited with
/// (and a value put into it later changes that hash like any other edit).
pub const ADDED_COLUMNS: &[(&str, &str)] = &[("amendments", "schema_version")];

/// The highest primary key of every record table, taken before a write: what the write adds
/// is everything above it.
#[derive(Debug, Clone)]
pub struct Watermark(Vec<i64>);

impl Watermark {
    /// One statement for every table (a write takes two of these: before and after).
    pub fn take(conn: &Connection) -> Result<Self> {
        let sql = RECORD_TABLES
            .iter()
            .map(|(table, pk)| format!("SELECT coalesce(max({pk}), 0) FROM {table}"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut stmt = conn.prepare_cached(&sql)?;
        let v = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(Watermark(v))
    }

    /// The highest primary key of one record table when the watermark was taken.
    pub fn of(&self, table: &str) -> i64 {
        RECORD_TABLES
            .iter()
            .position(|(t, _)| *t == table)
            .and_then(|i| self.0.get(i).copied())
            .unwrap_or_else(|| panic!("{table} is not a record table"))
    }

    /// Before anything was written (a new store).
    pub fn zero() -> Self {
        Watermark(vec![0; RECORD_TABLES.len()])
    }
}

/// What one event accounts for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Content {
    /// (table index in [`RECORD_TABLES`], primary key, row hash hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<(usize, i64, String)>,
    /// Rows written before content auditing: (table index, up to pk, count, digest hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline: Vec<(usize, i64, i64, String)>,
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn put_value(h: &mut Sha256, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => put(h, b"n"),
        ValueRef::Integer(v) => {
            put(h, b"i");
            put(h, &v.to_be_bytes());
        }
        ValueRef::Real(v) => {
            put(h, b"r");
            put(h, &v.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            put(h, b"t");
            put(h, t);
        }
        ValueRef::Blob(b) => {
            put(h, b"b");
            put(h, b);
        }
    }
}

/// Hashes every row of table `i` above `from` (and at most `to`), in key order.
pub fn hash_rows(
    conn: &Connection,
    i: usize,
    from: i64,
    to: Option<i64>,
    mut each: impl FnMut(i64, [u8; 32]) -> Result<()>,
) -> Result<()> {
    let (table, pk) = RECORD_TABLES[i];
    let sql =
        format!("SELECT {pk} AS _pk, * FROM {table} WHERE {pk} > ?1 AND {pk} <= ?2 ORDER BY {pk}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .skip(1)
        .map(|s| s.to_string())
        .collect();
    let added: Vec<bool> = names
        .iter()
        .map(|n| ADDED_COLUMNS.contains(&(table, n.as_str())))
        .collect();
    let mut rows = stmt.query(params![from, to.unwrap_or(i64::MAX)])?;
    while let Some(r) = rows.next()? {
        let key: i64 = r.get(0)?;
        // Column 0 is the key repeated; the row itself starts at 1. The canonical encoding:
        // the table, then each column's name, type and value.
        let mut h = Sha256::new();
        put(&mut h, ROW_DOMAIN);
        put(&mut h, table.as_bytes());
        for (j, name) in names.iter().enumerate() {
            let value = r.get_ref(j + 1)?;
            if added[j] && matches!(value, ValueRef::Null) {
                continue;
            }
            put(&mut h, name.as_bytes());
            put_value(&mut h, value);
        }
        each(key, h.finalize().into())?;
    }
    Ok(())
}

/// The rows written since `before`: only the tables that grew are read.
pub fn content_since(conn: &Connection, before: &Watermark) -> Result<Content> {
    let after = Watermark::take(conn)?;
    let mut rows = Vec::new();
    for (i, (from, to)) in before.0.iter().zip(&after.0).enumerate() {
        if to > from {
            hash_rows(conn, i, *from, Some(*to), |k, h| {
                rows.push((i, k, hex::encode(h)));
                Ok(())
            })?;
        }
    }
    Ok(Content {
        rows,
        baseline: vec![],
    })
}

/// Every row that exists now, as one digest per table (the baseline of an older store).
pub fn baseline(conn: &Connection) -> Result<Content> {
    let mut baseline = Vec::new();
    for i in 0..RECORD_TABLES.len() {
        let mut digest = Sha256::new();
        let mut count = 0i64;
        let mut last = 0i64;
        hash_rows(conn, i, 0, None, |k, h| {
            digest.update(h);
            count += 1;
            last = k;
            Ok(())
        })?;
        baseline.push((i, last, count, hex::encode(digest.finalize())));
    }
    Ok(Content {
        rows: vec![],
        baseline,
    })
}

/// The newest event of a device's chain: printed on documents and by `sgd verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChainHead {
    pub device_id: String,
    pub seq: i64,
    pub hash: String,
}

/// One event, as hashed.
pub struct Event<'a> {
    pub device_id: &'a str,
    pub device_seq: i64,
    pub at: &'a str,
    pub user_id: &'a str,
    pub action: &'a str,
    pub targets: &'a str,
    /// Format 2 only: the JSON of the [`Content`] the event accounts for.
    pub content: Option<&'a str>,
    pub prev_hash: &'a [u8; 32],
}

/// SHA-256 over a length-prefixed canonical encoding with domain separation.
pub fn event_hash(e: &Event<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put(
        &mut h,
        if e.content.is_some() {
            DOMAIN_V2
        } else {
            DOMAIN
        },
    );
    put(&mut h, e.device_id.as_bytes());
    put(&mut h, &e.device_seq.to_be_bytes());
    put(&mut h, e.at.as_bytes());
    put(&mut h, e.user_id.as_bytes());
    put(&mut h, e.action.as_bytes());
    put(&mut h, e.targets.as_bytes());
    if let Some(c) = e.content {
        put(&mut h, c.as_bytes());
    }
    put(&mut h, e.prev_hash);
    h.finalize().into()
}

fn decode_hash(s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(Error::damaged("an audit hash is malformed"))
}

/// Appends an event to this device's chain, inside the caller's transaction, accounting for
/// every record row written since `before`.
pub fn append(
    conn: &Connection,
    device_id: &str,
    at: DateTime<Utc>,
    user_id: Option<Uuid>,
    action: &str,
    targets: &[Uuid],
    before: &Watermark,
) -> Result<ChainHead> {
    let content = content_since(conn, before)?;
    append_content(conn, device_id, at, user_id, action, targets, &content)
}

pub(crate) fn append_content(
    conn: &Connection,
    device_id: &str,
    at: DateTime<Utc>,
    user_id: Option<Uuid>,
    action: &str,
    targets: &[Uuid],
    content: &Content,
) -> Result<ChainHead> {
    let (prev_seq, prev_hash) = match head_of(conn, device_id)? {
        Some(h) => (h.seq, decode_hash(&h.hash)?),
        None => (0, GENESIS),
    };
    let seq = prev_seq + 1;
    let at = fmt_utc(at);
    let user = user_id.map(|u| u.to_string()).unwrap_or_default();
    let internal = |what: &str| Error::Internal {
        detail: format!("audit {what}"),
    };
    let targets = serde_json::to_string(&targets.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        .map_err(|_| internal("targets"))?;
    let content = serde_json::to_string(content).map_err(|_| internal("content"))?;
    let hash = event_hash(&Event {
        device_id,
        device_seq: seq,
        at: &at,
        user_id: &user,
        action,
        targets: &targets,
        content: Some(&content),
        prev_hash: &prev_hash,
    });
    let hash_hex = hex::encode(hash);
    conn.execute(
        "INSERT INTO audit_events (device_id, device_seq, at, user_id, action, targets, prev_hash, hash, format, content)
         VALUES (?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, ?7, ?8, 2, ?9)",
        params![device_id, seq, at, user, action, targets, hex::encode(prev_hash), hash_hex, content],
    )?;
    Ok(ChainHead {
        device_id: device_id.to_owned(),
        seq,
        hash: hash_hex,
    })
}

/// Whether any event already accounts for content (then a baseline is never written again).
pub fn has_content_events(conn: &Connection) -> Result<bool> {
    // Asked at every unlock: the newest event answers at once for every store this version has
    // opened (they all end in format 2); only a store never migrated needs the scan, once.
    let newest: Option<i64> = conn
        .query_row(
            "SELECT format FROM audit_events ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if newest == Some(2) {
        return Ok(true);
    }
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_events WHERE format = 2)",
        [],
        |r| r.get(0),
    )?)
}

pub fn head_of(conn: &Connection, device_id: &str) -> Result<Option<ChainHead>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_seq, hash FROM audit_events WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1",
    )?;
    let mut rows = stmt.query([device_id])?;
    match rows.next()? {
        Some(r) => Ok(Some(ChainHead {
            device_id: device_id.to_owned(),
            seq: r.get(0)?,
            hash: r.get(1)?,
        })),
        None => Ok(None),
    }
}

/// The result of walking every chain and checking what each event accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChainReport {
    pub heads: Vec<ChainHead>,
    pub events: i64,
    /// The first event that does not verify: (device id, sequence number).
    pub first_bad: Option<(String, i64)>,
    /// Each content problem, named (table, key, event); never record content.
    pub content_problems: Vec<String>,
    /// False for a store no version with content auditing has opened yet.
    pub content_checked: bool,
}

/// Recomputes every device's chain from its genesis, then checks every record row against the
/// event that accounts for it, and every accounted row against the table.
pub fn verify(conn: &Connection) -> Result<ChainReport> {
    // A store from before content auditing (opened read-only, not migrated) has no such columns.
    let has_content: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('audit_events') WHERE name = 'content')",
        [],
        |r| r.get(0),
    )?;
    let columns = if has_content {
        "format, content"
    } else {
        "1, ''"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT device_id, device_seq, at, coalesce(user_id, ''), action, targets, prev_hash, hash, {columns}
         FROM audit_events ORDER BY device_id, device_seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut heads: Vec<ChainHead> = Vec::new();
    let mut events = 0;
    let mut first_bad = None;
    let mut problems = Vec::new();
    let mut current: Option<(String, i64, [u8; 32])> = None;
    // (table, key) -> (row hash, event seq); baselines per table.
    let mut claimed: std::collections::HashMap<(usize, i64), ([u8; 32], i64)> =
        std::collections::HashMap::new();
    let mut baselines: Vec<Option<(i64, i64, String, i64)>> = vec![None; RECORD_TABLES.len()];
    let mut any_v2 = false;
    while let Some(r) = rows.next()? {
        events += 1;
        let device: String = r.get(0)?;
        let seq: i64 = r.get(1)?;
        let (at, user, action, targets): (String, String, String, String) =
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let prev_stored: String = r.get(6)?;
        let hash_stored: String = r.get(7)?;
        let format: i64 = r.get(8)?;
        let content: String = r.get(9)?;
        let (expected_seq, expected_prev) = match &current {
            Some((d, s, h)) if *d == device => (s + 1, *h),
            _ => (1, GENESIS),
        };
        let recomputed = event_hash(&Event {
            device_id: &device,
            device_seq: seq,
            at: &at,
            user_id: &user,
            action: &action,
            targets: &targets,
            content: (format == 2).then_some(content.as_str()),
            prev_hash: &expected_prev,
        });
        let ok = seq == expected_seq
            && (format == 1 || format == 2)
            && prev_stored == hex::encode(expected_prev)
            && hash_stored == hex::encode(recomputed);
        if !ok && first_bad.is_none() {
            first_bad = Some((device.clone(), seq));
        }
        if format == 2 {
            any_v2 = true;
            match serde_json::from_str::<Content>(&content) {
                Ok(c) => {
                    for (t, key, h) in c.rows {
                        let (Some(_), Ok(h)) = (RECORD_TABLES.get(t), decode_hash(&h)) else {
                            problems.push(format!(
                                "audit event {seq} accounts for a row it cannot name"
                            ));
                            continue;
                        };
                        if claimed.insert((t, key), (h, seq)).is_some() {
                            problems.push(format!(
                                "{} row {key} is claimed by two audit events (the second is {seq})",
                                RECORD_TABLES[t].0
                            ));
                        }
                    }
                    for (t, upto, count, digest) in c.baseline {
                        match baselines.get_mut(t) {
                            Some(slot @ None) => *slot = Some((upto, count, digest, seq)),
                            _ => problems.push(format!(
                                "audit event {seq} holds a second or unknown baseline"
                            )),
                        }
                    }
                }
                Err(_) => problems.push(format!("audit event {seq}'s content list cannot be read")),
            }
        }
        // Continue from the stored hash so later events are judged on their own link.
        let stored = decode_hash(&hash_stored).unwrap_or([0xff; 32]);
        current = Some((device.clone(), seq, stored));
        match heads.last_mut() {
            Some(h) if h.device_id == device => {
                h.seq = seq;
                h.hash = hash_stored;
            }
            _ => heads.push(ChainHead {
                device_id: device,
                seq,
                hash: hash_stored,
            }),
        }
    }
    drop(rows);
    if any_v2 {
        check_rows(conn, &mut claimed, &baselines, &mut problems)?;
    }
    Ok(ChainReport {
        heads,
        events,
        first_bad,
        content_problems: problems,
        content_checked: any_v2,
    })
}

/// Both directions: every row has an event that matches it; every claimed row exists.
fn check_rows(
    conn: &Connection,
    claimed: &mut std::collections::HashMap<(usize, i64), ([u8; 32], i64)>,
    baselines: &[Option<(i64, i64, String, i64)>],
    problems: &mut Vec<String>,
) -> Result<()> {
    const MAX_NAMED: usize = 50;
    for (i, (table, _)) in RECORD_TABLES.iter().enumerate() {
        let base = baselines[i].as_ref();
        // A store from before this table, verified read-only (not yet migrated): it has no rows
        // of it. Rows claimed in it stay in `claimed` and are reported as missing below.
        let present: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?;
        if !present {
            if let Some((_, want_count, _, event)) = base
                && *want_count != 0
            {
                problems.push(format!(
                    "{table} is missing, but audit event {event} recorded {want_count} rows of it"
                ));
            }
            continue;
        }
        let upto = base.map(|b| b.0).unwrap_or(0);
        let mut digest = Sha256::new();
        let mut count = 0i64;
        hash_rows(conn, i, 0, None, |key, h| {
            if let Some((want, event)) = claimed.remove(&(i, key)) {
                if want != h && problems.len() < MAX_NAMED {
                    problems.push(format!(
                        "{table} row {key} differs from what audit event {event} recorded"
                    ));
                }
            } else if key <= upto {
                digest.update(h);
                count += 1;
            } else if problems.len() < MAX_NAMED {
                problems.push(format!("{table} row {key} has no audit event"));
            }
            Ok(())
        })?;
        if let Some((_, want_count, want_digest, event)) = base
            && (count != *want_count || hex::encode(digest.finalize()) != *want_digest)
        {
            problems.push(format!(
                "{table} rows written before content auditing differ from the baseline (audit event {event}): {count} found, {want_count} recorded"
            ));
        }
    }
    let mut missing: Vec<_> = claimed
        .iter()
        .map(|((t, k), (_, e))| (*e, *t, *k))
        .collect();
    missing.sort();
    for (event, t, key) in missing.into_iter().take(MAX_NAMED) {
        problems.push(format!(
            "audit event {event} accounts for {} row {key}, which is missing",
            RECORD_TABLES[t].0
        ));
    }
    Ok(())
}

/// What an audit event records was done: a closed set, so every action is named once and a
/// reader of the chain (or a report) can match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    AttachmentAdd,
    AuditBaseline,
    ConcernRecord,
    DocumentChildFile,
    DocumentChronology,
    DocumentEscalations,
    DocumentFamilyChronology,
    DocumentReferral,
    EncompassAddChild,
    EncompassRecord,
    EscalationAdvance,
    EscalationOpen,
    EscalationRead,
    EscalationResolved,
    EscalationResponse,
    EscalationReviewComment,
    FamilyChronology,
    FollowUpAdd,
    FollowUpComplete,
    FollowUpReassign,
    HouseholdAdd,
    HouseholdMemberAdd,
    HouseholdMemberEnd,
    InboxFileAttachment,
    InboxFileConcern,
    KeyringMigrate,
    KeyringMigrateIntended,
    KeyringRekeyStarted,
    KeyringReseal,
    KeyringSlotSet,
    KeyringStaffRemoved,
    KeyringTeamKeys,
    KeyringTeamKeysMade,
    KeyringTeamKeysRotated,
    KeyringWritten,
    PromptDismiss,
    PupilAdd,
    PupilChronology,
    PupilOpen,
    RecordAmend,
    SearchReindex,
    RecoveryRotate,
    ReferralDecision,
    ReferralRecord,
    Search,
    SessionUnlock,
    SettingsChange,
    StoreBackup,
    StoreCreate,
    StoreRekey,
    UserAdd,
    UserPassphraseChanged,
    UserPassphraseRecovered,
    UserRemove,
    UserStaffKey,
    VoiceRecord,
}

impl Action {
    /// Every action, for the tidy test that each has one distinct name.
    #[cfg(any(test, feature = "internals"))]
    pub const ALL: &[Action] = &[
        Action::AttachmentAdd,
        Action::AuditBaseline,
        Action::ConcernRecord,
        Action::DocumentChildFile,
        Action::DocumentChronology,
        Action::DocumentEscalations,
        Action::DocumentFamilyChronology,
        Action::DocumentReferral,
        Action::EncompassAddChild,
        Action::EncompassRecord,
        Action::EscalationAdvance,
        Action::EscalationOpen,
        Action::EscalationRead,
        Action::EscalationResolved,
        Action::EscalationResponse,
        Action::EscalationReviewComment,
        Action::FamilyChronology,
        Action::FollowUpAdd,
        Action::FollowUpComplete,
        Action::FollowUpReassign,
        Action::HouseholdAdd,
        Action::HouseholdMemberAdd,
        Action::HouseholdMemberEnd,
        Action::InboxFileAttachment,
        Action::InboxFileConcern,
        Action::KeyringMigrate,
        Action::KeyringMigrateIntended,
        Action::KeyringRekeyStarted,
        Action::KeyringReseal,
        Action::KeyringSlotSet,
        Action::KeyringStaffRemoved,
        Action::KeyringTeamKeys,
        Action::KeyringTeamKeysMade,
        Action::KeyringTeamKeysRotated,
        Action::KeyringWritten,
        Action::PromptDismiss,
        Action::PupilAdd,
        Action::PupilChronology,
        Action::PupilOpen,
        Action::RecordAmend,
        Action::RecoveryRotate,
        Action::ReferralDecision,
        Action::ReferralRecord,
        Action::Search,
        Action::SearchReindex,
        Action::SessionUnlock,
        Action::SettingsChange,
        Action::StoreBackup,
        Action::StoreCreate,
        Action::StoreRekey,
        Action::UserAdd,
        Action::UserPassphraseChanged,
        Action::UserPassphraseRecovered,
        Action::UserRemove,
        Action::UserStaffKey,
        Action::VoiceRecord,
    ];

    /// The name stored in the audit chain (hashed into it: never rename one).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AttachmentAdd => "attachment.add",
            Action::AuditBaseline => "audit.baseline",
            Action::ConcernRecord => "concern.record",
            Action::DocumentChildFile => "document.child_file",
            Action::DocumentChronology => "document.chronology",
            Action::DocumentEscalations => "document.escalations",
            Action::DocumentFamilyChronology => "document.family_chronology",
            Action::DocumentReferral => "document.referral",
            Action::EncompassAddChild => "encompass.add_child",
            Action::EncompassRecord => "encompass.record",
            Action::EscalationAdvance => "escalation.advance",
            Action::EscalationOpen => "escalation.open",
            Action::EscalationRead => "escalation.read",
            Action::EscalationResolved => "escalation.resolved",
            Action::EscalationResponse => "escalation.response",
            Action::EscalationReviewComment => "escalation.review_comment",
            Action::FamilyChronology => "family.chronology",
            Action::FollowUpAdd => "follow_up.add",
            Action::FollowUpComplete => "follow_up.complete",
            Action::FollowUpReassign => "follow_up.reassign",
            Action::HouseholdAdd => "household.add",
            Action::HouseholdMemberAdd => "household.member_add",
            Action::HouseholdMemberEnd => "household.member_end",
            Action::InboxFileAttachment => "inbox.file_attachment",
            Action::InboxFileConcern => "inbox.file_concern",
            Action::KeyringMigrate => "keyring.migrate",
            Action::KeyringMigrateIntended => "keyring.migrate_intended",
            Action::KeyringRekeyStarted => "keyring.rekey_started",
            Action::KeyringReseal => "keyring.reseal",
            Action::KeyringSlotSet => "keyring.slot_set",
            Action::KeyringStaffRemoved => "keyring.staff_removed",
            Action::KeyringTeamKeys => "keyring.team_keys",
            Action::KeyringTeamKeysMade => "keyring.team_keys_made",
            Action::KeyringTeamKeysRotated => "keyring.team_keys_rotated",
            Action::KeyringWritten => "keyring.written",
            Action::PromptDismiss => "prompt.dismiss",
            Action::PupilAdd => "pupil.add",
            Action::PupilChronology => "pupil.chronology",
            Action::PupilOpen => "pupil.open",
            Action::RecordAmend => "record.amend",
            Action::RecoveryRotate => "recovery.rotate",
            Action::ReferralDecision => "referral.decision",
            Action::ReferralRecord => "referral.record",
            Action::Search => "search",
            Action::SearchReindex => "search.reindex",
            Action::SessionUnlock => "session.unlock",
            Action::SettingsChange => "settings.change",
            Action::StoreBackup => "store.backup",
            Action::StoreCreate => "store.create",
            Action::StoreRekey => "store.rekey",
            Action::UserAdd => "user.add",
            Action::UserPassphraseChanged => "user.passphrase_changed",
            Action::UserPassphraseRecovered => "user.passphrase_recovered",
            Action::UserRemove => "user.remove",
            Action::UserStaffKey => "user.staff_key",
            Action::VoiceRecord => "voice.record",
        }
    }

    /// Whether the roster staff read (pupils' names, settings) may have changed.
    pub(crate) fn changes_roster(self) -> bool {
        matches!(
            self,
            Action::PupilAdd | Action::RecordAmend | Action::SettingsChange
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_action_has_its_own_dotted_name() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "two actions share a name");
        for name in names {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "{name}"
            );
        }
    }

    use super::*;
    use proptest::prelude::*;

    fn event<'a>(action: &'a str, targets: &'a str, prev: &'a [u8; 32]) -> Event<'a> {
        Event {
            device_id: "d",
            device_seq: 1,
            at: "2026-01-01T00:00:00.000Z",
            user_id: "u",
            action,
            targets,
            content: None,
            prev_hash: prev,
        }
    }

    proptest! {
        #[test]
        fn length_prefixes_keep_field_boundaries(a in ".{0,12}", b in ".{0,12}", c in ".{0,12}", d in ".{0,12}") {
            prop_assume!((a.clone(), b.clone()) != (c.clone(), d.clone()));
            let h1 = event_hash(&event(&a, &b, &GENESIS));
            let h2 = event_hash(&event(&c, &d, &GENESIS));
            prop_assert_ne!(h1, h2);
        }
    }

    #[test]
    fn the_previous_hash_is_part_of_the_event() {
        let other = [1u8; 32];
        assert_ne!(
            event_hash(&event("x", "[]", &GENESIS)),
            event_hash(&event("x", "[]", &other))
        );
    }
}
