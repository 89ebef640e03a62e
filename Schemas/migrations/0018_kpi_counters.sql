-- The KPI report reads counters whose number does not depend on the number of events or people (issue #11
-- item 8). kpi_usage_summary (0017) kept one row per person, month and dimension: at 1M events the report
-- still took 0.93× a full scan of usage_events (bench/kpi), because it counted distinct persons over those rows.
--
-- Now each selector of Schemas/kpi/indicators.json is compiled at start-up (KPICounters) into triggers the KPI
-- module writes and stores with their text in kpi_counter_definition: `kpi_counts_usage_event` on usage_events
-- and `kpi_counts_act` on kpi_acts, each statement guarded by its selector. Per matching event they:
--   - insert the person's act into kpi_acts, ignoring one seen before; a new act inserts (selector, fiscal
--     year, breakdown, value, person) into kpi_seen, ignoring a person seen before; breakdowns are `year`
--     (value ''), `channel`, `month` (JST `YYYY-MM`), `source` and `district`;
--   - keep the person's first fiscal year per selector in kpi_first_seen (the cumulative count);
--   - add the event and its paper_pages to kpi_counters for the selectors that count events.
-- A first-seen row (or a person reaching the selector's min_events) becomes +1 person in kpi_counters, the
-- only table the report reads: one row per selector, fiscal year, breakdown and value. When indicators.json
-- changes, the triggers' text differs from the stored one and start-up rebuilds every counter from
-- usage_events in one transaction, by GROUP BY (bench/kpi: "rebuild s").
DROP TABLE kpi_usage_summary;

CREATE TABLE kpi_selectors (
    id INTEGER PRIMARY KEY,
    -- The compiled selector as canonical JSON (source, kinds, subject_codes, channels, min_events).
    definition TEXT NOT NULL UNIQUE,
    min_events INTEGER NOT NULL CHECK (min_events >= 1)
) STRICT;

CREATE TABLE kpi_counter_definition (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The CREATE TRIGGER text the counters were rebuilt with; kept while that trigger maintains them.
    trigger_sql TEXT NOT NULL,
    rebuilt_at TEXT NOT NULL
) STRICT;

-- A person's act per selector, year, JST month, channel, module and district: a repeated act finds its row
-- and stops there, so only an act that can be a first (of the year, the month, the channel…) goes on to kpi_seen.
CREATE TABLE kpi_acts (
    selector INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    month TEXT NOT NULL,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    district_code TEXT NOT NULL,
    resident_key TEXT NOT NULL,
    -- 1 when the channel is one the selector counts (the channel breakdown shows the others beside it).
    counted INTEGER NOT NULL,
    PRIMARY KEY (selector, fiscal_year, month, channel, source, district_code, resident_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE kpi_seen (
    selector INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    breakdown TEXT NOT NULL CHECK (breakdown = 'year' OR breakdown = 'channel' OR breakdown = 'month' OR breakdown = 'source' OR breakdown = 'district'),
    value TEXT NOT NULL,
    resident_key TEXT NOT NULL,
    -- Matching events so far; counted only for selectors with min_events above 1.
    events INTEGER NOT NULL CHECK (events >= 1),
    PRIMARY KEY (selector, fiscal_year, breakdown, value, resident_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE kpi_first_seen (
    selector INTEGER NOT NULL,
    resident_key TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    PRIMARY KEY (selector, resident_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE kpi_counters (
    selector INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    -- The seen breakdowns, and `first` (persons whose first matching fiscal year this is).
    breakdown TEXT NOT NULL,
    value TEXT NOT NULL,
    persons INTEGER NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    paper_pages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (selector, fiscal_year, breakdown, value)
) STRICT, WITHOUT ROWID;

-- The triggers that turn a first-seen row (or a person reaching min_events, or a first year moving back) into
-- kpi_counters are KPICounters' too (kpi_counts_seen, kpi_counts_repeat, kpi_counts_first,
-- kpi_counts_first_moved): a rebuild fills every table by GROUP BY with them dropped, then creates them.

-- Events survive purge (issue #11: purge never changes a count), and the counters rely on it: a distinct
-- count cannot be decremented without knowing the person's other events.
CREATE TRIGGER usage_events_are_never_deleted BEFORE DELETE ON usage_events
BEGIN
    SELECT RAISE(ABORT, 'usage events are kept: the KPI counters count them once and for all');
END;
