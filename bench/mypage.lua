-- wrk script for the /mypage case of bench/run: a signed-in resident's session cookie (BENCH_COOKIE).
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
