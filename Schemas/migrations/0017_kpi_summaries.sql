-- The KPI report's summaries, kept by UsageEvents.record in the same transaction as each event (issue #11
-- item 8). Counting straight from usage_events cost 24.7 s at 1M events (bench/kpi, debug build): every
-- indicator re-read its fiscal year's events, and the monthly figures read occurred_at from the table rows.
--
-- Distinct persons cannot be summed from per-month counts, so the summary keeps one row per person and
-- everything the report groups by: the fiscal year, the selector's dimensions (channel, source, kind,
-- subject_code), the district and the JST month. Distinct per year, per month, per channel, per module and
-- per district are then GROUP BYs over the year's rows; repeat attendees are persons whose rows sum to
-- events >= N; event counts and paper_pages are sums. subject_code and district_code hold '' for "none", so
-- that the primary key (where NULLs would never conflict) merges a person's repeated acts into one row.
CREATE TABLE kpi_usage_summary (
    fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2999),
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'counter' OR channel = 'line'),
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    district_code TEXT NOT NULL,
    -- `YYYY-MM` of the act in JST.
    month TEXT NOT NULL CHECK (length(month) = 7),
    resident_key TEXT NOT NULL,
    events INTEGER NOT NULL CHECK (events >= 1),
    paper_pages INTEGER NOT NULL CHECK (paper_pages >= 0),
    PRIMARY KEY (fiscal_year, channel, source, kind, subject_code, district_code, month, resident_key)
) STRICT, WITHOUT ROWID;

-- Backfill: every event recorded before this migration, grouped as UsageEvents.record would have kept it.
-- bench/kpi runs this statement (from this line to the end of the file) after seeding events by SQL.
INSERT INTO kpi_usage_summary
    (fiscal_year, channel, source, kind, subject_code, district_code, month, resident_key, events, paper_pages)
SELECT fiscal_year, channel, source, kind, coalesce(subject_code, ''), coalesce(district_code, ''),
       substr(datetime(occurred_at, '+9 hours'), 1, 7), resident_key, count(*), coalesce(sum(paper_pages), 0)
FROM usage_events
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
