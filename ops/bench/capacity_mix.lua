-- wrk request mix of ops/bench/capacity_bench.py: what a dashboard user does, weighted.
-- `users` ({token = ..., apps = {...}}, ...) is prepended by the benchmark.

local json = "application/json"

local function pick(list)
  return list[math.random(#list)]
end

init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local user = pick(users)
  local headers = {["Authorization"] = "Bearer " .. user.token}
  local roll = math.random(100)
  if roll <= 60 then
    return wrk.format("GET", "/api/v1/applications", headers)
  elseif roll <= 70 then
    return wrk.format("GET", "/api/v1/applications/" .. pick(user.apps), headers)
  elseif roll <= 76 then
    return wrk.format("GET", "/api/v1/me", headers)
  elseif roll <= 82 then
    return wrk.format("GET", "/api/v1/notifications", headers)
  elseif roll <= 85 then
    return wrk.format("GET", "/api/v1/applications/stats", headers)
  elseif roll <= 88 then
    return wrk.format("GET", "/api/v1/applications?status=wishlist&sort=company&limit=50", headers)
  elseif roll <= 95 then
    headers["Content-Type"] = json
    local body = '{"notes": "called back ' .. math.random(1000000) .. '"}'
    return wrk.format("PATCH", "/api/v1/applications/" .. pick(user.apps), headers, body)
  else
    headers["Content-Type"] = json
    return wrk.format("POST", "/api/v1/applications", headers, '{"company": "Globex", "role": "Engineer"}')
  end
end
