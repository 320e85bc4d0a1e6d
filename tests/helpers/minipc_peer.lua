-- A MinIPC-style peer on LuaSocket for the interop tests, written for them.
-- It behaves as MinIPC does on the wire: plain TCP, one line per connection.
--   lua5.4 minipc_peer.lua serve MESSAGE COUNT   binds 127.0.0.1 on a free port,
--                                                prints "listening PORT", accepts
--                                                COUNT clients, sends each the line
--   lua5.4 minipc_peer.lua eat PORT              connects, prints the line it got
local socket = require("socket")

local mode = arg[1]
if mode == "serve" then
    local message, count = arg[2], tonumber(arg[3] or "1")
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    print("listening " .. port)
    io.stdout:flush()
    local clients = {}
    for i = 1, count do
        clients[i] = assert(server:accept())
    end
    for _, client in ipairs(clients) do
        client:send(tostring(message) .. "\n")
        client:close()
    end
    server:close()
elseif mode == "eat" then
    local client, err = socket.connect("127.0.0.1", tonumber(arg[2]))
    if not client then
        io.stderr:write("failed to connect: " .. tostring(err) .. "\n")
        os.exit(1)
    end
    local line, receiveError = client:receive()
    client:close()
    if not line then
        io.stderr:write("receive failed: " .. tostring(receiveError) .. "\n")
        os.exit(1)
    end
    print(line)
else
    io.stderr:write("usage: minipc_peer.lua serve MESSAGE COUNT | eat PORT\n")
    os.exit(2)
end
