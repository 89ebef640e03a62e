-- usage_events gains the two dimensions the KPI module reads and no module could record before:
--   paper_pages   the sheets of paper the act saved by being online (a procedure's or certificate type's
--                 paper_pages), for the paperless estimate (ペーパーレス化による印刷等コスト);
--   district_code the district the act belongs to (a class session's district, a resident's district), for the
--                 by-district figures (スマホ教室 per 地区). A district is not personal data at this size
--                 of grouping, and it is what the plan reports by.
--
-- The table is rebuilt rather than altered so that the channel check reads as comparisons: a
-- CHECK (x IN (...)) list costs an ephemeral b-tree per inserted row (issue #10's profile of the submit route),
-- and usage_events is written on every online act. Ids are kept; nothing references usage_events.
CREATE TEMP TABLE usage_events_copy AS SELECT * FROM usage_events;
DROP TABLE usage_events;

CREATE TABLE usage_events (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 32),
    kind TEXT NOT NULL CHECK (kind GLOB '[a-z]*' AND length(kind) <= 32),
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'counter' OR channel = 'line'),
    resident_key TEXT NOT NULL CHECK (length(resident_key) = 64),
    subject_code TEXT,
    -- April to March: FY2026 runs from 2026-04-01 to 2027-03-31 (JST).
    fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2999),
    paper_pages INTEGER CHECK (paper_pages IS NULL OR paper_pages BETWEEN 0 AND 1000),
    district_code TEXT CHECK (district_code IS NULL OR length(district_code) BETWEEN 1 AND 32)
) STRICT;

INSERT INTO usage_events (id, occurred_at, source, kind, channel, resident_key, subject_code, fiscal_year)
SELECT id, occurred_at, source, kind, channel, resident_key, subject_code, fiscal_year
FROM usage_events_copy ORDER BY id;
DROP TABLE usage_events_copy;

CREATE INDEX usage_events_by_year ON usage_events (fiscal_year, resident_key);
