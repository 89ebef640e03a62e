-- LINE notices (公式LINE): templates, notices, the outbox of frozen requests, who got what, LINE account links,
-- one-time link codes and received webhook events. Times are UTC text (see Store/UTCTimestamp.swift).
-- Domain facts and the outbox rule: DESIGN.md, "Domain facts: LINE Messaging API".

-- Reusable texts with named placeholders such as {氏名} or {日時}. `messages` is a JSON array of 1..5 texts.
CREATE TABLE notice_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    messages TEXT NOT NULL CHECK (json_valid(messages) AND json_type(messages) = 'array'),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- One notice as staff composed it. The texts are copied from the template, so editing a template later
-- never changes what a notice said. `audience` is the JSON form of Audience.swift.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    template_id INTEGER REFERENCES notice_templates(id) ON DELETE SET NULL,
    messages TEXT NOT NULL CHECK (json_valid(messages) AND json_type(messages) = 'array'),
    placeholder_values TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(placeholder_values)),
    audience_kind TEXT NOT NULL CHECK (audience_kind IN ('resident', 'residents', 'district', 'all_linked')),
    audience TEXT NOT NULL CHECK (json_valid(audience)),
    personalised INTEGER NOT NULL CHECK (personalised IN (0, 1)),
    send_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- queued: some request is not final yet; done: every request sent; needs_attention: a request ended
    -- failed or unknown (its recipients are on the fallback list).
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'needs_attention')),
    recipient_count INTEGER NOT NULL,
    fallback_count INTEGER NOT NULL
) STRICT;
CREATE INDEX notices_by_created_at ON notices (created_at);

-- The outbox. Each row is one LINE API call frozen before the first send: endpoint, recipients, the exact
-- JSON body and the retry key, so every retry repeats the same call and LINE executes it at most once.
--   pending -> sending (leased to one sender) -> sent (200 or 409)
--                                             -> failed (another 4xx; failure_reason says why)
--                                             -> pending again (5xx, timeout, 429: same key, later)
--   pending past the 24 h key window -> unknown (a person must check; never sent again blindly)
CREATE TABLE notice_requests (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    endpoint TEXT NOT NULL CHECK (endpoint IN ('push', 'multicast')),
    recipients TEXT NOT NULL CHECK (json_valid(recipients) AND json_type(recipients) = 'array'),
    recipient_count INTEGER NOT NULL CHECK (recipient_count BETWEEN 1 AND 500),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    retry_key TEXT NOT NULL UNIQUE CHECK (length(retry_key) = 36),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
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
CREATE INDEX notice_requests_due ON notice_requests (state, next_attempt_at);
CREATE INDEX notice_requests_by_lease ON notice_requests (state, lease_expires_at);
CREATE INDEX notice_requests_by_notice ON notice_requests (notice_id, state);

-- Every resident a notice targeted, and how it reaches them: by LINE (through request_id) or on the
-- printable fallback list (post or phone) with the text. A notice is never silently lost.
CREATE TABLE notice_recipients (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    line_user_id TEXT,
    request_id INTEGER REFERENCES notice_requests(id),
    delivery TEXT NOT NULL CHECK (delivery IN ('line', 'fallback')),
    fallback_reason TEXT CHECK (fallback_reason IN ('no_link', 'failed', 'unknown', 'unfollowed')),
    fallback_text TEXT,
    fallback_handled_at TEXT,
    fallback_handled_by TEXT,
    PRIMARY KEY (notice_id, resident_id),
    CHECK ((delivery = 'fallback') = (fallback_reason IS NOT NULL AND fallback_text IS NOT NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX notice_recipients_by_request ON notice_recipients (request_id);
CREATE INDEX notice_recipients_open_fallback ON notice_recipients (delivery, fallback_handled_at);
CREATE INDEX notice_recipients_by_line_user ON notice_recipients (line_user_id);

-- A resident's LINE user id. History is kept: unlinking sets active = 0 rather than deleting.
CREATE TABLE line_links (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    line_user_id TEXT NOT NULL CHECK (length(line_user_id) BETWEEN 1 AND 64),
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    linked_at TEXT NOT NULL,
    linked_by TEXT NOT NULL CHECK (linked_by IN ('resident', 'counter')),
    unlinked_at TEXT,
    unlinked_reason TEXT CHECK (unlinked_reason IN ('resident', 'counter', 'line_user', 'unfollow', 'replaced')),
    CHECK ((active = 1) = (unlinked_at IS NULL))
) STRICT;
-- One active link per resident and per LINE user.
CREATE UNIQUE INDEX line_links_one_active_per_resident ON line_links (resident_id) WHERE active = 1;
CREATE UNIQUE INDEX line_links_one_active_per_line_user ON line_links (line_user_id) WHERE active = 1;
CREATE INDEX line_links_by_line_user ON line_links (line_user_id);

-- One-time codes shown on マイページ (or by a clerk at the counter) and sent to the official account in LINE.
-- Only the SHA-256 of the code is stored.
CREATE TABLE line_link_codes (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    code_sha256 TEXT NOT NULL UNIQUE,
    issued_by TEXT NOT NULL CHECK (issued_by IN ('resident', 'counter')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    link_id INTEGER REFERENCES line_links(id)
) STRICT;
CREATE INDEX line_link_codes_by_resident ON line_link_codes (resident_id);

-- Webhook events as received, stored before the 200 and processed afterwards. The unique
-- webhook_event_id makes a redelivered event a no-op.
CREATE TABLE line_webhook_events (
    id INTEGER PRIMARY KEY,
    webhook_event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    source_user_id TEXT,
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    is_redelivery INTEGER NOT NULL CHECK (is_redelivery IN (0, 1)),
    received_at TEXT NOT NULL,
    processed_at TEXT,
    outcome TEXT
) STRICT;
CREATE INDEX line_webhook_events_unprocessed ON line_webhook_events (id) WHERE processed_at IS NULL;
-- Counting a LINE user's rejected link codes of the last hour.
CREATE INDEX line_webhook_events_by_user ON line_webhook_events (source_user_id, outcome, processed_at);
