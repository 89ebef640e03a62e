-- wrk script for bench/payments: POST /api/v1/payments with an API token and a fresh Idempotency-Key per
-- request (a retry of a key would be answered from the stored answer, not written). The body is fixed; only the
-- key header changes, from a fixed prefix and a counter, which keeps the Lua work small.
local token = os.getenv("BENCH_TOKEN")
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local prefix = string.format("bench-%d-%d-", os.time(), math.random(1, 1000000000))
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"purpose":"certificate_fee","subject":{"module":"bench","id":1},"payer":{"guest_reference":"BENCH-1"},'
    .. '"amount_yen":300,"description":"住民票の写し 1通","return_path":"/"}'

request = function()
    counter = counter + 1
    wrk.headers["Idempotency-Key"] = prefix .. counter
    return wrk.format()
end
