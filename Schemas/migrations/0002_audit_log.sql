-- The audit log: who did what to which record, when and from where. Append-only and hash-chained; the
-- chain format is documented in Sources/Security/AuditLog.swift (AuditLog.canonicalRow).
-- Rows hold ids only, never names or other personal data.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('staff', 'resident', 'job', 'guest', 'system')),
    -- Staff and residents carry their id, jobs their token or job name; guests and the system carry none.
    actor_id TEXT CHECK ((actor_id IS NULL) = (actor_type IN ('guest', 'system'))),
    action TEXT NOT NULL CHECK (length(action) > 0),
    subject_type TEXT,
    subject_id TEXT,
    client_address TEXT,
    request_id TEXT,
    previous_hash TEXT NOT NULL CHECK (length(previous_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

-- The viewer filters by time, by record and by actor; each index ends in the rowid, so "newest first"
-- within one record or actor is read straight off the index.
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);
CREATE INDEX audit_log_actor ON audit_log (actor_type, actor_id);

-- The application never edits or removes audit rows. Someone with the file can drop these triggers,
-- which is what the hash chain is for.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
