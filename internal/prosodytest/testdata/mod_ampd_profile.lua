-- mod_ampd_profile: test-only. A sampling profiler of Prosody's Lua, for
-- docs/PERFORMANCE.md "Inside the servers" (TestProfileDivert). A count hook
-- fires every SAMPLE_EVERY Lua VM instructions, in the main thread and in
-- every coroutine created after load (Prosody 0.12 and 13 process a client's
-- stanzas in a per-session coroutine), and counts the sample under:
--   leaf  the function running (file:function:line),
--   func  every function on the stack, once per sample (inclusive),
--   file  every source file on the stack, once per sample (inclusive).
-- Instructions, not time: work in C (expat, the socket, string building in
-- table.concat) is seen only through the Lua function that called it.
--
-- A client of the host controls it with a message to the host:
--   <message to='HOST'><profile xmlns='urn:x-ampd:profile' op='reset'/></message>
--   <message to='HOST'><profile xmlns='urn:x-ampd:profile' op='dump'/></message>
-- and gets back a message (same id) whose body has one "count<TAB>kind<TAB>key"
-- line per entry, "samples<TAB>total" first.
module:set_global();

local debug_getinfo, debug_sethook = debug.getinfo, debug.sethook;
local co_create, co_wrap = coroutine.create, coroutine.wrap;
local st = require "util.stanza";

local SAMPLE_EVERY = module:get_option_number("ampd_profile_every", 1000);
local xmlns_profile = "urn:x-ampd:profile";

local state = package.loaded["ampd_profile_state"];
if not state then
	state = { leaf = {}, func = {}, file = {}, total = 0 };
	package.loaded["ampd_profile_state"] = state;
end

local function basename(src)
	return (src:match("([^/]+)$") or src);
end

local function sample()
	local leaf = debug_getinfo(2, "Sn");
	if not leaf then return; end
	state.total = state.total + 1;
	local key = basename(leaf.short_src)..":"..(leaf.name or "?")..":"..tostring(leaf.linedefined);
	state.leaf[key] = (state.leaf[key] or 0) + 1;
	local seen = {};
	for level = 2, 60 do
		local info = debug_getinfo(level, "Sn");
		if not info then break; end
		local file = basename(info.short_src);
		local fn = file..":"..(info.name or "?")..":"..tostring(info.linedefined);
		for kind, k in pairs({ file = file, func = fn }) do
			if not seen[k] then
				seen[k] = true;
				state[kind][k] = (state[kind][k] or 0) + 1;
			end
		end
	end
end

local function hook(thread)
	if thread then
		debug_sethook(thread, sample, "", SAMPLE_EVERY);
	else
		debug_sethook(sample, "", SAMPLE_EVERY);
	end
end

if not state.installed then
	state.installed = true;
	coroutine.create = function (f)
		local co = co_create(f);
		hook(co);
		return co;
	end
	coroutine.wrap = function (f)
		local co = co_create(f);
		hook(co);
		return function (...)
			local ret = table.pack(coroutine.resume(co, ...));
			if not ret[1] then error(ret[2], 0); end
			return table.unpack(ret, 2, ret.n);
		end
	end
end
-- The main thread: module loading may run in a coroutine, timers run in the loop's thread.
hook();
module:add_timer(0, function () hook(); end);

local function dump()
	local lines = { "samples\t"..tostring(state.total) };
	for kind, t in pairs({ leaf = state.leaf, func = state.func, file = state.file }) do
		for key, n in pairs(t) do
			lines[#lines + 1] = tostring(n).."\t"..kind.."\t"..key;
		end
	end
	return table.concat(lines, "\n");
end

module:hook_global("server-started", function () hook(); end);

function module.add_host(host_module)
	host_module:hook("message/host", function (event)
		local stanza, origin = event.stanza, event.origin;
		local ctl = stanza:get_child("profile", xmlns_profile);
		if not ctl then return nil; end
		local reply = st.message({ to = stanza.attr.from, from = stanza.attr.to, id = stanza.attr.id, type = "chat" });
		if ctl.attr.op == "reset" then
			state.leaf, state.func, state.file, state.total = {}, {}, {}, 0;
			hook();
			reply:text_tag("body", "reset");
		else
			reply:text_tag("body", dump());
		end
		origin.send(reply);
		return true;
	end, 100);
end
