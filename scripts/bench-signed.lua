-- wrk script for scripts/bench.py: signed Twilio webhooks, each request
-- with its own pre-computed X-Twilio-Signature (wrk's Lua has no HMAC).
--
--   wrk -t2 -c64 -d10s --latency -s scripts/bench-signed.lua URL DATA
--
-- Thread k (1-based) loads DATA-k.lua, written by bench.py:
--
--   return { path = "/twilio/...",
--            templates = { {piece0, piece1, ...}, ... },
--            entries = { "TTSSSS...FFFF...", ... } }
--
-- An entry is a 2-digit template number, the 28-character signature and
-- the template's variable fields, 34 characters each (CallSids); the body
-- is piece0 .. field1 .. piece1 .. field2 .. piece2 ...  Entries are used
-- in order, once each; running out wraps around and is counted, since a
-- repeated CallSid would turn inserts into updates.
--
-- Each response is counted (200 or not) and every 50th one is checked to
-- be text/xml with a <Response> document.  done() prints one line per
-- thread for bench.py:
--   ramal-bench thread=K sent=N ok=N bad=N checked=N badbody=N wrapped=N

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads)
   table.insert(threads, thread)
end

function init(args)
   local file = args[1] .. "-" .. tid .. ".lua"
   local data = assert(loadfile(file))()
   path = data.path
   templates = data.templates
   entries = data.entries
   nentries = #entries
   headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
   pos, sent, ok, bad, checked, badbody, wrapped = 0, 0, 0, 0, 0, 0, 0
end

function request()
   pos = pos + 1
   if pos > nentries then
      pos = 1
      wrapped = wrapped + 1
   end
   local e = entries[pos]
   local t = templates[tonumber(string.sub(e, 1, 2))]
   local parts = { t[1] }
   for k = 2, #t do
      local at = 31 + (k - 2) * 34
      parts[#parts + 1] = string.sub(e, at, at + 33)
      parts[#parts + 1] = t[k]
   end
   headers["X-Twilio-Signature"] = string.sub(e, 3, 30)
   sent = sent + 1
   return wrk.format("POST", path, headers, table.concat(parts))
end

function response(status, hdrs, body)
   if status == 200 then
      ok = ok + 1
   else
      bad = bad + 1
   end
   if (ok + bad) % 50 == 1 then
      local ctype = ""
      for name, value in pairs(hdrs) do
         if string.lower(name) == "content-type" then
            ctype = value
         end
      end
      checked = checked + 1
      if status ~= 200 or string.find(ctype, "text/xml", 1, true) ~= 1
         or not string.find(body, "<Response", 1, true) then
         badbody = badbody + 1
      end
   end
end

function done(summary, latency, requests)
   for _, t in ipairs(threads) do
      io.write(string.format(
         "ramal-bench thread=%d sent=%d ok=%d bad=%d checked=%d badbody=%d wrapped=%d\n",
         t:get("tid"), t:get("sent"), t:get("ok"), t:get("bad"),
         t:get("checked"), t:get("badbody"), t:get("wrapped")))
   end
end
