-- The two tables every module writes, moved out of the applications story into the shared tier
-- (Sources/ServiceKit: ResidentMessages and UsageEvents are their only writers).

-- resident_messages: 0005 tied each message to an application (application_id REFERENCES applications). A
-- message now names the module that wrote it (source) and the record it is about in that module (record_id),
-- so certificates, payments and classes can write messages too. Ids are kept, so notices.resident_message_id
-- (0006) still points at the same rows.
--
-- The table is rebuilt inside the migration's transaction, where PRAGMA foreign_keys cannot be switched off.
-- With defer_foreign_keys the DROP's implicit delete only counts the notices that lose their message, and
-- re-inserting each message under its old id counts them back, so the transaction commits only if every
-- notice finds its message again.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE resident_messages_copy AS SELECT * FROM resident_messages;
DROP TABLE resident_messages;

CREATE TABLE resident_messages (
    id INTEGER PRIMARY KEY,
    -- NULL for a guest: the message is then found through (source, record_id), e.g. on the lookup page.
    resident_id INTEGER REFERENCES residents (id),
    -- The module that wrote it (its ServiceModule name), e.g. 'applications'.
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 32 AND source GLOB '[a-z]*'),
    -- The id of the record it is about in that module (an application's id); the module's purge deletes by it.
    record_id INTEGER,
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    delivery_channel TEXT CHECK (delivery_channel IS NULL OR delivery_channel IN ('line', 'email', 'post', 'mypage')),
    CHECK (resident_id IS NOT NULL OR record_id IS NOT NULL)
) STRICT;

INSERT INTO resident_messages
    (id, resident_id, source, record_id, subject, body, created_at, delivered_at, delivery_channel)
SELECT id, resident_id, source, application_id, subject, body, created_at, delivered_at, delivery_channel
FROM resident_messages_copy ORDER BY id;
DROP TABLE resident_messages_copy;

CREATE INDEX resident_messages_by_resident ON resident_messages (resident_id, id);
CREATE INDEX resident_messages_by_record ON resident_messages (source, record_id, id);
CREATE INDEX resident_messages_undelivered ON resident_messages (id) WHERE delivered_at IS NULL;

-- usage_events: procedure_code was the applications module's word for what an act was about. subject_code is
-- every module's: a procedure code, a certificate type, a class session.
ALTER TABLE usage_events RENAME COLUMN procedure_code TO subject_code;
