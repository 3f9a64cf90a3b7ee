-- bench/wrk/pool.lua: send tickets from a file, one a line, in turn.
--
--   wrk -s bench/wrk/pool.lua URL -- FILE [OFFSET]
--
-- Every request carries "Authorization: Bearer <ticket>" with the next
-- ticket of FILE, starting at line OFFSET (0-based) and going round.  A
-- file of one line sends the same ticket every time (the repeated-ticket
-- and plain-proxy cases use this too, so wrk does the same work in every
-- case).  The requests are built once, in init, so that the client's
-- cost per request does not depend on the pool.  Each thread starts at
-- OFFSET + its number * (pool size / threads).

local reqs = {}
local n = 0
local i = 0

local thread_no = 0
function setup(thread)
   thread:set("tno", thread_no)
   thread_no = thread_no + 1
end

function init(args)
   local file = args[1]
   local offset = tonumber(args[2] or "0")
   local threads = tonumber(args[3] or "1")
   local f = assert(io.open(file, "r"))
   for line in f:lines() do
      if #line > 0 then
         n = n + 1
         reqs[n] = wrk.format("GET", nil,
                              { ["Authorization"] = "Bearer " .. line })
      end
   end
   f:close()
   assert(n > 0, "no tickets in " .. file)
   i = (offset + (tno or 0) * math.floor(n / threads)) % n
end

function request()
   i = i + 1
   if i > n then i = 1 end
   return reqs[i]
end
