-- Derived state, not records (kept on write from each record's current view, amendments
-- applied; rebuilt from the records at the team's unlock when a table's newest row is not its
-- records' newest, or another version made it). Today's prompts, the pupil list and every read
-- that names a child read these small rows instead of parsing bodies and looking up
-- amendments, so their cost does not grow with a school's history. Each row carries its
-- record's seq, indexed, so the unlock's check reads two ends of two indexes, not the tables.

-- concern_facts (migration 009) again, with its record's seq.
DROP TABLE concern_facts;
CREATE TABLE concern_facts (
    concern_id  TEXT PRIMARY KEY,
    pupil_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    observed_at TEXT NOT NULL,
    categories  TEXT NOT NULL
) STRICT;
CREATE INDEX concern_facts_observed ON concern_facts(observed_at);
CREATE INDEX concern_facts_seq ON concern_facts(seq);

-- Each voice entry's current time: when each child was last heard, from one index.
CREATE TABLE voice_facts (
    voice_id  TEXT PRIMARY KEY,
    pupil_id  TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    spoken_at TEXT NOT NULL
) STRICT;
CREATE INDEX voice_facts_latest ON voice_facts(pupil_id, spoken_at);
CREATE INDEX voice_facts_seq ON voice_facts(seq);

-- Each referral's time, decision due date, agency as shown (its name when given) and the
-- decision, once recorded.
CREATE TABLE referral_facts (
    referral_id     TEXT PRIMARY KEY,
    pupil_id        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    made_at         TEXT NOT NULL,
    decision_due_on TEXT NOT NULL,
    agency          TEXT NOT NULL,
    decision_id     TEXT,
    outcome         TEXT,
    received_on     TEXT
) STRICT;
CREATE INDEX referral_facts_latest ON referral_facts(pupil_id, made_at, seq);
CREATE INDEX referral_facts_seq ON referral_facts(seq);

-- Each pupil's current name and year, the list's lowercase search keys, a bit per status flag
-- and the list summary (JSON).
CREATE TABLE pupil_facts (
    pupil_id   TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    name       TEXT NOT NULL,
    sort_name  TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    upn        TEXT,
    year_group TEXT NOT NULL,
    flags      INTEGER NOT NULL,
    summary    TEXT NOT NULL
) STRICT;
CREATE INDEX pupil_facts_by_name ON pupil_facts(sort_name, seq);
CREATE INDEX pupil_facts_seq ON pupil_facts(seq);

-- Each household member's household, pupil (for a pupil of this school), "Name (school)" for a
-- child at another school or setting, and whether they have left: each child's siblings.
CREATE TABLE member_facts (
    member_id    TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    pupil_id     TEXT,
    seq          INTEGER NOT NULL,
    elsewhere    TEXT,
    ended        INTEGER NOT NULL
) STRICT;
CREATE INDEX member_facts_household ON member_facts(household_id);
CREATE INDEX member_facts_pupil ON member_facts(pupil_id);
CREATE INDEX member_facts_seq ON member_facts(seq);

-- Which version of the derivation made the tables above: another one, or none, rebuilds them
-- all. (A later migration that adds a derived table must also empty this table.)
CREATE TABLE derived_state (
    version INTEGER NOT NULL
) STRICT;

-- Records whose body this version could not read: their rows above stand in from the
-- record's columns, Today says how many, and each unlock tries them again.
CREATE TABLE derived_unreadable (
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (record_kind, record_id)
) STRICT;
