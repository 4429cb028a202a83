-- What each keyring generation holds: the digest of its slots and keys (everything signed but
-- the generation number and the audit anchor, which change at every session's close). A change
-- is recorded as intended (`written` = 0) before its file is written, and as written (1) after.
-- At unlock the keyring must be the newest written one, or the newest intended one when it is
-- newer (a crash came between the two). A keyring the authority signed that this database
-- never recorded (forged by whoever kept an old authority key, or planted, swapped or rolled
-- back) is refused.
CREATE TABLE keyring_contents (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    generation INTEGER NOT NULL,
    digest     TEXT NOT NULL,
    written    INTEGER NOT NULL CHECK (written IN (0, 1))
) STRICT;
CREATE TRIGGER keyring_contents_no_update BEFORE UPDATE ON keyring_contents BEGIN SELECT RAISE(ABORT, 'append-only: keyring_contents'); END;
CREATE TRIGGER keyring_contents_no_delete BEFORE DELETE ON keyring_contents BEGIN SELECT RAISE(ABORT, 'append-only: keyring_contents'); END;
