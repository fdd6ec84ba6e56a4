-- A steady-rate request template for wrk (bench/load.py): every connection sends one
-- request every DELAY_MS milliseconds, so C connections send about C * 1000 / DELAY_MS
-- requests a second whatever the server does (as long as it answers within DELAY_MS).
-- usage: wrk -t C -c C ... -s bench/lua/steady.lua URL -- DELAY_MS AREA OUTFILE METHOD PATH BODY|- "H: v" ...
-- (one connection per thread, so each thread's answer belongs to the request it sent last).
-- Placeholders, filled per request: {n} a unique token, {email} a unique address
-- (load-<token>@example.com), {phone} a unique valid US number in area code AREA.
-- Prints one JSON line of results when done, and writes to OUTFILE a log of every
-- request, so the rows in the database can be matched to the requests one by one:
--   S <token>                      a request was sent (or begun: wrk may stop mid-write)
--   A <status> <token> <echoed>    its answer, and the token read back from the address
--                                  in the answer ("-" if none)

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  delay_ms = tonumber(args[1])
  area = args[2]
  outfile = args[3]
  method = args[4]
  path = args[5]
  template = args[6]
  if template == "-" then template = nil end
  headers = {}
  for i = 7, #args do
    local k, v = string.match(args[i], "^([^:]+):%s*(.*)$")
    headers[k] = v
  end
  counter = 0
  ok = 0
  failed = 0
  samples = ""
  current = "-"
  log = {}
end

function delay()
  return delay_ms
end

local function fill(text, n)
  -- Exchange 300 + 100 * thread: never an N11 code, never shared between threads.
  local exchange = 200 + 100 * tid + math.floor(counter / 10000)
  local phone = string.format("+1%s%03d%04d", area, exchange, counter % 10000)
  text = string.gsub(text, "{n}", n)
  text = string.gsub(text, "{email}", "load-" .. n .. "@example.com")
  text = string.gsub(text, "{phone}", phone)
  return text
end

function request()
  counter = counter + 1
  -- Unique across the four wrk processes too (each has its own area code): a shared
  -- address would let MEGA merge one family's lead into another's.
  local n = area .. "x" .. tid .. "x" .. counter
  current = n
  log[#log + 1] = "S " .. n
  local h = {}
  for k, v in pairs(headers) do h[k] = fill(v, n) end
  local body = nil
  if template then body = fill(template, n) end
  return wrk.format(method, path, h, body)
end

function response(status, hdrs, body)
  local echoed = string.match(body, "load%-(%d+x%d+x%d+)@example%.com") or "-"
  log[#log + 1] = "A " .. status .. " " .. current .. " " .. echoed
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    failed = failed + 1
    if failed <= 3 then
      samples = samples .. status .. " " .. string.gsub(string.sub(body, 1, 200), '[%c"\\]', " ") .. " | "
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_failed, text = 0, 0, ""
  local out = io.open(threads[1]:get("outfile"), "w")
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_failed = total_failed + thread:get("failed")
    text = text .. thread:get("samples")
    for _, line in ipairs(thread:get("log")) do out:write(line, "\n") end
  end
  out:close()
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "ok": %d, "failed": %d, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "socket_errors": %d, "samples": "%s"}\n',
    summary.requests, summary.duration / 1e6, total_ok, total_failed,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    text))
end
