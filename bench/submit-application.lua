-- wrk script for the submission cases of bench/run: POST /api/v1/applications, a guest's road-light report
-- (or, with BENCH_COOKIE and BENCH_CSRF set, a signed-in resident's). Every request needs its own
-- submission_token, or the server answers a retry from its read path instead of writing; so the body is
-- built per request, from a fixed prefix and a counter, which keeps the Lua work small.
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local prefix = string.format("bench-%d-%d-", os.time(), math.random(1, 1000000000))
local counter = 0
local head = '{"procedure_code":"road-light-report","submission_token":"'
local tail = '","answers":{"issue_type":"pothole","location":"本町1丁目の交差点","details":"道路に穴があります"}}'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if cookie and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
    wrk.headers["X-CSRF-Token"] = csrf
end

request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, head .. prefix .. counter .. tail)
end
