-- The trust model (keyring format 2, content-covering audit events).
-- Audit events of format 2 commit to the content they wrote: `content` is the JSON list of the
-- (table, key, row hash) of every record row the event inserted, or the baseline digests of rows
-- written before this version. Events of format 1 (ids only) keep verifying as they were.
ALTER TABLE audit_events ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN content TEXT NOT NULL DEFAULT '';

-- Every keyring generation the database has seen: a keyring file older than the newest one
-- here is a rolled-back keyring and is refused. The authority's public key is in store_meta.
CREATE TABLE keyring_generations (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    generation INTEGER NOT NULL,
    digest     TEXT NOT NULL
) STRICT;
CREATE TRIGGER keyring_generations_no_update BEFORE UPDATE ON keyring_generations BEGIN SELECT RAISE(ABORT, 'append-only: keyring_generations'); END;
CREATE TRIGGER keyring_generations_no_delete BEFORE DELETE ON keyring_generations BEGIN SELECT RAISE(ABORT, 'append-only: keyring_generations'); END;
