//! The audit trail: every write and every opening of a child's file appends an event holding
//! ids only (never record content). Events form one SHA-256 hash chain per device, so copies of
//! a store kept on several laptops can later be merged as a union without rewriting a chain.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::time::fmt_utc;

const DOMAIN: &[u8] = b"safeguard-desk/audit-event/v1";
const GENESIS: [u8; 32] = [0u8; 32];

/// The newest event of a device's chain: printed on documents and by `sgd verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChainHead {
    pub device_id: String,
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn short_hash(&self) -> &str {
        &self.hash[..self.hash.len().min(12)]
    }
}

/// One event, as hashed.
pub struct Event<'a> {
    pub device_id: &'a str,
    pub device_seq: i64,
    pub at: &'a str,
    pub user_id: &'a str,
    pub action: &'a str,
    pub targets: &'a str,
    pub prev_hash: &'a [u8; 32],
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// SHA-256 over a length-prefixed canonical encoding with domain separation.
pub fn event_hash(e: &Event<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put(&mut h, DOMAIN);
    put(&mut h, e.device_id.as_bytes());
    put(&mut h, &e.device_seq.to_be_bytes());
    put(&mut h, e.at.as_bytes());
    put(&mut h, e.user_id.as_bytes());
    put(&mut h, e.action.as_bytes());
    put(&mut h, e.targets.as_bytes());
    put(&mut h, e.prev_hash);
    h.finalize().into()
}

fn decode_hash(s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(Error::damaged("an audit hash is malformed"))
}

/// Appends an event to this device's chain, inside the caller's transaction.
pub fn append(
    conn: &Connection,
    device_id: &str,
    at: DateTime<Utc>,
    user_id: Option<Uuid>,
    action: &str,
    targets: &[Uuid],
) -> Result<ChainHead> {
    let (prev_seq, prev_hash) = match head_of(conn, device_id)? {
        Some(h) => (h.seq, decode_hash(&h.hash)?),
        None => (0, GENESIS),
    };
    let seq = prev_seq + 1;
    let at = fmt_utc(at);
    let user = user_id.map(|u| u.to_string()).unwrap_or_default();
    let targets = serde_json::to_string(&targets.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        .map_err(|_| Error::Internal {
            detail: "audit targets".into(),
        })?;
    let hash = event_hash(&Event {
        device_id,
        device_seq: seq,
        at: &at,
        user_id: &user,
        action,
        targets: &targets,
        prev_hash: &prev_hash,
    });
    let hash_hex = hex::encode(hash);
    conn.execute(
        "INSERT INTO audit_events (device_id, device_seq, at, user_id, action, targets, prev_hash, hash)
         VALUES (?1, ?2, ?3, NULLIF(?4, ''), ?5, ?6, ?7, ?8)",
        params![device_id, seq, at, user, action, targets, hex::encode(prev_hash), hash_hex],
    )?;
    Ok(ChainHead {
        device_id: device_id.to_owned(),
        seq,
        hash: hash_hex,
    })
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

/// The result of walking every chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChainReport {
    pub heads: Vec<ChainHead>,
    pub events: i64,
    /// The first event that does not verify: (device id, sequence number).
    pub first_bad: Option<(String, i64)>,
}

/// Recomputes every device's chain from its genesis.
pub fn verify(conn: &Connection) -> Result<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT device_id, device_seq, at, coalesce(user_id, ''), action, targets, prev_hash, hash
         FROM audit_events ORDER BY device_id, device_seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut heads: Vec<ChainHead> = Vec::new();
    let mut events = 0;
    let mut first_bad = None;
    let mut current: Option<(String, i64, [u8; 32])> = None;
    while let Some(r) = rows.next()? {
        events += 1;
        let device: String = r.get(0)?;
        let seq: i64 = r.get(1)?;
        let (at, user, action, targets): (String, String, String, String) =
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let prev_stored: String = r.get(6)?;
        let hash_stored: String = r.get(7)?;
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
            prev_hash: &expected_prev,
        });
        let ok = seq == expected_seq
            && prev_stored == hex::encode(expected_prev)
            && hash_stored == hex::encode(recomputed);
        if !ok && first_bad.is_none() {
            first_bad = Some((device.clone(), seq));
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
    Ok(ChainReport {
        heads,
        events,
        first_bad,
    })
}

#[cfg(test)]
mod tests {
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
