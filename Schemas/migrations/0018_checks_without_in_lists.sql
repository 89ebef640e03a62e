-- The CHECK constraints that list allowed values as `x IN ('a', 'b', …)` are rewritten as
-- `(x = 'a' OR x = 'b' OR …)`: the same rule, but SQLite builds an ephemeral b-tree for an IN list on every
-- row it checks. Callgrind on a guest's submission (issue #10) counted 16 zeroed pages and ~135,000
-- instructions per request for those b-trees, a tenth of the whole route; usage_events (0009) and every table
-- since 0010 already use the OR form.
--
-- The tables are not rebuilt: applications has children with ON DELETE CASCADE, so dropping it under
-- foreign_keys = ON would delete their rows, and the pragma cannot change inside the migration's
-- transaction. Instead the stored CREATE text is edited, the procedure SQLite documents for changing CHECK
-- constraints without touching the file format (https://www.sqlite.org/lang_altertable.html#otheralter).
-- Every existing row satisfies the new constraint because it is the same constraint; `PRAGMA
-- integrity_check` (which checks CHECK constraints) is run on the migrated database by MigrationTests.
PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(sql,
        'content_type IN (''image/jpeg'', ''image/png'', ''application/pdf'')',
        '(content_type = ''image/jpeg'' OR content_type = ''image/png'' OR content_type = ''application/pdf'')')
WHERE type = 'table' AND name = 'application_attachments';

UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'kind IN (''status'', ''assigned'', ''released'', ''note'')',
        '(kind = ''status'' OR kind = ''assigned'' OR kind = ''released'' OR kind = ''note'')'),
        'actor_type IN (''resident'', ''guest'', ''staff'', ''system'')',
        '(actor_type = ''resident'' OR actor_type = ''guest'' OR actor_type = ''staff'' OR actor_type = ''system'')'),
        'actor_type IN (''guest'', ''system'')',
        '(actor_type = ''guest'' OR actor_type = ''system'')')
WHERE type = 'table' AND name = 'application_events';

UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'channel IN (''web'', ''counter'', ''line'')',
        '(channel = ''web'' OR channel = ''counter'' OR channel = ''line'')'),
        'status IN (
        ''draft'', ''received'', ''in_review'', ''approved'', ''rejected'', ''returned'', ''completed'', ''withdrawn'')',
        '(status = ''draft'' OR status = ''received'' OR status = ''in_review'' OR status = ''approved'' OR status = ''rejected'' OR status = ''returned'' OR status = ''completed'' OR status = ''withdrawn'')'),
        'status IN (''rejected'', ''completed'', ''withdrawn'')',
        '(status = ''rejected'' OR status = ''completed'' OR status = ''withdrawn'')')
WHERE type = 'table' AND name = 'applications';

UPDATE sqlite_schema SET sql = replace(replace(sql,
        'actor_type IN (''staff'', ''resident'', ''job'', ''guest'', ''system'')',
        '(actor_type = ''staff'' OR actor_type = ''resident'' OR actor_type = ''job'' OR actor_type = ''guest'' OR actor_type = ''system'')'),
        'actor_type IN (''guest'', ''system'')',
        '(actor_type = ''guest'' OR actor_type = ''system'')')
WHERE type = 'table' AND name = 'audit_log';

UPDATE sqlite_schema SET sql = replace(sql,
        'issued_by IN (''resident'', ''counter'')',
        '(issued_by = ''resident'' OR issued_by = ''counter'')')
WHERE type = 'table' AND name = 'line_link_codes';

UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'active IN (0, 1)',
        '(active = 0 OR active = 1)'),
        'linked_by IN (''resident'', ''counter'')',
        '(linked_by = ''resident'' OR linked_by = ''counter'')'),
        'unlinked_reason IN (''resident'', ''counter'', ''line_user'', ''unfollow'', ''replaced'')',
        '(unlinked_reason = ''resident'' OR unlinked_reason = ''counter'' OR unlinked_reason = ''line_user'' OR unlinked_reason = ''unfollow'' OR unlinked_reason = ''replaced'')')
WHERE type = 'table' AND name = 'line_links';

UPDATE sqlite_schema SET sql = replace(sql,
        'is_redelivery IN (0, 1)',
        '(is_redelivery = 0 OR is_redelivery = 1)')
WHERE type = 'table' AND name = 'line_webhook_events';

