-- Payments (issue #12), second migration: a payment taken at the counter (窓口現金 or the card terminal) records
-- who took it and, for cash, what was handed over and the change given back. 0011 holds the rest of the ledger.
ALTER TABLE payments ADD COLUMN received_by_staff_id INTEGER REFERENCES staff (id);
ALTER TABLE payments ADD COLUMN cash_received_yen INTEGER
    CHECK (cash_received_yen IS NULL OR (cash_received_yen >= amount_yen AND cash_received_yen <= 100000000));
ALTER TABLE payments ADD COLUMN change_yen INTEGER
    CHECK (change_yen IS NULL OR change_yen = cash_received_yen - amount_yen);
