-- Search sees each record's current view, and its cost follows the last year, not the history.
--
-- `search_text` rows are records (audited, append-only): a correction appends the record's
-- whole current text and a row holding only the reason. What each row now stands for is
-- derived state, kept on write and rebuilt from the records at the team's unlock when
-- `search_state.version` is not the build's: a row whose text a later correction replaced is
-- `superseded` (search skips it), a correction's reason is `reason`, a follow-up's outcome is
-- `outcome`; a row not listed holds its record's current text.
CREATE TABLE search_row_roles (
    row_id INTEGER PRIMARY KEY,
    role   TEXT NOT NULL CHECK (role IN ('superseded', 'reason', 'outcome'))
) STRICT;

-- A second index over the same rows, holding only those from `recent_floor` on (about the last
-- year, moved at unlock). A word typed as a prefix makes FTS5 merge every matching term's whole
-- list of rows; over the recent index that list is a year's, so the newest fifty are found
-- without reading decades. Older rows are searched in `search_index` below the floor, only when
-- the recent ones are fewer than asked for.
CREATE VIRTUAL TABLE search_recent USING fts5(
    body,
    content = 'search_text',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Version 0: the roles above are rebuilt at the next unlock. The recent index starts empty,
-- above every row the store holds (correct: those are searched below the floor); the unlock
-- lowers the floor to a year ago, filling it.
CREATE TABLE search_state (
    version      INTEGER NOT NULL,
    recent_floor INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (version, recent_floor)
    SELECT 0, coalesce(max(rowid), 0) + 1 FROM search_text;

DROP TRIGGER search_text_ai;
CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO search_index(rowid, body) VALUES (new.rowid, new.body);
    INSERT INTO search_recent(rowid, body) VALUES (new.rowid, new.body);
END;
