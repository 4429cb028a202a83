-- Safeguard Desk schema, version 1.
-- Every record table is append-only: triggers below abort any UPDATE or DELETE. A correction is
-- a row in `amendments`; a status change is a row in an *_events table; "current" is derived.
-- Every row carries the id of the device (store copy) that wrote it, so stores can one day be
-- merged as a union. Times are UTC, ISO 8601 with milliseconds and a Z; dates are YYYY-MM-DD.
-- Narrative fields live in `body` (JSON of the core's typed structs); columns hold what is
-- queried, joined or indexed.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role       TEXT NOT NULL CHECK (role IN ('dsl', 'deputy', 'head', 'staff'))
) STRICT;

CREATE TABLE user_events (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    by_user   TEXT NOT NULL REFERENCES users(id),
    user_id   TEXT NOT NULL REFERENCES users(id),
    event     TEXT NOT NULL CHECK (event IN ('removed', 'passphrase_changed', 'passphrase_recovered'))
) STRICT;
CREATE INDEX user_events_user ON user_events(user_id);

CREATE TABLE settings (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    by_user   TEXT REFERENCES users(id),
    key       TEXT NOT NULL,
    value     TEXT NOT NULL
) STRICT;
CREATE INDEX settings_key ON settings(key, seq);

CREATE TABLE pupils (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    upn        TEXT UNIQUE,
    body       TEXT NOT NULL
) STRICT;

CREATE TABLE households (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    body       TEXT NOT NULL
) STRICT;

CREATE TABLE household_members (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    pupil_id     TEXT REFERENCES pupils(id),
    body         TEXT NOT NULL
) STRICT;
CREATE INDEX household_members_household ON household_members(household_id);
CREATE INDEX household_members_pupil ON household_members(pupil_id);

CREATE TABLE household_member_ends (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    by_user   TEXT NOT NULL REFERENCES users(id),
    member_id TEXT NOT NULL UNIQUE REFERENCES household_members(id),
    body      TEXT NOT NULL
) STRICT;

