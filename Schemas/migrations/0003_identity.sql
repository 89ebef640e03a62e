-- Identity: staff and resident accounts, sessions, login throttling, API tokens and password-reset codes.
-- Times are UTC text (see Store/UTCTimestamp.swift); secrets (passwords, tokens, codes) are stored only hashed.

-- Town-hall staff. Roles are ordered clerk < supervisor < admin; the department is the 担当課.
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    -- Lower-case ASCII, chosen by the admin; not personal data of a resident.
    login_id TEXT NOT NULL UNIQUE CHECK (length(login_id) BETWEEN 3 AND 64 AND login_id = lower(login_id)),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'admin')),
    department TEXT NOT NULL CHECK (department IN (
        '総務課', '町民課', 'まちづくり課', '建設水道課', '保健福祉課', '生涯学習課', '観光商工課')),
    -- PasswordHasher's self-describing form: pbkdf2-sha256$iterations$salt$hash.
    password_hash TEXT NOT NULL CHECK (password_hash LIKE 'pbkdf2-sha256$%'),
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Residents who use the online counter. login_id is normalised before it is stored: e-mail addresses
-- lower-cased, mobile numbers reduced to their digits, so one person cannot register twice by spelling.
CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    login_id TEXT NOT NULL UNIQUE CHECK (length(login_id) BETWEEN 3 AND 254),
    -- NULL for residents registered at the counter until they set a password with a paper reset code.
    password_hash TEXT CHECK (password_hash IS NULL OR password_hash LIKE 'pbkdf2-sha256$%'),
    full_name TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    full_name_kana TEXT NOT NULL CHECK (length(full_name_kana) BETWEEN 1 AND 100),
    -- A calendar date, not an instant: YYYY-MM-DD.
    birth_date TEXT NOT NULL CHECK (birth_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    postal_code TEXT NOT NULL CHECK (postal_code GLOB '[0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
    district_code TEXT NOT NULL REFERENCES districts (code),
    -- Digits only, or NULL.
    phone TEXT CHECK (phone IS NULL OR (length(phone) BETWEEN 10 AND 11 AND phone NOT GLOB '*[^0-9]*')),
    contact_channel TEXT NOT NULL CHECK (contact_channel IN ('email', 'phone', 'post', 'line')),
    registered_via TEXT NOT NULL CHECK (registered_via IN ('web', 'counter')),
    registered_by_staff_id INTEGER REFERENCES staff (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((registered_via = 'counter') = (registered_by_staff_id IS NOT NULL))
) STRICT;

CREATE INDEX residents_by_kana ON residents (full_name_kana);

-- Server-side sessions. The cookie carries a 256-bit random token; only its SHA-256 is stored, so a copy of
-- the database cannot be replayed as a login. subject_id points at staff.id or residents.id.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    subject_type TEXT NOT NULL CHECK (subject_type IN ('staff', 'resident')),
    subject_id INTEGER NOT NULL,
    -- The synchronizer token every state-changing form of this session must echo back.
    csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 32),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_by_subject ON sessions (subject_type, subject_id);
CREATE INDEX sessions_by_expiry ON sessions (absolute_expires_at);

-- Failed-login counters. key is 'account:<kind>:<sha256 of the normalised login id>' or 'address:<client ip>':
-- the typed ID is hashed because it may be a mistyped e-mail address of someone else.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    locked_until TEXT,
    last_failure_at TEXT NOT NULL
) STRICT;

-- Tokens for batch jobs and integrations. The token is shown once at creation; only its SHA-256 is kept.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    -- Space-separated, e.g. 'notices:send kpi:read'.
    scopes TEXT NOT NULL CHECK (length(scopes) > 0),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
) STRICT;

-- One-time codes staff print for a resident who forgot their password (or never set one). Stored hashed
-- with the password hasher; a newer code replaces an unused older one.
CREATE TABLE password_reset_codes (
    id INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL CHECK (code_hash LIKE 'pbkdf2-sha256$%'),
    issued_by_staff_id INTEGER NOT NULL REFERENCES staff (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
) STRICT;

CREATE INDEX password_reset_codes_by_resident ON password_reset_codes (resident_id);

-- Keys the server generates for itself on first start (e.g. the key that signs pre-login CSRF tokens).
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL CHECK (length(secret) >= 32),
    created_at TEXT NOT NULL
) STRICT;
