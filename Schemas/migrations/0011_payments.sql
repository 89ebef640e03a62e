-- Cashless fee records (公共料金キャッシュレス決済, issue #12): payments in integer yen, their append-only state
-- history, refunds, the API's idempotency keys, stored provider webhooks and the sandbox checkout's own state.
-- Card data never reaches these tables: the payer types it on the provider's hosted page only.
-- Checks are written as comparisons, not IN lists (an IN list costs an ephemeral b-tree per inserted row,
-- issue #10).

-- One fee to pay.
--   created -> authorized -> captured -> settled
--   created | authorized -> failed | cancelled | expired (an unpaid checkout after 90 minutes)
-- `purpose` is a code from Schemas/payments/purposes.json; `subject_module`/`subject_id` the record it pays
-- for in its own module. `method` is unknown (NULL) until the payer chooses at the checkout.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 32),
    subject_module TEXT NOT NULL CHECK (length(subject_module) BETWEEN 1 AND 32),
    subject_id INTEGER NOT NULL,
    payer_resident_id INTEGER REFERENCES residents (id),
    payer_guest_reference TEXT CHECK (payer_guest_reference IS NULL OR length(payer_guest_reference) BETWEEN 1 AND 64),
    amount_yen INTEGER NOT NULL CHECK (amount_yen BETWEEN 1 AND 10000000),
    description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    method TEXT CHECK (method IS NULL OR method = 'credit_card' OR method = 'qr_code' OR method = 'e_money'
        OR method = 'account_transfer' OR method = 'convenience_store' OR method = 'cash' OR method = 'card_terminal'),
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'counter'),
    provider TEXT NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    provider_reference TEXT CHECK (provider_reference IS NULL OR length(provider_reference) BETWEEN 1 AND 255),
    state TEXT NOT NULL CHECK (state = 'created' OR state = 'authorized' OR state = 'captured' OR state = 'settled'
        OR state = 'failed' OR state = 'cancelled' OR state = 'expired'),
    return_path TEXT NOT NULL CHECK (substr(return_path, 1, 1) = '/'),
    -- The creating call's key, unique within the subject's module (FeeRequest.idempotencyKey), and a digest of
    -- what it asked for, so the same key with a different request is refused.
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_digest TEXT NOT NULL CHECK (length(request_digest) = 64),
    -- The unguessable part of the pay page's path (/payments/<token>): a guest pays through the link on their
    -- completion page without an account.
    checkout_token TEXT NOT NULL UNIQUE CHECK (length(checkout_token) BETWEEN 32 AND 64),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    captured_at TEXT,
    settled_at TEXT,
    UNIQUE (subject_module, idempotency_key),
    UNIQUE (provider, provider_reference),
    CHECK ((payer_resident_id IS NULL) <> (payer_guest_reference IS NULL)),
    CHECK ((state = 'captured' OR state = 'settled') = (captured_at IS NOT NULL))
) STRICT;

CREATE INDEX payments_by_subject ON payments (subject_module, subject_id, id);
CREATE INDEX payments_by_resident ON payments (payer_resident_id, id) WHERE payer_resident_id IS NOT NULL;
CREATE INDEX payments_awaiting ON payments (expires_at) WHERE state = 'created' OR state = 'authorized';
CREATE INDEX payments_by_captured_at ON payments (captured_at) WHERE captured_at IS NOT NULL;

-- Every state change: who or which webhook, when, from, to. Append-only: the triggers refuse any change.
CREATE TABLE payment_events (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    at TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type = 'resident' OR actor_type = 'guest' OR actor_type = 'staff'
        OR actor_type = 'system' OR actor_type = 'provider' OR actor_type = 'webhook'),
    actor_id INTEGER,
    -- The provider's event id for a webhook, or the provider's name for a status fetch.
    actor_reference TEXT,
    note TEXT CHECK (note IS NULL OR length(note) <= 500)
) STRICT;

CREATE INDEX payment_events_by_payment ON payment_events (payment_id, id);

CREATE TRIGGER payment_events_append_only_update BEFORE UPDATE ON payment_events
BEGIN
    SELECT RAISE(ABORT, 'payment_events is append-only');
END;

CREATE TRIGGER payment_events_append_only_delete BEFORE DELETE ON payment_events
BEGIN
    SELECT RAISE(ABORT, 'payment_events is append-only');
END;

-- Money handed back: submitted -> succeeded | failed. A counter cash refund records the cash handed back.
CREATE TABLE payment_refunds (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    amount_yen INTEGER NOT NULL CHECK (amount_yen BETWEEN 1 AND 10000000),
    state TEXT NOT NULL CHECK (state = 'submitted' OR state = 'succeeded' OR state = 'failed'),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    provider_reference TEXT,
    cash_handed_back_yen INTEGER CHECK (cash_handed_back_yen IS NULL OR cash_handed_back_yen >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX payment_refunds_by_payment ON payment_refunds (payment_id, id);

-- The JSON API's Idempotency-Key: the first answer, replayed byte for byte for 24 hours, then purged.
CREATE TABLE payment_idempotency_keys (
    id INTEGER PRIMARY KEY,
    -- Who called: keys of different callers never meet ('token:7', 'staff:3').
    caller TEXT NOT NULL CHECK (length(caller) BETWEEN 1 AND 64),
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_digest TEXT NOT NULL CHECK (length(request_digest) = 64),
    response_status INTEGER NOT NULL,
    response_body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (caller, key)
) STRICT;

CREATE INDEX payment_idempotency_keys_by_age ON payment_idempotency_keys (created_at);

-- Provider webhooks, stored before the 200 and processed after it. The event id refuses a replay.
CREATE TABLE payment_webhook_events (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    event_id TEXT NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    provider_reference TEXT,
    body BLOB NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT,
    -- 'applied', 'no_change', 'unknown_payment' (kept to retry once the payment exists), 'refused'
    outcome TEXT CHECK (outcome IS NULL OR outcome = 'applied' OR outcome = 'no_change'
        OR outcome = 'unknown_payment' OR outcome = 'refused'),
    UNIQUE (provider, event_id)
) STRICT;

CREATE INDEX payment_webhook_events_unprocessed ON payment_webhook_events (id) WHERE processed_at IS NULL;
CREATE INDEX payment_webhook_events_waiting ON payment_webhook_events (provider, provider_reference)
    WHERE outcome = 'unknown_payment';

-- The sandbox provider's side of a checkout (Madoguchi plays the provider on loopback for `make run` and the
-- browser tests). Its state is the provider's, read back by the status fetch exactly as a real one's would be.
CREATE TABLE payment_sandbox_checkouts (
    reference TEXT PRIMARY KEY CHECK (length(reference) BETWEEN 16 AND 64),
    amount_yen INTEGER NOT NULL,
    description TEXT NOT NULL,
    return_url TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state = 'created' OR state = 'success' OR state = 'failed' OR state = 'cancelled'
        OR state = 'expired'),
    method TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
