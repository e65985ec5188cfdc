-- mod_s2s_pin: test-only. Outgoing s2s connections to the domains listed in
-- s2s_pin = { ["domain"] = port } go to 127.0.0.1:port instead of DNS, so two
-- sandbox servers on one machine can talk without any traffic leaving loopback.
module:set_global();

local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";

local pins = module:get_option("s2s_pin", {});
local original_new = service.new;

service.new = function (hostname, service_name, conn_type, extra)
	local port = pins[hostname];
	if port and service_name == "xmpp-server" then
		module:log("debug", "Pinning s2s for %s to 127.0.0.1:%d", hostname, port);
		return basic.new("127.0.0.1", port, conn_type, extra);
	end
	if port then
		-- Direct TLS and other services of a pinned domain: nothing to connect to.
		return basic.new("127.0.0.1", 0, conn_type, extra);
	end
	return original_new(hostname, service_name, conn_type, extra);
end

function module.unload()
	service.new = original_new;
end
