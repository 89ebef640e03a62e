-- Payments (issue #12), fourth migration: the provider's settlement reports, imported to reconcile the ledger.
-- A file is stored once (by its SHA-256); each settled payment once (by the provider's reference), so importing
-- the same report twice, or one that overlaps an earlier one, changes nothing.
CREATE TABLE payment_settlement_imports (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    provider TEXT NOT NULL,
    encoding TEXT NOT NULL CHECK (encoding = 'utf8' OR encoding = 'sjis'),
    line_count INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    staff_id INTEGER NOT NULL REFERENCES staff (id)
) STRICT;

CREATE TABLE payment_settlement_lines (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES payment_settlement_imports (id),
    provider TEXT NOT NULL,
    provider_reference TEXT NOT NULL CHECK (length(provider_reference) BETWEEN 1 AND 255),
    amount_yen INTEGER NOT NULL CHECK (amount_yen >= 0),
    fee_yen INTEGER NOT NULL CHECK (fee_yen >= 0),
    settled_on TEXT NOT NULL CHECK (settled_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    UNIQUE (provider, provider_reference)
) STRICT;
