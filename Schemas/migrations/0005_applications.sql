-- Online applications (行政手続きのオンライン化): submitted forms, their status history, attachments, staff
-- template responses, the resident message outbox and the usage events the KPI module counts.
-- Procedure definitions are data in Schemas/procedures/*.json, not rows: each application records the code and
-- version it was filled against. Times are UTC text (see Store/UTCTimestamp.swift).

-- One application. `answers` is a JSON object of field name -> text or array of texts, as validated by
-- Sources/Applications/FieldValidation.swift. A draft is a form that passed the first step (its attachments
-- are stored) and awaits the resident's confirmation; it has no reference number yet.
--   draft -> received -> in_review -> approved -> completed
--                                  -> rejected
--                                  -> returned (要訂正) -> received (resubmitted)
--   received | returned -> withdrawn (取下げ, by the resident)
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    reference TEXT UNIQUE CHECK (reference IS NULL OR length(reference) = 8),
    procedure_code TEXT NOT NULL,
    procedure_version INTEGER NOT NULL CHECK (procedure_version >= 1),
    -- 担当課 when submitted, copied so the queue filters without the catalog.
    department TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id),
    -- SHA-256 of the secret shown once to a guest; with the reference it lets them look the application up.
    guest_secret_hash TEXT CHECK (guest_secret_hash IS NULL OR length(guest_secret_hash) = 64),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'counter', 'line')),
    -- The clerk who typed a counter (書かない窓口) application for the resident.
    entered_by_staff_id INTEGER REFERENCES staff (id),
    status TEXT NOT NULL CHECK (status IN (
        'draft', 'received', 'in_review', 'approved', 'rejected', 'returned', 'completed', 'withdrawn')),
    answers TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object'),
    fee_yen INTEGER NOT NULL CHECK (fee_yen >= 0),
    retention_years INTEGER NOT NULL CHECK (retention_years >= 1),
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    updated_at TEXT NOT NULL,
    assigned_staff_id INTEGER REFERENCES staff (id),
    assigned_at TEXT,
    closed_at TEXT,
    -- closed_at + retention_years; `madoguchi purge` removes personal data once it has passed.
    retain_until TEXT,
    purged_at TEXT,
    -- The form token of the page that created it: a second submit of the same page finds this row.
    submission_token TEXT NOT NULL UNIQUE CHECK (length(submission_token) BETWEEN 16 AND 128),
    CHECK ((status = 'draft') = (reference IS NULL)),
    CHECK (channel <> 'counter' OR entered_by_staff_id IS NOT NULL),
    CHECK ((status IN ('rejected', 'completed', 'withdrawn')) = (closed_at IS NOT NULL))
) STRICT;

CREATE INDEX applications_queue ON applications (status, department, submitted_at);
CREATE INDEX applications_by_resident ON applications (resident_id, submitted_at);
CREATE INDEX applications_by_procedure ON applications (procedure_code, submitted_at);
CREATE INDEX applications_retention ON applications (retain_until) WHERE purged_at IS NULL;

-- Every state change and staff action: who, when, from, to, the message the resident received and the
-- internal note only staff see.
CREATE TABLE application_events (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL CHECK (kind IN ('status', 'assigned', 'released', 'note')),
    actor_type TEXT NOT NULL CHECK (actor_type IN ('resident', 'guest', 'staff', 'system')),
    actor_id INTEGER,
    at TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    message TEXT,
    internal_note TEXT,
    CHECK ((actor_id IS NULL) = (actor_type IN ('guest', 'system')))
) STRICT;

CREATE INDEX application_events_by_application ON application_events (application_id, id);

-- Uploaded files, kept in the database so one backup holds everything. Served to staff only.
CREATE TABLE application_attachments (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    filename TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size INTEGER NOT NULL CHECK (size BETWEEN 1 AND 5242880),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX application_attachments_by_application ON application_attachments (application_id, field);

-- Responses staff pick when they move an application (editable by supervisors). to_status NULL fits any move.
CREATE TABLE response_templates (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    to_status TEXT CHECK (to_status IS NULL OR to_status IN (
        'in_review', 'approved', 'rejected', 'returned', 'completed')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    updated_at TEXT NOT NULL,
    updated_by_staff_id INTEGER REFERENCES staff (id)
) STRICT;

INSERT INTO response_templates (title, to_status, body, updated_at) VALUES
    ('審査開始', 'in_review', '申請を受け付け、担当者が内容を確認しています。結果はこのページでお知らせします。', '2026-04-01T00:00:00.000Z'),
    ('承認', 'approved', '申請は承認されました。', '2026-04-01T00:00:00.000Z'),
    ('承認（来庁のお願い）', 'approved', '申請は承認されました。お手数ですが、本人確認書類をお持ちのうえ役場の担当窓口へお越しください。', '2026-04-01T00:00:00.000Z'),
    ('記入内容の訂正依頼', 'returned', '申請内容に確認が必要な箇所があります。下記の点を訂正して、もう一度送信してください。', '2026-04-01T00:00:00.000Z'),
    ('添付書類の不足', 'returned', '必要な添付書類が確認できませんでした。書類を添付して、もう一度送信してください。', '2026-04-01T00:00:00.000Z'),
    ('要件を満たさないため却下', 'rejected', '申請の要件を満たさないため、受理できませんでした。詳しくは担当課までお問い合わせください。', '2026-04-01T00:00:00.000Z'),
    ('手続き完了', 'completed', '手続きが完了しました。ご利用ありがとうございました。', '2026-04-01T00:00:00.000Z');

-- Messages for a resident (or, for a guest application, for whoever holds its reference and secret). Written by
-- any module; the notices module delivers them later and fills delivered_at and delivery_channel. Until then
-- マイページ shows them.
CREATE TABLE resident_messages (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER REFERENCES residents (id),
    application_id INTEGER REFERENCES applications (id),
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- The module that wrote it, e.g. 'applications'.
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    delivered_at TEXT,
    delivery_channel TEXT CHECK (delivery_channel IS NULL OR delivery_channel IN ('line', 'email', 'post', 'mypage')),
    CHECK (resident_id IS NOT NULL OR application_id IS NOT NULL)
) STRICT;

CREATE INDEX resident_messages_by_resident ON resident_messages (resident_id, id);
CREATE INDEX resident_messages_by_application ON resident_messages (application_id, id);
CREATE INDEX resident_messages_undelivered ON resident_messages (id) WHERE delivered_at IS NULL;

-- One row per resident action, for the KPI module (オンラインシステム利用人数 counts distinct resident_key per
-- fiscal year). resident_key is hex HMAC-SHA256 of the resident id (or, for a guest, of the application id)
-- under a server secret: stable enough to count distinct people, useless for finding out who they are.
-- These rows hold no personal data and survive `madoguchi purge`.
CREATE TABLE usage_events (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    kind TEXT NOT NULL CHECK (kind GLOB '[a-z]*' AND length(kind) <= 32),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'counter', 'line')),
    resident_key TEXT NOT NULL CHECK (length(resident_key) = 64),
    procedure_code TEXT,
    -- April to March: FY2026 runs from 2026-04-01 to 2027-03-31 (JST).
    fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2999)
) STRICT;

CREATE INDEX usage_events_by_year ON usage_events (fiscal_year, resident_key);
