-- Each child's chronology entries, made from their records' current views when a record, an
-- amendment of it or something it shows is written (derived state, not records: rebuilt from
-- the records at the team's unlock when a source's newest row has no entry). Opening a child's
-- file reads one index instead of parsing every record of decades of history.
CREATE TABLE chronology_facts (
    record_id   TEXT NOT NULL,
    -- The child whose chronology it is in (a concern that names another child has an entry
    -- in theirs too, `named_as` their role).
    pupil_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    -- The record table whose row made the entry, and that row's seq (the unlock's check).
    source      TEXT NOT NULL,
    source_seq  INTEGER NOT NULL,
    named_as    TEXT,
    author      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    at          TEXT NOT NULL,
    -- 0 when this build could not read the record: the entry says so and is tried again at
    -- each unlock.
    readable    INTEGER NOT NULL,
    -- What the entry shows (JSON): time, title, text, the child's words, categories, fields.
    entry       TEXT NOT NULL,
    -- A rowid table, appended to in the order records are written (clustering it by child
    -- made the first build of a large store's table several times slower for little gain).
    -- The source row too: a concern may name the same child twice, in two roles.
    PRIMARY KEY (record_id, pupil_id, source, source_seq)
) STRICT;
CREATE INDEX chronology_facts_pupil ON chronology_facts(pupil_id, at);
CREATE INDEX chronology_facts_source ON chronology_facts(source, source_seq);
CREATE INDEX chronology_facts_unreadable ON chronology_facts(record_id) WHERE readable = 0;
