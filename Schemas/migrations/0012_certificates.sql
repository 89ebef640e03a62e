-- Certificate requests (証明書交付請求), their history, the 委任状 a 代理人 attaches, the dates an admin closes
-- the counter, and the counter tickets (待たない). Types are data (Schemas/certificates/*.json); a request
-- copies what it needs from its type (fee, 担当課) so the queue and the report read without the catalog.
--
--   submitted (online fee awaited) -> paid -> in_progress -> ready (窓口) -> handed_over
--   pay_at_counter ------------------------^              -> mailed (郵送)
--   submitted | paid | pay_at_counter | in_progress -> rejected (with a reason; a paid fee is refunded)
CREATE TABLE certificate_requests (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    -- The form token of the page that made it: a second submit or a reload finds this row, never a second one.
    submission_token TEXT NOT NULL UNIQUE CHECK (length(submission_token) BETWEEN 16 AND 128),
    type_code TEXT NOT NULL,
    department TEXT NOT NULL,
    copies INTEGER NOT NULL CHECK (copies BETWEEN 1 AND 10),
    requester TEXT NOT NULL CHECK (requester = 'self' OR requester = 'household' OR requester = 'agent'),
    -- JSON object option code -> "yes" | "no" | a 年度 (e.g. "2025").
    options TEXT NOT NULL CHECK (json_valid(options) AND json_type(options) = 'object'),
    purpose TEXT CHECK (purpose IS NULL OR length(purpose) <= 200),
    delivery TEXT NOT NULL CHECK (delivery = 'counter' OR delivery = 'mail'),
    pickup_date TEXT,
    -- The address on the resident record when the request was made: towns mail only there.
    mailing_address TEXT,
    payment TEXT NOT NULL CHECK (payment = 'online' OR payment = 'counter'),
    fee_yen INTEGER NOT NULL CHECK (fee_yen >= 0),
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'line' OR channel = 'counter'),
    -- 1 when the person waits at the counter (a clerk's entry): the queue serves them first.
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority = 0 OR priority = 1),
    status TEXT NOT NULL CHECK (
        status = 'submitted' OR status = 'paid' OR status = 'pay_at_counter' OR status = 'in_progress'
        OR status = 'ready' OR status = 'mailed' OR status = 'handed_over' OR status = 'rejected'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expected_ready_at TEXT NOT NULL,
    -- The lease: who holds the item and until when. An expired lease is free to claim again.
    claimed_by_staff_id INTEGER REFERENCES staff (id),
    lease_expires_at TEXT,
    ready_at TEXT,
    mailed_on TEXT,
    handed_over_at TEXT,
    -- The kind of identity document checked at hand-over (マイナンバーカード…), never its number.
    identity_document TEXT,
    counter_paid_yen INTEGER CHECK (counter_paid_yen IS NULL OR counter_paid_yen >= 0),
    rejection_reason TEXT CHECK (rejection_reason IS NULL OR length(rejection_reason) BETWEEN 1 AND 500),
    CHECK ((delivery = 'counter') = (pickup_date IS NOT NULL)),
    CHECK ((delivery = 'mail') = (mailing_address IS NOT NULL)),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
    CHECK ((claimed_by_staff_id IS NULL) = (lease_expires_at IS NULL))
) STRICT;

CREATE INDEX certificate_requests_queue ON certificate_requests (status, priority, created_at);
CREATE INDEX certificate_requests_by_resident ON certificate_requests (resident_id, id);
CREATE INDEX certificate_requests_by_day ON certificate_requests (created_at);

CREATE TABLE certificate_request_events (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES certificate_requests (id),
    at TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type = 'resident' OR actor_type = 'staff' OR actor_type = 'system'),
    actor_id INTEGER,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT
) STRICT;

CREATE INDEX certificate_request_events_by_request ON certificate_request_events (request_id, id);

-- The 委任状 a 代理人 attached: JPEG, PNG or PDF by its bytes, 5 MB at most. Staff see it as a download only.
CREATE TABLE certificate_letters_of_attorney (
    request_id INTEGER PRIMARY KEY REFERENCES certificate_requests (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (
        content_type = 'image/jpeg' OR content_type = 'image/png' OR content_type = 'application/pdf'),
    data BLOB NOT NULL CHECK (length(data) BETWEEN 1 AND 5242880)
) STRICT;

-- Dates an admin closed beyond weekends and 12/29-1/3 (庁舎点検, 選挙事務).
CREATE TABLE certificate_closed_dates (
    date TEXT PRIMARY KEY CHECK (length(date) = 10),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 100),
    added_by_staff_id INTEGER NOT NULL REFERENCES staff (id),
    added_at TEXT NOT NULL
) STRICT;

-- Counter tickets: a number per category per JST day; the follow token is the unguessable part of the URL
-- printed as a QR code on the ticket.
CREATE TABLE counter_tickets (
    id INTEGER PRIMARY KEY,
    -- Where it waits now (a clerk may move it), and the category whose sequence gave it its number.
    category_code TEXT NOT NULL,
    issued_category_code TEXT NOT NULL,
    service_date TEXT NOT NULL CHECK (length(service_date) = 10),
    number INTEGER NOT NULL CHECK (number >= 1),
    follow_token TEXT NOT NULL UNIQUE CHECK (length(follow_token) BETWEEN 22 AND 64),
    issued_via TEXT NOT NULL CHECK (issued_via = 'kiosk' OR issued_via = 'staff'),
    status TEXT NOT NULL CHECK (
        status = 'waiting' OR status = 'called' OR status = 'done' OR status = 'no_show'),
    taken_at TEXT NOT NULL,
    called_at TEXT,
    finished_at TEXT,
    counter_number INTEGER,
    called_by_staff_id INTEGER REFERENCES staff (id),
    -- A resident who linked the ticket to their account gets a LINE push when 3 are ahead of them.
    resident_id INTEGER REFERENCES residents (id),
    near_notice_sent INTEGER NOT NULL DEFAULT 0 CHECK (near_notice_sent = 0 OR near_notice_sent = 1),
    UNIQUE (service_date, issued_category_code, number)
) STRICT;

CREATE INDEX counter_tickets_waiting ON counter_tickets (service_date, category_code, status, id);
