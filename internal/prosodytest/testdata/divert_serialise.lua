-- divert_serialise.lua: what mod_ampd.lua's divert serialisation costs in CPU, for the whole
-- message and for the slim divert (docs/PROTOCOL.md §1), with Prosody's own util.stanza, for
-- chat bodies of 1, 3, 10 and 40 sentences (docs/PERFORMANCE.md, "Inside the servers"):
--
--	lua5.4 internal/prosodytest/testdata/divert_serialise.lua
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local st = require "util.stanza";
local tostr = st.stanza_mt.__tostring;
local sentence = "Are we still on for the review tomorrow at ten? I moved the slides to the shared folder; ";
local N = 100000;

local function per_call(f)
	local t = os.clock();
	for _ = 1, N do f(); end
	return (os.clock() - t) / N * 1e6;
end

for _, sentences in ipairs({ 1, 3, 10, 40 }) do
	local m = st.message({ xmlns = "jabber:client", from = "u1@localhost/bench", to = "r1@localhost", id = "b-1-2-3", type = "chat" })
		:text_tag("body", sentence:rep(sentences))
		:tag("active", { xmlns = "http://jabber.org/protocol/chatstates" }):up()
		:tag("amp", { xmlns = "http://jabber.org/protocol/amp" })
		:tag("rule", { action = "notify", condition = "deliver", value = "stored" }):up():up();
	local amp = m:get_child("amp", "http://jabber.org/protocol/amp");
	-- As divert_bytes does: the stanza itself, or a table with its attributes and its <amp/>.
	local full = per_call(function () return tostr(m); end);
	local slim = per_call(function () return tostr({ name = "message", attr = m.attr, amp }); end);
	print(("%5d bytes: whole message %6.2f µs, slim %6.2f µs (%d bytes)"):format(
		#tostr(m), full, slim, #tostr({ name = "message", attr = m.attr, amp })));
end
