-- LINE notices, second part: delivering `resident_messages` (0005) through the notices outbox.
-- Each delivered message becomes its own notice (one resident, one text), and the notice remembers the
-- message it came from. The unique index is the last line of defence against delivering a message twice:
-- a second freeze of the same message fails and rolls its transaction back.
ALTER TABLE notices ADD COLUMN resident_message_id INTEGER REFERENCES resident_messages (id);
CREATE UNIQUE INDEX notices_by_resident_message ON notices (resident_message_id)
    WHERE resident_message_id IS NOT NULL;

-- The delivery job reads undelivered messages oldest first through 0005's resident_messages_undelivered.

-- The console's confirm form carries a token made at preview time; a double-clicked or resent confirm finds
-- the notice that token already created instead of freezing (and later sending) the same notice twice.
ALTER TABLE notices ADD COLUMN compose_token TEXT;
CREATE UNIQUE INDEX notices_by_compose_token ON notices (compose_token) WHERE compose_token IS NOT NULL;
