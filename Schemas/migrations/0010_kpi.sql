-- The KPI module (Chapter 5 めざすべき目標値). Counted figures come from usage_events; these tables hold what
-- cannot be counted: the figures an admin enters per fiscal year, and LINE's own follower statistics.

-- Entered figures, append-only: the newest row per (fiscal_year, figure) is the current value, the rows before
-- it are the history the page shows. value NULL means the admin cleared the figure. Each change's audit row
-- (kpi_figure.enter) names its row here, which holds the old value beside the new.
CREATE TABLE kpi_entered_figures (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2999),
    figure TEXT NOT NULL CHECK (
        figure = 'print_cost' OR figure = 'staff_headcount' OR figure = 'homepage_access' OR figure = 'population'),
    value INTEGER CHECK (value IS NULL OR value BETWEEN 0 AND 1000000000),
    previous_value INTEGER,
    entered_at TEXT NOT NULL,
    entered_by_staff_id INTEGER NOT NULL REFERENCES staff (id)
) STRICT;

CREATE INDEX kpi_entered_figures_by_year ON kpi_entered_figures (fiscal_year, figure, id);

-- GET /v2/bot/insight/followers, one row per JST day asked for. LINE answers status 'unready' until it has
-- computed the day, and 'out_of_service' for days before it kept statistics; the counts are NULL then.
CREATE TABLE kpi_line_followers (
    day TEXT PRIMARY KEY CHECK (day GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    status TEXT NOT NULL CHECK (status = 'ready' OR status = 'unready' OR status = 'out_of_service'),
    followers INTEGER,
    targeted_reaches INTEGER,
    blocks INTEGER,
    fetched_at TEXT NOT NULL
) STRICT;

-- The report's queries select by year, channel, module and kind and count distinct resident_key: this index
-- answers them from the index alone (a covering index), without reading the table's rows. Measured against
-- a full scan in bench/kpi (bench/RESULTS.md, "KPI report").
CREATE INDEX usage_events_for_kpi ON usage_events (fiscal_year, channel, source, kind, resident_key);
