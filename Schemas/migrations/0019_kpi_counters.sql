-- The KPI report reads counters whose number depends neither on the number of events nor of persons (issue #11
-- item 8). kpi_usage_summary (0017) kept one row per person, month and dimension: at 1M events the report
-- still took 0.93× a full scan of usage_events (bench/kpi), because it counted distinct persons over those rows.
--
-- The counters are kept OFF the write path. Session 19 kept them by triggers on usage_events, in each event's
-- transaction: 614,000 instructions per first act, doubling a guest's submission (reverted in bf07c73). Now
-- UsageEvents.record only inserts the event, and the KPI module catches up afterwards (KPICounters.catchUp):
-- in one write transaction it counts the events with id above kpi_counter_definition.counted_through, at most
-- 50,000 at a time, and moves counted_through to the last of them, so a crash or a rollback never counts an event
-- twice or leaves one out. Every KPI read catches up first, the server every 60 s in the background, and
-- `madoguchi kpi refresh` (and `migrate`) by hand.
--
-- Each selector of Schemas/kpi/indicators.json is compiled (KPICounters) into set-based statements over a
-- range of usage_events ids and into triggers on the counters' own tables; their text is stored in
-- kpi_counter_definition. Per selector:
--   - the persons' acts go into kpi_acts, ignoring one seen before; a new act inserts (selector, fiscal year,
--     breakdown, value, person) into kpi_seen, ignoring a person seen before; breakdowns are `year` (value
--     ''), `channel`, `month` (JST `YYYY-MM`), `source` and `district`;
--   - the person's first fiscal year per selector is kept in kpi_first_seen (the cumulative count);
--   - events and their paper_pages are added to kpi_counters for the selectors that count events.
-- A first-seen row (or a person reaching the selector's min_events) becomes +1 person in kpi_counters, the
-- only table the report reads: one row per selector, fiscal year, breakdown and value. When indicators.json
-- changes, the stored text differs and the next catch-up counts every event again, by GROUP BY.
DROP TABLE kpi_usage_summary;

-- The report no longer reads usage_events (0010's covering index was for it): one index fewer per event written.
DROP INDEX usage_events_for_kpi;

CREATE TABLE kpi_selectors (
    id INTEGER PRIMARY KEY,
    -- The compiled selector as canonical JSON (source, kinds, subject_codes, channels, min_events).
    definition TEXT NOT NULL UNIQUE,
    min_events INTEGER NOT NULL CHECK (min_events >= 1)
) STRICT;

CREATE TABLE kpi_counter_definition (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The statements and triggers the counters were rebuilt with; kept while they maintain them.
    definition_sql TEXT NOT NULL,
    rebuilt_at TEXT NOT NULL,
    -- The watermark: every usage event with an id up to this one is in the counters, none above it.
    counted_through INTEGER NOT NULL CHECK (counted_through >= 0),
    caught_up_at TEXT NOT NULL
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

-- The triggers that turn a new act into kpi_seen rows and first years (kpi_counts_act), and a first-seen row
-- (or a person reaching min_events, or a first year moving back) into kpi_counters (kpi_counts_seen,
-- kpi_counts_repeat, kpi_counts_first, kpi_counts_first_moved) are KPICounters' too: a rebuild fills every table
-- by GROUP BY with them dropped, then creates them. They fire only inside a catch-up, never beside an event.

-- Events survive purge (issue #11: purge never changes a count), and the counters rely on it: a distinct
-- count cannot be decremented without knowing the person's other events. The watermark relies on ids only
-- growing: the id of a row-id table is max(id) + 1, which stays above every counted id while no row is
-- deleted, and writes are serialised, so no event can commit below one already counted.
CREATE TRIGGER usage_events_are_never_deleted BEFORE DELETE ON usage_events
BEGIN
    SELECT RAISE(ABORT, 'usage events are kept: the KPI counters count them once and for all');
END;

CREATE TRIGGER usage_events_are_never_changed BEFORE UPDATE ON usage_events
BEGIN
    SELECT RAISE(ABORT, 'usage events are kept as recorded: the KPI counters counted them as they were');
END;
