-- スマホ教室 (issue #14): sessions by district, signups by web, LINE or phone, one FIFO waitlist per session
-- and one for loan phones, reminders, attendance and the three-question survey. Themes and venues are data
-- (Schemas/classes/*.json); instructors (デジタル活用支援員) are a small registry staff keep here.
-- Checks are written as comparisons, not IN lists (issue #10).

CREATE TABLE class_instructors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- staff: a town employee; volunteer: a デジタル活用支援員 from the community.
    kind TEXT NOT NULL CHECK (kind = 'staff' OR kind = 'volunteer'),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active = 0 OR active = 1),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE class_sessions (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    theme_code TEXT NOT NULL,
    venue_code TEXT NOT NULL,
    -- Copied from the venue when the session is saved, so the by-district figures never move with a venue file.
    district_code TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    loan_phones INTEGER NOT NULL CHECK (loan_phones BETWEEN 0 AND 500),
    instructor_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(instructor_ids)),
    bring TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    -- scheduled -> held (attendance closed) | cancelled
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status = 'scheduled' OR status = 'held' OR status = 'cancelled'),
    cancel_reason TEXT,
    cancelled_at TEXT,
    held_at TEXT,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX class_sessions_by_start ON class_sessions (starts_at);

CREATE TABLE class_signups (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES class_sessions (id),
    -- A signed-in resident, or one staff linked the signup to; NULL for a guest or a caller known by phone only.
    resident_id INTEGER,
    full_name TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    full_name_kana TEXT NOT NULL DEFAULT '',
    -- Digits only (Formats.PhoneNumber); NULL only for a signed-in resident without a phone on file.
    phone TEXT,
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'line' OR channel = 'counter'),
    -- confirmed (a seat) | waitlisted (FIFO by id) | cancelled
    status TEXT NOT NULL CHECK (status = 'confirmed' OR status = 'waitlisted' OR status = 'cancelled'),
    -- none: brings their own; requested: waiting for a loan phone; assigned: has one.
    loan_phone TEXT NOT NULL DEFAULT 'none'
        CHECK (loan_phone = 'none' OR loan_phone = 'requested' OR loan_phone = 'assigned'),
    walk_in INTEGER NOT NULL DEFAULT 0 CHECK (walk_in = 0 OR walk_in = 1),
    -- NULL: not marked yet; 1 present; 0 absent.
    attended INTEGER CHECK (attended IS NULL OR attended = 0 OR attended = 1),
    -- SHA-256 of the guest's confirmation-page token (the page where they cancel or answer the survey).
    guest_token_sha256 TEXT UNIQUE,
    signed_up_by_staff_id INTEGER,
    reminded_at TEXT,
    -- The call list: why staff must phone this person (no LINE link), and when they did.
    call_reason TEXT CHECK (call_reason IS NULL OR call_reason = 'reminder' OR call_reason = 'cancelled'
        OR call_reason = 'promoted'),
    called_at TEXT,
    called_by_staff_id INTEGER,
    cancelled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX class_signups_by_session ON class_signups (session_id, status, id);
CREATE INDEX class_signups_by_resident ON class_signups (resident_id) WHERE resident_id IS NOT NULL;
-- One live signup per person per session: a second one is refused and the first one shown.
CREATE UNIQUE INDEX class_signups_one_per_resident ON class_signups (session_id, resident_id)
    WHERE resident_id IS NOT NULL AND status <> 'cancelled';
CREATE UNIQUE INDEX class_signups_one_per_phone ON class_signups (session_id, phone)
    WHERE phone IS NOT NULL AND status <> 'cancelled';

CREATE TABLE class_survey_answers (
    id INTEGER PRIMARY KEY,
    signup_id INTEGER NOT NULL UNIQUE REFERENCES class_signups (id),
    session_id INTEGER NOT NULL REFERENCES class_sessions (id),
    satisfaction INTEGER NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
    learned TEXT NOT NULL DEFAULT '',
    next_wish TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL CHECK (channel = 'web' OR channel = 'counter'),
    entered_by_staff_id INTEGER,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX class_survey_answers_by_session ON class_survey_answers (session_id);