CREATE TABLE concerns (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    pupil_id    TEXT NOT NULL REFERENCES pupils(id),
    observed_at TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX concerns_pupil ON concerns(pupil_id, observed_at);
CREATE INDEX concerns_recorded ON concerns(recorded_at);
CREATE INDEX concerns_author ON concerns(recorded_by, recorded_at);

-- Other children involved in a concern, each with their own role (never copied categories).
CREATE TABLE concern_children (
    seq        INTEGER PRIMARY KEY,
    concern_id TEXT NOT NULL REFERENCES concerns(id),
    pupil_id   TEXT REFERENCES pupils(id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL
) STRICT;
CREATE INDEX concern_children_pupil ON concern_children(pupil_id);
CREATE INDEX concern_children_concern ON concern_children(concern_id);

CREATE TABLE attachments (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL REFERENCES users(id),
    record_id  TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    data       BLOB NOT NULL
) STRICT;
CREATE INDEX attachments_record ON attachments(record_id);

CREATE TABLE encompass_notifications (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    received_at TEXT NOT NULL,
    respond_by  TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX encompass_received ON encompass_notifications(received_at);

CREATE TABLE encompass_children (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    notification_id TEXT NOT NULL REFERENCES encompass_notifications(id),
    pupil_id        TEXT NOT NULL REFERENCES pupils(id),
    body            TEXT NOT NULL,
    UNIQUE (notification_id, pupil_id)
) STRICT;
CREATE INDEX encompass_children_pupil ON encompass_children(pupil_id);

CREATE TABLE voice_entries (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    pupil_id    TEXT NOT NULL REFERENCES pupils(id),
    spoken_at   TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX voice_pupil ON voice_entries(pupil_id, spoken_at);

CREATE TABLE follow_ups (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    device_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    pupil_id   TEXT NOT NULL REFERENCES pupils(id),
    source_id  TEXT,
    owner_id   TEXT NOT NULL REFERENCES users(id),
    due_on     TEXT NOT NULL,
    body       TEXT NOT NULL
) STRICT;
CREATE INDEX follow_ups_due ON follow_ups(due_on);
CREATE INDEX follow_ups_pupil ON follow_ups(pupil_id);
CREATE INDEX follow_ups_source ON follow_ups(source_id);

CREATE TABLE follow_up_events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL,
    at           TEXT NOT NULL,
    by_user      TEXT NOT NULL REFERENCES users(id),
    follow_up_id TEXT NOT NULL REFERENCES follow_ups(id),
    event        TEXT NOT NULL CHECK (event IN ('completed', 'reassigned')),
    owner_id     TEXT REFERENCES users(id),
    body         TEXT NOT NULL
) STRICT;
CREATE INDEX follow_up_events_follow_up ON follow_up_events(follow_up_id, seq);

CREATE TABLE referrals (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    device_id       TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES users(id),
    pupil_id        TEXT NOT NULL REFERENCES pupils(id),
    made_at         TEXT NOT NULL,
    decision_due_on TEXT NOT NULL,
    body            TEXT NOT NULL
) STRICT;
CREATE INDEX referrals_pupil ON referrals(pupil_id, made_at);

CREATE TABLE referral_decisions (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    referral_id TEXT NOT NULL REFERENCES referrals(id),
    received_on TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX referral_decisions_referral ON referral_decisions(referral_id);

CREATE TABLE escalations (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    opened_by   TEXT NOT NULL REFERENCES users(id),
    pupil_id    TEXT NOT NULL REFERENCES pupils(id),
    referral_id TEXT REFERENCES referrals(id),
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX escalations_pupil ON escalations(pupil_id);

CREATE TABLE escalation_stages (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    device_id     TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES users(id),
    escalation_id TEXT NOT NULL REFERENCES escalations(id),
    stage_no      INTEGER NOT NULL,
    raised_on     TEXT NOT NULL,
    due_on        TEXT NOT NULL,
    body          TEXT NOT NULL,
    UNIQUE (escalation_id, stage_no)
) STRICT;

CREATE TABLE escalation_events (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    device_id     TEXT NOT NULL,
    at            TEXT NOT NULL,
    by_user       TEXT NOT NULL REFERENCES users(id),
    escalation_id TEXT NOT NULL REFERENCES escalations(id),
    stage_id      TEXT REFERENCES escalation_stages(id),
    event         TEXT NOT NULL CHECK (event IN ('response', 'resolved', 'review_comment')),
    body          TEXT NOT NULL
) STRICT;
CREATE INDEX escalation_events_escalation ON escalation_events(escalation_id, seq);

CREATE TABLE amendments (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL REFERENCES users(id),
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL
) STRICT;
CREATE INDEX amendments_record ON amendments(record_id, seq);

-- Audit: per-device sequence and hash chain; never record content, only ids.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    device_id  TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    at         TEXT NOT NULL,
    user_id    TEXT,
    action     TEXT NOT NULL,
    targets    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
) STRICT;

-- Full-text search over every record's text, one row per record or amendment. External-content
-- FTS5 keyed on the INTEGER PRIMARY KEY so rowids stay stable.
CREATE TABLE search_text (
    rowid       INTEGER PRIMARY KEY,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    pupil_id    TEXT,
    author_id   TEXT NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE INDEX search_text_record ON search_text(record_id);

CREATE VIRTUAL TABLE search_index USING fts5(
    body,
    content = 'search_text',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.rowid, new.body);
END;

-- Derived state, maintained by triggers from the records above. These are indexes, not
-- records: rows leave them when a record closes the item, so the dashboard reads only what is
-- open instead of scanning years of history.
CREATE TABLE open_follow_ups (
    follow_up_id TEXT PRIMARY KEY REFERENCES follow_ups(id),
    due_on       TEXT NOT NULL,
    owner_id     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX open_follow_ups_due ON open_follow_ups(due_on);
CREATE TRIGGER follow_ups_open AFTER INSERT ON follow_ups BEGIN
    INSERT INTO open_follow_ups VALUES (new.id, new.due_on, new.owner_id);
END;
CREATE TRIGGER follow_up_events_close AFTER INSERT ON follow_up_events WHEN new.event = 'completed' BEGIN
    DELETE FROM open_follow_ups WHERE follow_up_id = new.follow_up_id;
END;
CREATE TRIGGER follow_up_events_reassign AFTER INSERT ON follow_up_events WHEN new.event = 'reassigned' BEGIN
    UPDATE open_follow_ups SET owner_id = new.owner_id WHERE follow_up_id = new.follow_up_id;
END;

CREATE TABLE open_referrals (
    referral_id     TEXT PRIMARY KEY REFERENCES referrals(id),
    decision_due_on TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TRIGGER referrals_open AFTER INSERT ON referrals BEGIN
    INSERT INTO open_referrals VALUES (new.id, new.decision_due_on);
END;
CREATE TRIGGER referral_decisions_close AFTER INSERT ON referral_decisions BEGIN
    DELETE FROM open_referrals WHERE referral_id = new.referral_id;
END;

CREATE TABLE open_escalations (
    escalation_id TEXT PRIMARY KEY REFERENCES escalations(id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER escalations_open AFTER INSERT ON escalations BEGIN
    INSERT INTO open_escalations VALUES (new.id);
END;
CREATE TRIGGER escalation_events_close AFTER INSERT ON escalation_events WHEN new.event = 'resolved' BEGIN
    DELETE FROM open_escalations WHERE escalation_id = new.escalation_id;
END;

-- Append-only enforcement.
CREATE TRIGGER store_meta_no_update BEFORE UPDATE ON store_meta BEGIN SELECT RAISE(ABORT, 'append-only: store_meta'); END;
CREATE TRIGGER store_meta_no_delete BEFORE DELETE ON store_meta BEGIN SELECT RAISE(ABORT, 'append-only: store_meta'); END;
CREATE TRIGGER users_no_update BEFORE UPDATE ON users BEGIN SELECT RAISE(ABORT, 'append-only: users'); END;
CREATE TRIGGER users_no_delete BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'append-only: users'); END;
CREATE TRIGGER user_events_no_update BEFORE UPDATE ON user_events BEGIN SELECT RAISE(ABORT, 'append-only: user_events'); END;
CREATE TRIGGER user_events_no_delete BEFORE DELETE ON user_events BEGIN SELECT RAISE(ABORT, 'append-only: user_events'); END;
CREATE TRIGGER settings_no_update BEFORE UPDATE ON settings BEGIN SELECT RAISE(ABORT, 'append-only: settings'); END;
CREATE TRIGGER settings_no_delete BEFORE DELETE ON settings BEGIN SELECT RAISE(ABORT, 'append-only: settings'); END;
CREATE TRIGGER pupils_no_update BEFORE UPDATE ON pupils BEGIN SELECT RAISE(ABORT, 'append-only: pupils'); END;
CREATE TRIGGER pupils_no_delete BEFORE DELETE ON pupils BEGIN SELECT RAISE(ABORT, 'append-only: pupils'); END;
CREATE TRIGGER households_no_update BEFORE UPDATE ON households BEGIN SELECT RAISE(ABORT, 'append-only: households'); END;
CREATE TRIGGER households_no_delete BEFORE DELETE ON households BEGIN SELECT RAISE(ABORT, 'append-only: households'); END;
CREATE TRIGGER household_members_no_update BEFORE UPDATE ON household_members BEGIN SELECT RAISE(ABORT, 'append-only: household_members'); END;
CREATE TRIGGER household_members_no_delete BEFORE DELETE ON household_members BEGIN SELECT RAISE(ABORT, 'append-only: household_members'); END;
CREATE TRIGGER household_member_ends_no_update BEFORE UPDATE ON household_member_ends BEGIN SELECT RAISE(ABORT, 'append-only: household_member_ends'); END;
CREATE TRIGGER household_member_ends_no_delete BEFORE DELETE ON household_member_ends BEGIN SELECT RAISE(ABORT, 'append-only: household_member_ends'); END;
CREATE TRIGGER concerns_no_update BEFORE UPDATE ON concerns BEGIN SELECT RAISE(ABORT, 'append-only: concerns'); END;
CREATE TRIGGER concerns_no_delete BEFORE DELETE ON concerns BEGIN SELECT RAISE(ABORT, 'append-only: concerns'); END;
CREATE TRIGGER concern_children_no_update BEFORE UPDATE ON concern_children BEGIN SELECT RAISE(ABORT, 'append-only: concern_children'); END;
CREATE TRIGGER concern_children_no_delete BEFORE DELETE ON concern_children BEGIN SELECT RAISE(ABORT, 'append-only: concern_children'); END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments BEGIN SELECT RAISE(ABORT, 'append-only: attachments'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments BEGIN SELECT RAISE(ABORT, 'append-only: attachments'); END;
CREATE TRIGGER encompass_notifications_no_update BEFORE UPDATE ON encompass_notifications BEGIN SELECT RAISE(ABORT, 'append-only: encompass_notifications'); END;
CREATE TRIGGER encompass_notifications_no_delete BEFORE DELETE ON encompass_notifications BEGIN SELECT RAISE(ABORT, 'append-only: encompass_notifications'); END;
CREATE TRIGGER encompass_children_no_update BEFORE UPDATE ON encompass_children BEGIN SELECT RAISE(ABORT, 'append-only: encompass_children'); END;
CREATE TRIGGER encompass_children_no_delete BEFORE DELETE ON encompass_children BEGIN SELECT RAISE(ABORT, 'append-only: encompass_children'); END;
CREATE TRIGGER voice_entries_no_update BEFORE UPDATE ON voice_entries BEGIN SELECT RAISE(ABORT, 'append-only: voice_entries'); END;
CREATE TRIGGER voice_entries_no_delete BEFORE DELETE ON voice_entries BEGIN SELECT RAISE(ABORT, 'append-only: voice_entries'); END;
CREATE TRIGGER follow_ups_no_update BEFORE UPDATE ON follow_ups BEGIN SELECT RAISE(ABORT, 'append-only: follow_ups'); END;
CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups BEGIN SELECT RAISE(ABORT, 'append-only: follow_ups'); END;
CREATE TRIGGER follow_up_events_no_update BEFORE UPDATE ON follow_up_events BEGIN SELECT RAISE(ABORT, 'append-only: follow_up_events'); END;
CREATE TRIGGER follow_up_events_no_delete BEFORE DELETE ON follow_up_events BEGIN SELECT RAISE(ABORT, 'append-only: follow_up_events'); END;
CREATE TRIGGER referrals_no_update BEFORE UPDATE ON referrals BEGIN SELECT RAISE(ABORT, 'append-only: referrals'); END;
CREATE TRIGGER referrals_no_delete BEFORE DELETE ON referrals BEGIN SELECT RAISE(ABORT, 'append-only: referrals'); END;
CREATE TRIGGER referral_decisions_no_update BEFORE UPDATE ON referral_decisions BEGIN SELECT RAISE(ABORT, 'append-only: referral_decisions'); END;
CREATE TRIGGER referral_decisions_no_delete BEFORE DELETE ON referral_decisions BEGIN SELECT RAISE(ABORT, 'append-only: referral_decisions'); END;
CREATE TRIGGER escalations_no_update BEFORE UPDATE ON escalations BEGIN SELECT RAISE(ABORT, 'append-only: escalations'); END;
CREATE TRIGGER escalations_no_delete BEFORE DELETE ON escalations BEGIN SELECT RAISE(ABORT, 'append-only: escalations'); END;
CREATE TRIGGER escalation_stages_no_update BEFORE UPDATE ON escalation_stages BEGIN SELECT RAISE(ABORT, 'append-only: escalation_stages'); END;
CREATE TRIGGER escalation_stages_no_delete BEFORE DELETE ON escalation_stages BEGIN SELECT RAISE(ABORT, 'append-only: escalation_stages'); END;
CREATE TRIGGER escalation_events_no_update BEFORE UPDATE ON escalation_events BEGIN SELECT RAISE(ABORT, 'append-only: escalation_events'); END;
CREATE TRIGGER escalation_events_no_delete BEFORE DELETE ON escalation_events BEGIN SELECT RAISE(ABORT, 'append-only: escalation_events'); END;
CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments BEGIN SELECT RAISE(ABORT, 'append-only: amendments'); END;
CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments BEGIN SELECT RAISE(ABORT, 'append-only: amendments'); END;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'append-only: audit_events'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'append-only: audit_events'); END;
CREATE TRIGGER search_text_no_update BEFORE UPDATE ON search_text BEGIN SELECT RAISE(ABORT, 'append-only: search_text'); END;
CREATE TRIGGER search_text_no_delete BEFORE DELETE ON search_text BEGIN SELECT RAISE(ABORT, 'append-only: search_text'); END;
