-- Roles in the cryptography (keyring format 3): staff hold no database key.
-- The team's own keys, kept inside the encrypted database (so only those who open it hold them):
-- 'inbox' is the X25519 key pair staff seal what they record to (public = its public key, hex);
-- 'roster' is the symmetric key of the pupil roster staff pick children from (public = its id).
-- The newest of each kind is current; an item sealed to an older inbox key is set aside (it was
-- written after the rotation, with an old keyring). `covers_removals` is the newest removal
-- (user_events.seq) the key was made after: a removal above it means a rotation is owed.
CREATE TABLE team_keys (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('inbox', 'roster')),
    public          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    covers_removals INTEGER NOT NULL
) STRICT;
CREATE TRIGGER team_keys_no_update BEFORE UPDATE ON team_keys BEGIN SELECT RAISE(ABORT, 'append-only: team_keys'); END;
CREATE TRIGGER team_keys_no_delete BEFORE DELETE ON team_keys BEGIN SELECT RAISE(ABORT, 'append-only: team_keys'); END;

-- Every key pair a member of staff's slot has had: an inbox item is filed only if the author it
-- names had that public key.
CREATE TABLE staff_keys (
    seq        INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    public     TEXT NOT NULL,
    at         TEXT NOT NULL,
    UNIQUE (user_id, public)
) STRICT;
CREATE TRIGGER staff_keys_no_update BEFORE UPDATE ON staff_keys BEGIN SELECT RAISE(ABORT, 'append-only: staff_keys'); END;
CREATE TRIGGER staff_keys_no_delete BEFORE DELETE ON staff_keys BEGIN SELECT RAISE(ABORT, 'append-only: staff_keys'); END;

-- Inbox items filed as records: each once, with who filed it (the record keeps its author) and
-- the digest of the item's bytes (the same id must always mean the same item).
CREATE TABLE inbox_filed (
    seq        INTEGER PRIMARY KEY,
    item_id    TEXT NOT NULL UNIQUE,
    digest     TEXT NOT NULL,
    filed_at   TEXT NOT NULL,
    filed_by   TEXT NOT NULL REFERENCES users (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('concern', 'attachment')),
    record_id  TEXT NOT NULL
) STRICT;
CREATE TRIGGER inbox_filed_no_update BEFORE UPDATE ON inbox_filed BEGIN SELECT RAISE(ABORT, 'append-only: inbox_filed'); END;
CREATE TRIGGER inbox_filed_no_delete BEFORE DELETE ON inbox_filed BEGIN SELECT RAISE(ABORT, 'append-only: inbox_filed'); END;
