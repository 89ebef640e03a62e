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
