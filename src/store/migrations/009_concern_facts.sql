-- Derived state, not a record (kept on write, rebuilt from the records when it is missing):
-- each concern's current time and categories, amendments applied. Today's prompts read the
-- last weeks of concerns from its index instead of parsing every recent body and looking up
-- its amendments, so their cost does not grow with a school's history.
CREATE TABLE concern_facts (
    concern_id  TEXT PRIMARY KEY,
    pupil_id    TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    categories  TEXT NOT NULL
) STRICT;
CREATE INDEX concern_facts_observed ON concern_facts(observed_at);
