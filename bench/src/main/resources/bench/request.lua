-- wrk script of the CMG Lab harness (bench/): the request comes from files the harness writes,
-- the summary is printed as one "BENCH_JSON {...}" line for the harness to parse.
--   BENCH_METHOD   the verb (CCM_POST, GET)
--   BENCH_HEADERS  a file of "Name: value" lines
--   BENCH_BODY     a file holding the body (optional)
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local hdrs = os.getenv("BENCH_HEADERS")
if hdrs and hdrs ~= "" then
  for line in slurp(hdrs):gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = slurp(body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,' ..
    '"meanUs":%.1f,"errConnect":%d,"errRead":%d,"errWrite":%d,"errStatus":%d,"errTimeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
