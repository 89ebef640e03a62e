-- Reference data every module shares. Times are UTC text (see Store/UTCTimestamp.swift).

-- The town's districts (地区). Demo data seeds 平取, 振内 and 貫気別; a real deployment loads its own.
CREATE TABLE districts (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 32),
    name TEXT NOT NULL UNIQUE,
    kana TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Operator-editable settings (the town's name, contact phone, ...), one row per key.
CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
