-- wrk script for the Latchkey benchmark. Everything is configured through the environment:
--   BENCH_MODE     static (default) | tokens | fresh | create
--   BENCH_METHOD   POST (default) or GET
--   BENCH_BODY     the body for static mode
--   BENCH_AUTH     a bearer token sent with every request (create mode)
--   BENCH_TOKENS   tokens mode: a file of lines "<token> <resource index>", one drawn at random per request
--   BENCH_RESOURCES tokens mode: resource ids, comma-separated, indexed from 1 by the file
--   BENCH_IP       the "ip" field of verify bodies (the failure limiter counts per address)
--   BENCH_PREFIX   fresh mode: the token prefix (default lk)
-- done() prints one line "BENCHJSON {...}" that bench/lib/load.ts parses.
local mode = os.getenv("BENCH_MODE") or "static"
local ip = os.getenv("BENCH_IP") or "10.0.0.1"
wrk.method = os.getenv("BENCH_METHOD") or "POST"
if wrk.method == "POST" then wrk.headers["Content-Type"] = "application/json" end
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = "Bearer " .. auth end
if mode == "static" then wrk.body = os.getenv("BENCH_BODY") end

local tokens, resIndex, resources, count = {}, {}, {}, 0
if mode == "tokens" then
  for r in string.gmatch(os.getenv("BENCH_RESOURCES") or "", "[^,]+") do resources[#resources + 1] = r end
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    local t, i = string.match(line, "^(%S+) (%d+)$")
    if t then
      count = count + 1
      tokens[count] = t
      resIndex[count] = tonumber(i)
    end
  end
end

-- CRC-32 (IEEE, as zlib computes it) for well-formed random tokens in fresh mode.
local bit = require("bit")
local crcTable = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit.band(c, 1) == 1 then c = bit.bxor(0xEDB88320, bit.rshift(c, 1)) else c = bit.rshift(c, 1) end
  end
  crcTable[i] = c
end
local function crc32(s)
  local c = bit.bnot(0)
  for i = 1, #s do
    c = bit.bxor(crcTable[bit.band(bit.bxor(c, string.byte(s, i)), 0xFF)], bit.rshift(c, 8))
  end
  c = bit.bnot(c)
  if c < 0 then c = c + 4294967296 end
  return c
end
local alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local chars = {}
for i = 1, 62 do chars[i] = string.sub(alphabet, i, i) end
local prefix = os.getenv("BENCH_PREFIX") or "lk"
local function freshToken()
  local parts = {}
  for i = 1, 30 do parts[i] = chars[math.random(62)] end
  local random = table.concat(parts)
  local value = crc32(random)
  local sum = {}
  for i = 6, 1, -1 do
    sum[i] = chars[(value % 62) + 1]
    value = math.floor(value / 62)
  end
  return prefix .. "_" .. random .. table.concat(sum)
end

local counter = 0
local threadTag = tostring(math.random(1, 1000000000))

function init(args)
  math.randomseed(os.time() + tonumber(threadTag))
  threadTag = tostring(math.random(1, 1000000000))
end

if mode == "tokens" then
  request = function()
    local i = math.random(count)
    return wrk.format(nil, nil, nil,
      '{"token":"' .. tokens[i] .. '","permission":"blocks:read","resource":"' .. resources[resIndex[i]] ..
      '","ip":"' .. ip .. '"}')
  end
elseif mode == "fresh" then
  request = function()
    return wrk.format(nil, nil, nil,
      '{"token":"' .. freshToken() .. '","permission":"blocks:read","ip":"' .. ip .. '"}')
  end
elseif mode == "create" then
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil,
      '{"name":"bench-' .. threadTag .. '-' .. counter ..
      '","access":"granular","permissions":["blocks:read"],"expiresIn":"7d"}')
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
    '"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
