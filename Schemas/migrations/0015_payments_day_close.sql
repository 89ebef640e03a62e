-- Payments (issue #12), third migration: the daily cash close (日計表). A supervisor closes a JST business day;
-- its figures are snapshotted in payment_day_close_lines and every entry it counted (a captured payment, a
-- succeeded refund) is stamped with that day. Triggers make all of it immutable, so even a direct UPDATE fails.
-- An entry recorded later for an already closed day is counted by the next close, as a dated correction.
CREATE TABLE payment_day_closes (
    business_day TEXT PRIMARY KEY CHECK (business_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    closed_at TEXT NOT NULL,
    closed_by_staff_id INTEGER NOT NULL REFERENCES staff (id)
) STRICT;

CREATE TABLE payment_day_close_lines (
    id INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL REFERENCES payment_day_closes (business_day),
    kind TEXT NOT NULL CHECK (kind = 'payment' OR kind = 'refund'),
    -- The JST date the entry belongs to: before business_day for a correction to an earlier, closed day.
    entry_day TEXT NOT NULL,
    method TEXT NOT NULL,
    purpose TEXT NOT NULL,
    cashless INTEGER NOT NULL CHECK (cashless = 0 OR cashless = 1),
    count INTEGER NOT NULL CHECK (count >= 1),
    total_yen INTEGER NOT NULL CHECK (total_yen >= 0)
) STRICT;

CREATE INDEX payment_day_close_lines_by_day ON payment_day_close_lines (business_day, id);

ALTER TABLE payments ADD COLUMN closed_in_day TEXT REFERENCES payment_day_closes (business_day);
ALTER TABLE payment_refunds ADD COLUMN closed_in_day TEXT REFERENCES payment_day_closes (business_day);

CREATE TRIGGER payment_day_closes_immutable_update BEFORE UPDATE ON payment_day_closes
BEGIN
    SELECT RAISE(ABORT, 'a closed business day cannot change');
END;

CREATE TRIGGER payment_day_closes_immutable_delete BEFORE DELETE ON payment_day_closes
BEGIN
    SELECT RAISE(ABORT, 'a closed business day cannot change');
END;

CREATE TRIGGER payment_day_close_lines_immutable_update BEFORE UPDATE ON payment_day_close_lines
BEGIN
    SELECT RAISE(ABORT, 'a closed business day cannot change');
END;

CREATE TRIGGER payment_day_close_lines_immutable_delete BEFORE DELETE ON payment_day_close_lines
BEGIN
    SELECT RAISE(ABORT, 'a closed business day cannot change');
END;

-- A counted payment keeps its money fields; only the provider's settlement (captured -> settled) may follow.
-- Compared by value, not `UPDATE OF`: the state writer sets every column it might change.
CREATE TRIGGER payments_closed_immutable BEFORE UPDATE ON payments
WHEN OLD.closed_in_day IS NOT NULL AND (
    NEW.amount_yen IS NOT OLD.amount_yen OR NEW.method IS NOT OLD.method OR NEW.channel IS NOT OLD.channel
    OR NEW.captured_at IS NOT OLD.captured_at OR NEW.cash_received_yen IS NOT OLD.cash_received_yen
    OR NEW.change_yen IS NOT OLD.change_yen OR NEW.closed_in_day IS NOT OLD.closed_in_day
    OR NOT (NEW.state = OLD.state OR (OLD.state = 'captured' AND NEW.state = 'settled')))
BEGIN
    SELECT RAISE(ABORT, 'this payment is in a closed business day');
END;

CREATE TRIGGER payments_closed_delete BEFORE DELETE ON payments
WHEN OLD.closed_in_day IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this payment is in a closed business day');
END;

CREATE TRIGGER payment_refunds_closed_immutable BEFORE UPDATE ON payment_refunds
WHEN OLD.closed_in_day IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this refund is in a closed business day');
END;

CREATE TRIGGER payment_refunds_closed_delete BEFORE DELETE ON payment_refunds
WHEN OLD.closed_in_day IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'this refund is in a closed business day');
END;
