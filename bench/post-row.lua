-- wrk script for the POST /bench/rows cases (c1, c2) of bench/run.
-- A fixed body set once, not a request() callback: building a fresh request per call
-- would spend wrk's single CPU in Lua and blur what we measure, which is the server's
-- durable insert path.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"note":"bench row: the quick brown fox jumps over the lazy dog"}'