UPDATE sqlite_schema SET sql = replace(replace(sql,
        'delivery IN (''line'', ''fallback'')',
        '(delivery = ''line'' OR delivery = ''fallback'')'),
        'fallback_reason IN (''no_link'', ''failed'', ''unknown'', ''unfollowed'')',
        '(fallback_reason = ''no_link'' OR fallback_reason = ''failed'' OR fallback_reason = ''unknown'' OR fallback_reason = ''unfollowed'')')
WHERE type = 'table' AND name = 'notice_recipients';

UPDATE sqlite_schema SET sql = replace(replace(sql,
        'endpoint IN (''push'', ''multicast'')',
        '(endpoint = ''push'' OR endpoint = ''multicast'')'),
        'state IN (''pending'', ''sending'', ''sent'', ''failed'', ''unknown'', ''dropped'')',
        '(state = ''pending'' OR state = ''sending'' OR state = ''sent'' OR state = ''failed'' OR state = ''unknown'' OR state = ''dropped'')')
WHERE type = 'table' AND name = 'notice_requests';

UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'audience_kind IN (''resident'', ''residents'', ''district'', ''all_linked'')',
        '(audience_kind = ''resident'' OR audience_kind = ''residents'' OR audience_kind = ''district'' OR audience_kind = ''all_linked'')'),
        'personalised IN (0, 1)',
        '(personalised = 0 OR personalised = 1)'),
        'status IN (''queued'', ''done'', ''needs_attention'')',
        '(status = ''queued'' OR status = ''done'' OR status = ''needs_attention'')')
WHERE type = 'table' AND name = 'notices';

UPDATE sqlite_schema SET sql = replace(sql,
        'delivery_channel IN (''line'', ''email'', ''post'', ''mypage'')',
        '(delivery_channel = ''line'' OR delivery_channel = ''email'' OR delivery_channel = ''post'' OR delivery_channel = ''mypage'')')
WHERE type = 'table' AND name = 'resident_messages';

UPDATE sqlite_schema SET sql = replace(replace(sql,
        'contact_channel IN (''email'', ''phone'', ''post'', ''line'')',
        '(contact_channel = ''email'' OR contact_channel = ''phone'' OR contact_channel = ''post'' OR contact_channel = ''line'')'),
        'registered_via IN (''web'', ''counter'')',
        '(registered_via = ''web'' OR registered_via = ''counter'')')
WHERE type = 'table' AND name = 'residents';

UPDATE sqlite_schema SET sql = replace(sql,
        'to_status IN (
        ''in_review'', ''approved'', ''rejected'', ''returned'', ''completed'')',
        '(to_status = ''in_review'' OR to_status = ''approved'' OR to_status = ''rejected'' OR to_status = ''returned'' OR to_status = ''completed'')')
WHERE type = 'table' AND name = 'response_templates';

UPDATE sqlite_schema SET sql = replace(sql,
        'subject_type IN (''staff'', ''resident'')',
        '(subject_type = ''staff'' OR subject_type = ''resident'')')
WHERE type = 'table' AND name = 'sessions';

UPDATE sqlite_schema SET sql = replace(replace(sql,
        'role IN (''clerk'', ''supervisor'', ''admin'')',
        '(role = ''clerk'' OR role = ''supervisor'' OR role = ''admin'')'),
        'department IN (
        ''総務課'', ''町民課'', ''まちづくり課'', ''建設水道課'', ''保健福祉課'', ''生涯学習課'', ''観光商工課'')',
        '(department = ''総務課'' OR department = ''町民課'' OR department = ''まちづくり課'' OR department = ''建設水道課'' OR department = ''保健福祉課'' OR department = ''生涯学習課'' OR department = ''観光商工課'')')
WHERE type = 'table' AND name = 'staff';

-- Re-reads the schema in this connection, so the writer's statements use the new constraints at once.
PRAGMA writable_schema = RESET;
PRAGMA writable_schema = OFF;

-- A schema change bumps the schema cookie, so every other open connection (the reader pool, a second process)
-- re-reads the schema too.
CREATE TABLE migration_0018_schema_cookie (x INTEGER);
DROP TABLE migration_0018_schema_cookie;

-- A fragment that no longer matched the stored text would leave its IN list in place silently: refuse instead.
CREATE TEMP TABLE migration_0018_guard (no_in_list_left INTEGER NOT NULL CHECK (no_in_list_left = 1));
INSERT INTO migration_0018_guard
SELECT NOT EXISTS (
    SELECT 1 FROM sqlite_schema WHERE type = 'table' AND sql GLOB '* IN (*'
);
DROP TABLE migration_0018_guard;
