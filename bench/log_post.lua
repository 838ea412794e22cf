-- wrk script: POST /v1/log with a message/rfc822 body and a bearer token; every request
-- carries its own Message-ID and a contact in To.
-- Usage: BENCH_TOKEN=… BENCH_PROJECT=… wrk -t2 -c20 -d10s -s bench/log_post.lua http://127.0.0.1:PORT
local token = os.getenv("BENCH_TOKEN") or ""
local project = os.getenv("BENCH_PROJECT") or ""
local counter = 0
local body_text = string.rep("Hello Bob, here is the offer we discussed for the house.\r\n", 40)

request = function()
  counter = counter + 1
  local id = tostring(math.random(1, 1000000000)) .. "." .. counter
  local body = "From: Alice <alice@acme.test>\r\n" ..
    "To: contact" .. (counter % 1000 + 1) .. "@client" .. ((counter % 1000 + 1) % 1000) .. ".test\r\n" ..
    "Subject: Offer " .. counter .. "\r\n" ..
    "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n" ..
    "Message-ID: <wrk-" .. id .. "@acme.test>\r\n\r\n" .. body_text
  local headers = {}
  headers["Authorization"] = "Bearer " .. token
  headers["Content-Type"] = "message/rfc822"
  return wrk.format("POST", "/v1/log?project_id=" .. project, headers, body)
end
