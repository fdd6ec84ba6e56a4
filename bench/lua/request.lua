-- One request template for wrk: method, path, optional body, headers.
-- Placeholders, filled per request: {n} a unique token, {email} a unique address,
-- {phone} a random valid US number. Prints one JSON line of results when done.
-- usage: wrk ... -s bench/lua/request.lua URL -- METHOD PATH BODY|- "Header: value" ...

local threads = {}
local areas = {"206", "212", "303", "312", "404", "415", "503", "512", "617", "702",
               "713", "801", "617", "919", "305", "602", "612", "704", "808", "907"}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  method = args[1]
  path = args[2]
  template = args[3]
  if template == "-" then template = nil end
  headers = {}
  for i = 4, #args do
    local k, v = string.match(args[i], "^([^:]+):%s*(.*)$")
    headers[k] = v
  end
  math.randomseed(os.time() * 1000 + tid)
  prefix = string.format("%d%06d", tid, math.random(0, 999999))
  counter = 0
  errors_seen = 0
end

local function fill(text, n)
  local exchange = math.random(200, 999)
  if exchange % 100 == 11 then exchange = exchange + 1 end
  local phone = string.format("+1%s%03d%04d", areas[math.random(#areas)], exchange,
                              math.random(0, 9999))
  text = string.gsub(text, "{n}", n)
  text = string.gsub(text, "{email}", "bench-" .. n .. "@example.com")
  text = string.gsub(text, "{phone}", phone)
  return text
end

function request()
  counter = counter + 1
  local n = prefix .. "-" .. counter
  local h = {}
  for k, v in pairs(headers) do h[k] = fill(v, n) end
  local body = nil
  if template then body = fill(template, n) end
  return wrk.format(method, path, h, body)
end

function response(status, hdrs, body)
  if status >= 400 and errors_seen < 3 then
    errors_seen = errors_seen + 1
    io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
  end
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
