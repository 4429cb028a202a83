-- Three changes of one release: amendments keep the version of the body they correct, a
-- write reworks only its families' prompts, and search's recent index is kept by time.

-- An amendment names a field of its record's body as it was at a schema version: the version it
-- was made at is kept with it, so a later build that renames or reshapes a field upgrades the
-- body to that version before applying it. Rows from before this column hold NULL: every body
-- was at version 1 then. (The audit hashes a column added later only when it holds a value, so
-- the rows already accounted for keep their hashes: `audit::ADDED_COLUMNS`.)
ALTER TABLE amendments ADD COLUMN schema_version INTEGER CHECK (schema_version >= 1);
-- NULL means only "made before this column": no amendment is written without its version now.
CREATE TRIGGER amendments_version_required BEFORE INSERT ON amendments
    WHEN new.schema_version IS NULL
BEGIN SELECT RAISE(ABORT, 'an amendment needs the schema version of its record'); END;

-- A write about one child has only their family's prompts worked out again
-- (`session::prompts::prompt_scope`): their concerns in the window are found through the child,
-- not by reading the whole school's window.
CREATE INDEX concern_facts_pupil ON concern_facts(pupil_id, observed_at);

-- Search's recent index holds the rows written from a time on (about a year back), whatever
-- order they were written in. Migration 011 kept the rows from a row on, which assumed rows
-- arrive in time order: a store whose first rows are recent and whose history was written after
-- them (a roll entered today, then years of records) kept every row in the "recent" index, so a
-- common word read the whole history. The floor is now a time, moved through an index on it.
-- The recent index starts empty, above every row (they are all searched below it); the next
-- unlock by the team lowers it to a year ago, filling it.
CREATE INDEX search_text_at ON search_text(at);
ALTER TABLE search_state DROP COLUMN recent_floor;
ALTER TABLE search_state ADD COLUMN recent_from TEXT NOT NULL DEFAULT '9999-12-31T23:59:59.999Z';
INSERT INTO search_recent(search_recent) VALUES ('delete-all');

DROP TRIGGER search_text_ai;
CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.rowid, new.body);
    INSERT INTO search_recent(rowid, body)
        SELECT new.rowid, new.body WHERE new.at >= (SELECT recent_from FROM search_state);
END;
