-- Unsaved forms, kept inside the encrypted store so a lock, a crash or a closed lid loses
-- nothing. A draft is not a record: it is replaced as the person types and removed when the
-- record is saved or the draft discarded, so this table alone is not append-only.
CREATE TABLE drafts (
    user_id  TEXT NOT NULL REFERENCES users(id),
    form     TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (user_id, form)
) STRICT;
