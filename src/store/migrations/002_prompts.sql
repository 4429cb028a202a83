-- Practice prompts: dismissals (append-only, with the reason and the records they covered) and
-- an index for reading recent concerns by when they were observed.

CREATE TABLE prompt_dismissals (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL REFERENCES users(id),
    prompt_key  TEXT NOT NULL,
    -- JSON array of the record ids that triggered the prompt when it was dismissed.
    trigger_ids TEXT NOT NULL,
    reason      TEXT NOT NULL
) STRICT;
CREATE INDEX prompt_dismissals_key ON prompt_dismissals(prompt_key);

CREATE TRIGGER prompt_dismissals_no_update BEFORE UPDATE ON prompt_dismissals BEGIN SELECT RAISE(ABORT, 'append-only: prompt_dismissals'); END;
CREATE TRIGGER prompt_dismissals_no_delete BEFORE DELETE ON prompt_dismissals BEGIN SELECT RAISE(ABORT, 'append-only: prompt_dismissals'); END;

CREATE INDEX concerns_observed ON concerns(observed_at);
