-- One `notices send` at a time per database. Two senders each pace themselves to LINE's rate limit, so
-- together they exceed it (429s). The sender that runs holds this one row and renews it every second; a
-- sender that finds it held by a live sender exits 75, and a killed sender's row simply expires.
CREATE TABLE notice_sender_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- NoticesJob.owner: host, process and a random suffix.
    owner TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- notice_requests gains the final state 'dropped': a request whose every recipient unfollowed the official
-- account before it was sent is never sent (LINE would accept it and never show it); its recipients are on the
-- fallback list. The table is rebuilt (a CHECK cannot be altered) as in 0007: with defer_foreign_keys the
-- DROP's implicit delete only counts the notice_recipients rows that lose their request, and re-inserting
-- every request under its old id counts them back.
--   pending -> dropped (every recipient unfollowed before the send; they are on the fallback list)
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE notice_requests_copy AS SELECT * FROM notice_requests;
DROP TABLE notice_requests;

CREATE TABLE notice_requests (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    endpoint TEXT NOT NULL CHECK (endpoint IN ('push', 'multicast')),
    recipients TEXT NOT NULL CHECK (json_valid(recipients) AND json_type(recipients) = 'array'),
    recipient_count INTEGER NOT NULL CHECK (recipient_count BETWEEN 1 AND 500),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    retry_key TEXT NOT NULL UNIQUE CHECK (length(retry_key) = 36),
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at TEXT,
    -- The retry key's 24 h window starts with the first attempt.
    first_attempt_at TEXT,
    last_attempt_at TEXT,
    last_status INTEGER,
    failure_reason TEXT,
    accepted_request_id TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((state = 'sending') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

INSERT INTO notice_requests SELECT * FROM notice_requests_copy ORDER BY id;
DROP TABLE notice_requests_copy;

CREATE INDEX notice_requests_due ON notice_requests (state, next_attempt_at);
CREATE INDEX notice_requests_by_lease ON notice_requests (state, lease_expires_at);
CREATE INDEX notice_requests_by_notice ON notice_requests (notice_id, state);
