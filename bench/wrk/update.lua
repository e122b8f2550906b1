-- SPDX-License-Identifier: GPL-3.0-or-later
-- wrk script for bench/httpbench.py: DynDNS2 /nic/update requests over
-- keep-alive connections, rotating over a range of hosts, with the reply
-- words counted per thread and summed in done().
--
--   wrk -t2 -c64 -d10s --latency -s bench/wrk/update.lua URL -- \
--       MODE LO HI SALT THREADS BASIC_AUTH [HOST_HEADER]
--
-- MODE  good:  request k of thread t (j = k*THREADS + t) sets host
--              LO + j mod (HI-LO) to 203.0.113.(1 + (SALT + pass) mod 254),
--              pass = j div (HI-LO): each host's address differs from the
--              one the previous pass (or the database: 198.51.100.x) set,
--              so every request is a changed address, committed before its
--              `good` reply.  The caller picks SALT past earlier runs.
--       nochg: the same rotation, each host given the address it already
--              has in the database (198.51.100.(1 + i mod 254)): `nochg`.
--       bad:   user:wrong-password (BASIC_AUTH) for hosts of the range;
--              once the failed-login buckets are empty every reply is the
--              503 `911` refusal, sent before any hashing.
-- BASIC_AUTH is the base64 of user:password.
--
-- Fixed rate: with HTTPBENCH_RATE=R in the environment (requests/s over
-- all threads) a delay() paces each thread to R/THREADS requests/s on a
-- schedule of slots (claimed by whichever connection is free; a thread
-- that falls behind sends at once, and the achieved rate is reported so a
-- run that could not keep up is visible).  Latency is wrk's: from sending
-- a request to its reply.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } hb_timespec;
int clock_gettime(int clk, hb_timespec *ts);
]]
local ts = ffi.new("hb_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, ts)      -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- main thread: remember every thread so done() can read its counters
local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("id", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- per thread (each thread has its own Lua state)
n_good, n_nochg, n_badauth, n_911, n_other = 0, 0, 0, 0, 0
other_sample = ""
local mode, lo, span, salt, step, first
local prefix, suffix
local k = 0

function init(args)
   mode = args[1]
   lo = tonumber(args[2])
   span = tonumber(args[3]) - lo
   salt = tonumber(args[4])
   step = tonumber(args[5])
   local hosthdr = args[7] or "127.0.0.1"
   first = id
   prefix = "GET /nic/update?hostname=host"
   suffix = " HTTP/1.1\r\nHost: " .. hosthdr ..
            "\r\nUser-Agent: ddnsd-httpbench/1.0\r\nAuthorization: Basic " ..
            args[6] .. "\r\n\r\n"
end

function request()
   local j = k * step + first
   k = k + 1
   local h = lo + j % span
   local last
   if mode == "good" then
      last = 1 + (salt + math.floor(j / span)) % 254
      return string.format("%s%07d.dyn.example&myip=203.0.113.%d%s",
                           prefix, h, last, suffix)
   end
   last = 1 + h % 254
   return string.format("%s%07d.dyn.example&myip=198.51.100.%d%s",
                        prefix, h, last, suffix)
end

function response(status, headers, body)
   local w = body and body:sub(1, 5) or ""
   if w == "good " then
      n_good = n_good + 1
   elseif w == "nochg" then
      n_nochg = n_nochg + 1
   elseif w == "badau" then
      n_badauth = n_badauth + 1
   elseif w:sub(1, 3) == "911" then
      n_911 = n_911 + 1
   else
      n_other = n_other + 1
      if other_sample == "" then
         other_sample = status .. " " .. (body or "")
      end
   end
end

local rate = tonumber(os.getenv("HTTPBENCH_RATE") or "")
if rate and rate > 0 then
   local next_at
   local interval
   function delay()
      if interval == nil then
         interval = step * 1000.0 / rate      -- ms between this thread's slots
      end
      local t = now_ms()
      if next_at == nil or next_at < t - 50 then
         next_at = t           -- start, or too far behind: no catch-up burst
      end
      local d = next_at - t
      next_at = next_at + interval
      if d < 0 then d = 0 end
      return d
   end
end

local function esc(s)
   return (s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end))
end

function done(summary, latency, requests)
   local c = { good = 0, nochg = 0, badauth = 0, ["911"] = 0, other = 0 }
   local sample = ""
   for _, t in ipairs(threads) do
      c.good = c.good + t:get("n_good")
      c.nochg = c.nochg + t:get("n_nochg")
      c.badauth = c.badauth + t:get("n_badauth")
      c["911"] = c["911"] + t:get("n_911")
      c.other = c.other + t:get("n_other")
      local s = t:get("other_sample")
      if sample == "" and s and s ~= "" then sample = s end
   end
   local e = summary.errors
   io.write(string.format(
      'HTTPBENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"replies":{"good":%d,"nochg":%d,"badauth":%d,"911":%d,"other":%d},' ..
      '"other_sample":"%s","latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,' ..
      '"p999":%d,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      c.good, c.nochg, c.badauth, c["911"], c.other, esc(sample:sub(1, 200)),
      latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
