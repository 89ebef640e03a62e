-- The Idempotency-Key answers lose their `created_at` index (0011). Every payment created through the API
-- inserts one answer, and the index was one more b-tree entry and, under group commit, one more page in each
-- commit's WAL frames (bench/route-cost, issue #12). Its only reader is the daily purge, which deletes what is
-- older than 24 hours from a table that never holds much more than a day of answers: a scan of that table
-- once a day costs less than an index entry on every creation.
DROP INDEX payment_idempotency_keys_by_age;
