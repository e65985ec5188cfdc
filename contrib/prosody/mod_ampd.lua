-- mod_ampd: hands XEP-0079 (Advanced Message Processing) requests to ampd.
--
-- ampd is an external component (XEP-0114) that owns all AMP policy. This
-- module only does what a component cannot: it diverts every AMP request to
-- ampd, keeps the original stanza until ampd sends a verdict, then delivers
-- or forgets it; it routes what ampd re-injects and advertises the features
-- ampd announced. The wire protocol is docs/PROTOCOL.md of the ampd project
-- (namespace urn:x-ampd:route:0).
--
-- Prosody 0.12 and 13, Lua 5.4. Copyright the ampd authors, MIT licensed.

local st = require "util.stanza";
local xml_escape = st.xml_escape;
local stanza_tostring = st.stanza_mt.__tostring;
local jid_split = require "util.jid".split;
local jid_bare = require "util.jid".bare;
local jid_prep = require "util.jid".prep;
local id_short = require "util.id".short;
local usermanager_user_exists = require "core.usermanager".user_exists;
local modulemanager = require "core.modulemanager";

local hosts = prosody.hosts;
local full_sessions = prosody.full_sessions;
local core_post_stanza = prosody.core_post_stanza;
local os_time = os.time;
local t_sort = table.sort;
local tostring, pairs, ipairs, rawget, setmetatable, error, pcall =
	tostring, pairs, ipairs, rawget, setmetatable, error, pcall;
local math_floor, math_max, math_min = math.floor, math.max, math.min;

local xmlns_amp = "http://jabber.org/protocol/amp";
local xmlns_amp_feature = "http://jabber.org/features/amp";
local xmlns_route = "urn:x-ampd:route:0";
local xmlns_forward = "urn:xmpp:forward:0";
local xmlns_client = "jabber:client";
local xmlns_disco_info = "http://jabber.org/protocol/disco#info";

-- How long the module waits for a disco#info answer it asked for on ampd's
-- behalf (docs/PROTOCOL.md §6) before it relays a time-out error.
local DISCO_TIMEOUT = 30;

local HOST = module.host;

-- Options ---------------------------------------------------------------

local COMPONENT = module:get_option_string("ampd_component");
if not COMPONENT or COMPONENT == "" then
	module:log("error", "mod_ampd needs ampd_component (the domain of the ampd component) in the VirtualHost section");
	error("mod_ampd: option ampd_component is required");
end
if COMPONENT == HOST then
	error("mod_ampd: ampd_component must be the component's domain, not the host itself");
end

local function positive_integer_option(name, default)
	local value = module:get_option_number(name, default);
	if not value or value < 1 or value ~= math_floor(value) then
		error("mod_ampd: option "..name.." must be a positive integer, got "..tostring(module:get_option(name)));
	end
	return value;
end

local MAX_PENDING = positive_integer_option("ampd_max_pending", 10000);
local PENDING_TIMEOUT = positive_integer_option("ampd_pending_timeout", 60);
-- How many re-inject keys are remembered, and for how long (seconds). The
-- protocol asks for at least 10000 and 24 h: smaller values (for tests) let
-- a late resend of ampd be routed twice.
local REINJECTED_MAX = positive_integer_option("ampd_reinjected_max", 10000);
local REINJECTED_MAX_AGE = positive_integer_option("ampd_reinjected_max_age", 24 * 60 * 60);
-- How long (seconds) AMP requests are kept while ampd is not connected, to be
-- diverted when it is back, before ampd_when_down applies: a restart of ampd,
-- an upgrade or a standby taking over is then invisible to senders. 0 applies
-- ampd_when_down at once.
local DOWN_GRACE = module:get_option_number("ampd_down_grace", 20);
if not DOWN_GRACE or DOWN_GRACE < 0 or DOWN_GRACE ~= math_floor(DOWN_GRACE) then
	error("mod_ampd: option ampd_down_grace must be a whole number of seconds, 0 or more, got "..tostring(module:get_option("ampd_down_grace")));
end
local WHEN_DOWN = module:get_option_string("ampd_when_down", "bounce");
if WHEN_DOWN ~= "bounce" and WHEN_DOWN ~= "pass" then
	error("mod_ampd: option ampd_when_down must be \"bounce\" or \"pass\", got "..tostring(WHEN_DOWN));
end

-- State -----------------------------------------------------------------

-- Retained AMP requests by route id: { stanza, amp (its <amp/>), origin, origin_kind,
-- recipient, offline, time, seq }.
local pending = {};
local pending_count = 0;
local route_prefix = id_short();
local route_counter = 0;

-- Stanzas this module is posting itself (deliveries, re-injects, replies):
-- the divert hooks let them pass. Weak keys: an entry never outlives its
-- stanza even if routing raised an error before it was cleared.
local being_posted = setmetatable({}, { __mode = "k" });

-- The features ampd announced on its current connection, nil when none.
local announced = nil;

-- Since when ampd has been away (os_time), nil while it is connected and has
-- announced. The module starts with ampd away.
local down_since = os_time();

-- Keys of recently routed re-injects, so that a resend (ampd did not see the
-- acknowledgement) is not routed twice: key -> time routed, plus the keys in
-- routing order (oldest at reinjected_first) to drop the oldest first.
-- Bounded by count (REINJECTED_MAX) and by age (REINJECTED_MAX_AGE). A
-- resend neither refreshes a key's time nor moves it in the order: the
-- oldest routed key is the first dropped, however often it was resent.
local reinjected = {};
local reinjected_order = {};
local reinjected_first, reinjected_last = 1, 0;
-- The keys are also in the host's storage, one record per key, so that a
-- server restarted between routing a re-inject and ampd's receiving the
-- acknowledgement still knows the key: ampd's resend is then acknowledged,
-- not routed a second time.
local reinjected_store = module:open_store("ampd_reinjected");

-- Route ids of requests this module answered itself, without ampd's verdict
-- (no verdict within PENDING_TIMEOUT, ampd away past the grace): a verdict that
-- comes later is not carried out, and is answered with <abandoned/> so that
-- ampd forgets a message it held for it (route protocol §8). In memory only,
-- bounded like the re-inject keys (REINJECTED_MAX, REINJECTED_MAX_AGE), in the
-- order they were given up.
local abandoned = {};
local abandoned_order = {};
local abandoned_first, abandoned_last = 1, 0;

-- The component ------------------------------------------------------------

local function component_module()
	return modulemanager.get_module(COMPONENT, "component");
end

local function component_connected()
	local mod = component_module();
	return mod ~= nil and rawget(mod, "connected") == true;
end

local function component_session()
	local mod = component_module();
	local session = mod and rawget(mod, "session");
	if not session or session.destroyed then return nil; end
	return session;
end

-- send_to_component sends a stanza or a serialised one (session.send takes both).
local function send_to_component(data)
	local session = component_session();
	if not session then return false; end
	session.send(data);
	return true;
end

-- Decisions: no side effects. The classify_* functions get the facts as
-- arguments, except classify_recipient, which reads the host and account tables.

-- classify_request says what to do with a message seen by a divert hook:
-- "divert", "retain" (ampd is away, within the grace: keep it for when it is
-- back), "ignore" (not ours), "bounce" or "pass" (ampd cannot take it), with
-- the reason for the log, and the <amp/> element of a request. It runs for
-- every message the server routes, twice for a local one (pre-message/* for
-- the sender's session, message/* where origin_kind is nil): the cheap checks
-- come first, the origin before the search for <amp/>, and connected and
-- in_grace are functions so that only AMP requests pay for them.
-- amp_child is stanza:get_child("amp", xmlns_amp) without ipairs: it runs on
-- every message a local client sends, and most have no <amp/>.
local function amp_child(stanza)
	local tags = stanza.tags;
	for i = 1, #tags do
		local tag = tags[i];
		if tag.name == "amp" and tag.attr.xmlns == xmlns_amp then
			return tag;
		end
	end
	return nil;
end

local function classify_request(stanza, origin_kind, connected, retained, in_grace)
	if origin_kind == nil then
		return "ignore", "not from a local client or a remote server";
	end
	if stanza.attr.type == "error" then
		return "ignore", "error message";
	end
	local amp = amp_child(stanza);
	if not amp then
		return "ignore", "no amp element";
	end
	if amp.attr.status then
		return "ignore", "amp reply (has status)";
	end
	if retained >= MAX_PENDING then
		return WHEN_DOWN, "retained table full", amp;
	end
	if not connected() then
		if in_grace() then
			return "retain", "ampd is away: kept until it is back", amp;
		end
		return WHEN_DOWN, "ampd is not connected", amp;
	end
	return "divert", "amp request", amp;
end

-- classify_recipient gives the route facts of a destination JID.
local function classify_recipient(to, message_type)
	local node, host = jid_split(to);
	local host_session = host and hosts[host];
	if not host_session then
		return "remote", "none";
	end
	if host_session.type == "component" or not node then
		return "service", "none";
	end
	if not usermanager_user_exists(node, host) then
		return "unknown", "none";
	end
	local storable = message_type ~= "groupchat" and message_type ~= "headline";
	if storable and modulemanager.is_loaded(host, "offline") then
		return "local", "store";
	end
	return "local", "none";
end

-- classify_control says whether a message to the host is ampd's control
-- traffic and whether its sender may send it.
local function classify_control(stanza, origin, component)
	local control = stanza:get_child(nil, xmlns_route);
	if not control then
		return "ignore", "no ampd control element";
	end
	if stanza.attr.type == "error" then
		return "drop", "error about ampd control traffic";
	end
	if component == nil or origin ~= component then
		return "forbidden", "control element not from the ampd component";
	end
	return "handle", "from the ampd component";
end

-- classify_reinject says what to do with a reinject: "route" it, "repeat"
-- (its key was routed already: acknowledge only) or "ignore" (malformed).
-- key is nil for an older ampd that sends none: routed, never acknowledged.
local function classify_reinject(inner, key, routed_before)
	if not inner then
		return "ignore", "no <forwarded><message/></forwarded>";
	end
	if not inner.attr.from or not inner.attr.to then
		return "ignore", "message without from or to";
	end
	if key == nil then
		return "route", "no key (older ampd)";
	end
	if routed_before then
		return "repeat", "key "..key.." already routed";
	end
	return "route", "key "..key;
end

-- classify_verdict maps a verdict's action to what the module does.
local function classify_verdict(action)
	if action == "deliver" then
		return "deliver", "verdict deliver";
	elseif action == "discard" or action == "hold" then
		return "forget", "verdict "..action;
	end
	return "ignore", "unknown verdict action "..tostring(action);
end

-- Acting ------------------------------------------------------------------

local function post_guarded(stanza, origin, preevents)
	being_posted[stanza] = true;
	core_post_stanza(origin, stanza, preevents);
	being_posted[stanza] = nil;
end

-- clean_client_ns removes xmlns='jabber:client' from a message taken out of
-- a <forwarded/> or <verdict/>, as Prosody routes stanzas without xmlns.
local function clean_client_ns(node)
	if node.attr.xmlns ~= xmlns_client then return; end
	node.attr.xmlns = nil;
	for child in node:childtags() do
		clean_client_ns(child);
	end
end

-- remote_session reports whether origin is a server-to-server session that
-- stanzas from the remote server arrive on: an incoming one, or an outgoing one
-- made bidirectional (XEP-0288, mod_s2s_bidi marks it 'incoming'), where the
-- remote server sends back over the connection this server opened.
local function remote_session(origin)
	return origin.type == "s2sin" or (origin.type == "s2sout" and origin.incoming == true);
end

local function live_origin(origin)
	if origin.destroyed then return nil; end
	if origin.type == "c2s" and full_sessions[origin.full_jid] == origin then
		return origin;
	end
	if remote_session(origin) then
		return origin;
	end
	return nil;
end

local function bounce(stanza, reason)
	if stanza.attr.type == "error" then return; end
	local reply = st.error_reply(stanza, "cancel", "service-unavailable", reason);
	reply.attr.from = HOST;
	reply.attr.to = stanza.attr.from;
	post_guarded(reply, hosts[HOST]);
end

-- deliver posts a retained stanza, from its original session when that is
-- still there (so carbons and archiving see it as the client's message).
local function deliver(entry)
	local origin = live_origin(entry.origin);
	if origin and origin.type == "c2s" then
		post_guarded(entry.stanza, origin, true);
	elseif origin then
		post_guarded(entry.stanza, origin);
	else
		post_guarded(entry.stanza, hosts[HOST]);
	end
end

-- stamp_amp names the original sender and recipient on the <amp/> (XEP-0079 §4.1). A request
-- from another server keeps the addresses that server stamped.
local function stamp_amp(entry)
	local amp = entry.amp;
	if entry.origin_kind == "s2s" and amp.attr.from and amp.attr.to then return; end
	amp.attr.from = entry.stanza.attr.from;
	amp.attr.to = entry.stanza.attr.to;
end

-- strip_amp removes the <amp/>: the next hop does not support AMP and ampd's policy is to
-- send the message without its rules (verdict strip='amp').
local function strip_amp(entry)
	entry.stanza:remove_children("amp", xmlns_amp);
end

-- hold_possible says whether ampd may hold the request (amp-semantics §7: only
-- a message with an expire-at rule whose disposition is stored, and stored needs
-- offline storage): only then does ampd need the whole message. Any child of the
-- <amp/> with condition='expire-at' counts, a superset of the rules ampd reads.
local function hold_possible(entry)
	if entry.offline ~= "store" then return false; end
	for _, child in ipairs(entry.amp.tags) do
		if child.attr.condition == "expire-at" then return true; end
	end
	return false;
end

-- divert_bytes serialises the divert of a retained request (docs/PROTOCOL.md
-- §1) straight to a string: the original stanza is serialised in place (its
-- xmlns set to jabber:client for the moment, no copy), and the wrapper is
-- concatenated from prefixes escaped once at load. Every wrapper value is an
-- escaped constant, a route id (base64url and digits) or a fixed keyword, so
-- nothing else needs escaping. This is the per-message hot path: building the
-- wrapper as a stanza cost a deep copy, attribute validation and a second
-- serialiser walk. Unless a hold is possible the divert is slim: the message's
-- own attributes and its <amp/>, serialised as they are inside the whole
-- message (the same serialiser, the same parent namespace), so ampd's replies
-- are the same; the body and the rest stay here.
local divert_prefix = "<message from='"..xml_escape(HOST).."' to='"..xml_escape(COMPONENT).."' id='";
local function divert_bytes(route_id, entry)
	local stanza = entry.stanza;
	local attr = stanza.attr;
	local xmlns = attr.xmlns;
	local form, serialised = "full", stanza;
	if not hold_possible(entry) then
		form, serialised = "slim", { name = stanza.name, attr = attr, entry.amp };
	end
	attr.xmlns = xmlns_client;
	local ok, inner = pcall(stanza_tostring, serialised);
	attr.xmlns = xmlns;
	if not ok then error(inner, 0); end
	return divert_prefix..route_id.."'><forwarded xmlns='"..xmlns_forward.."'>"..inner
		.."</forwarded><route xmlns='"..xmlns_route.."' id='"..route_id.."' origin='"..entry.origin_kind
		.."' recipient='"..entry.recipient.."' offline='"..entry.offline.."' message='"..form.."'/></message>";
end

local function retain(stanza, amp, origin, origin_kind)
	route_counter = route_counter + 1;
	local route_id = route_prefix.."-"..tostring(route_counter);
	local recipient, offline = classify_recipient(stanza.attr.to, stanza.attr.type);
	local entry = {
		stanza = stanza, amp = amp, origin = origin, origin_kind = origin_kind,
		recipient = recipient, offline = offline, time = os_time(), seq = route_counter,
	};
	pending[route_id] = entry;
	pending_count = pending_count + 1;
	return route_id, entry;
end

local function forget(route_id)
	local entry = pending[route_id];
	if not entry then return nil; end
	pending[route_id] = nil;
	pending_count = pending_count - 1;
	return entry;
end

local function drop_oldest_abandoned()
	abandoned[abandoned_order[abandoned_first]] = nil;
	abandoned_order[abandoned_first] = nil;
	abandoned_first = abandoned_first + 1;
end

local function remember_abandoned(route_id, now)
	abandoned[route_id] = now;
	abandoned_last = abandoned_last + 1;
	abandoned_order[abandoned_last] = route_id;
	if abandoned_last - abandoned_first + 1 > REINJECTED_MAX then
		drop_oldest_abandoned();
	end
end

local function abandoned_notice(route_id)
	return st.message({ from = HOST, to = COMPONENT })
		:tag("abandoned", { xmlns = xmlns_route, route = route_id }):up();
end

local function sweep_abandoned(now)
	while abandoned_first <= abandoned_last
		and now - abandoned[abandoned_order[abandoned_first]] >= REINJECTED_MAX_AGE do
		drop_oldest_abandoned();
	end
end

-- Divert hooks --------------------------------------------------------------

local function origin_kind_of(origin, hook_kind)
	if hook_kind == "c2s" then
		-- Messages injected by mod_privilege come with a session that has no full_jid.
		if origin.full_jid then return "c2s"; end
		return nil;
	end
	if remote_session(origin) then return "s2s"; end
	return nil;
end

local function in_down_grace()
	return down_since ~= nil and os_time() - down_since < DOWN_GRACE;
end

local function on_message(event, hook_kind)
	local stanza, origin = event.stanza, event.origin;
	if being_posted[stanza] then return nil; end -- posted by mod_ampd itself
	local origin_kind = origin_kind_of(origin, hook_kind);
	local action, reason, amp = classify_request(stanza, origin_kind, component_connected, pending_count, in_down_grace);
	if action == "ignore" then return nil; end
	if action == "pass" then
		module:log("warn", "AMP request from %s passed through unprocessed: %s (%d retained)",
			tostring(stanza.attr.from), reason, pending_count);
		return nil;
	end
	if action == "bounce" then
		module:log("warn", "AMP request from %s bounced: %s (%d retained)",
			tostring(stanza.attr.from), reason, pending_count);
		bounce(stanza, "AMP processing is unavailable");
		return true;
	end
	if not stanza.attr.to then
		-- A message to one's own bare JID arrives with 'to' removed.
		stanza.attr.to = jid_bare(stanza.attr.from);
	end
	local route_id, entry = retain(stanza, amp, origin, origin_kind);
	if action == "retain" then
		entry.waiting = true; -- diverted when ampd announces again, or answered after the grace
		module:log("debug", "Keeping AMP request %s from %s as %s: %s (%d retained)",
			tostring(stanza.attr.id), stanza.attr.from, route_id, reason, pending_count);
		return true;
	end
	module:log("debug", "Diverting AMP request %s from %s to %s as %s (%s, %s; %d retained)",
		tostring(stanza.attr.id), stanza.attr.from, stanza.attr.to, route_id,
		entry.recipient, entry.offline, pending_count);
	send_to_component(divert_bytes(route_id, entry));
	return true;
end

local function on_c2s_message(event) return on_message(event, "c2s"); end
local function on_s2s_message(event) return on_message(event, "s2s"); end

-- Priority 10: after privacy lists and blocking (100 and more), before
-- archiving (0) and carbons (-0.5), which then see the delivered message.
module:hook("pre-message/bare", on_c2s_message, 10);
module:hook("pre-message/full", on_c2s_message, 10);
module:hook("pre-message/host", on_c2s_message, 10);
module:hook("message/bare", on_s2s_message, 10);
module:hook("message/full", on_s2s_message, 10);

-- Control traffic from ampd --------------------------------------------------

local function post_reply(reply)
	clean_client_ns(reply);
	if not reply.attr.to then
		module:log("warn", "Ignoring a verdict's reply without 'to'");
		return;
	end
	local from = reply.attr.from;
	if from ~= HOST and from ~= COMPONENT then
		reply.attr.from = HOST;
	end
	post_guarded(reply, hosts[HOST]);
end

local function handle_verdict(verdict)
	local route_id = verdict.attr.route;
	local action, reason = classify_verdict(verdict.attr.action);
	if action == "ignore" then
		module:log("warn", "Ignoring verdict for %s: %s", tostring(route_id), reason);
		return;
	end
	local entry = route_id and forget(route_id);
	if not entry then
		if route_id and abandoned[route_id] then
			-- The sender already has this module's answer: carrying out the
			-- verdict, or ampd's keeping a held message, would be a second outcome.
			module:log("warn", "Verdict %s for route %s came after this module answered the request itself (no verdict in %d s, or ampd away past the %d s grace); telling ampd to forget it",
				action, route_id, PENDING_TIMEOUT, DOWN_GRACE);
			send_to_component(abandoned_notice(route_id));
			return;
		end
		module:log("debug", "Ignoring verdict for unknown route %s", tostring(route_id));
		return;
	end
	local reply = verdict:get_child("message", xmlns_client);
	if reply then post_reply(reply); end
	module:log("debug", "Route %s: %s (%d retained)", route_id, reason, pending_count);
	if action == "deliver" then
		if verdict.attr.strip == "amp" then
			strip_amp(entry);
		else
			stamp_amp(entry);
		end
		deliver(entry);
	end
end

local function drop_oldest_reinjected()
	local key = reinjected_order[reinjected_first];
	reinjected_order[reinjected_first] = nil;
	reinjected_first = reinjected_first + 1;
	reinjected[key] = nil;
	reinjected_store:set(key, nil);
end

-- add_reinjected puts a key in memory, newest last; the store is the caller's.
local function add_reinjected(key, time)
	reinjected[key] = time;
	reinjected_last = reinjected_last + 1;
	reinjected_order[reinjected_last] = key;
	if reinjected_last - reinjected_first + 1 > REINJECTED_MAX then
		drop_oldest_reinjected();
	end
end

local function remember_reinjected(key, now)
	add_reinjected(key, now);
	-- seq keeps the routing order of keys stored within one second.
	local ok, err = reinjected_store:set(key, { time = now, seq = reinjected_last });
	if not ok then
		module:log("error", "Cannot store re-inject key %s (%s): a server restart before ampd sees its acknowledgement would route the message again; check the storage", key, tostring(err));
	end
end

-- sweep_reinjected forgets keys routed REINJECTED_MAX_AGE or more seconds
-- ago; the order list is oldest first, so it stops at the first younger one.
local function sweep_reinjected(now)
	while reinjected_first <= reinjected_last
		and now - reinjected[reinjected_order[reinjected_first]] >= REINJECTED_MAX_AGE do
		drop_oldest_reinjected();
	end
end

-- load_reinjected reads the keys a previous run of the server stored, oldest
-- first, within the bounds.
local function load_reinjected()
	if not reinjected_store.users then
		module:log("warn", "The storage of this host cannot list records: re-inject keys do not survive a restart, and a restart while ampd re-sends a held message may deliver it twice. Use internal or sql storage.");
		return;
	end
	local loaded = {};
	for key in reinjected_store:users() do
		local data = reinjected_store:get(key);
		if data and data.time then
			loaded[#loaded+1] = { key = key, time = data.time, seq = data.seq or 0 };
		end
	end
	t_sort(loaded, function (a, b)
		if a.time ~= b.time then return a.time < b.time; end
		return a.seq < b.seq;
	end);
	for _, item in ipairs(loaded) do
		add_reinjected(item.key, item.time);
	end
	sweep_reinjected(os_time());
	if #loaded > 0 then
		module:log("info", "Loaded %d re-inject keys from storage; %d kept within the bounds", #loaded, reinjected_last - reinjected_first + 1);
	end
end

load_reinjected();

local function reinjected_ack(key)
	return st.message({ from = HOST, to = COMPONENT })
		:tag("reinjected", { xmlns = xmlns_route, id = key }):up();
end

local function handle_reinject(reinject)
	local forwarded = reinject:get_child("forwarded", xmlns_forward);
	local inner = forwarded and forwarded:get_child("message", xmlns_client);
	local key = reinject.attr.id;
	if key == "" then key = nil; end
	-- Sweep first, so that the age bound holds exactly, not a sweep interval late.
	local now = os_time();
	sweep_reinjected(now);
	local action, reason = classify_reinject(inner, key, key and reinjected[key] ~= nil);
	if action == "ignore" then
		module:log("warn", "Ignoring reinject: %s", reason);
		return;
	end
	local route_id = reinject.attr.route;
	if action == "route" and route_id and abandoned[route_id] then
		-- A release or expiry reply of a message ampd held for a request this
		-- module already answered itself (route protocol §8): routing it would
		-- be a second outcome. Acknowledged below, so that ampd completes it.
		module:log("warn", "Not re-injecting message %s: this module answered its request (route %s) itself before ampd's verdict; telling ampd to forget it",
			tostring(inner.attr.id), route_id);
		send_to_component(abandoned_notice(route_id));
	elseif action == "route" then
		clean_client_ns(inner);
		module:log("debug", "Re-injecting message %s from %s to %s: %s",
			tostring(inner.attr.id), inner.attr.from, inner.attr.to, reason);
		if key then remember_reinjected(key, now); end
		post_guarded(inner, hosts[HOST]);
	else
		module:log("debug", "Not re-injecting message %s again: %s", tostring(inner.attr.id), reason);
	end
	if key then send_to_component(reinjected_ack(key)); end
end

local function sorted_pending()
	local list = {};
	for route_id, entry in pairs(pending) do
		list[#list+1] = { route_id = route_id, entry = entry };
	end
	t_sort(list, function (a, b) return a.entry.seq < b.entry.seq; end);
	return list;
end

local function withdraw_features()
	if not announced then return; end
	for _, var in ipairs(announced) do
		module:remove_item("feature", var);
	end
	announced = nil;
end

local function handle_announce(announce)
	withdraw_features();
	local features, seen = {}, {};
	for feature in announce:childtags("feature", xmlns_route) do
		local var = feature.attr.var;
		if var and not seen[var] then
			seen[var] = true;
			features[#features+1] = var;
			module:add_feature(var);
		end
	end
	announced = features;
	down_since = nil;
	local list = sorted_pending();
	module:log("info", "ampd announced %d features; re-diverting %d retained requests", #features, #list);
	for _, item in ipairs(list) do
		item.entry.waiting = nil;
		send_to_component(divert_bytes(item.route_id, item.entry));
	end
end

-- A ping (ampd doctor) is answered with the module's server and options (PROTOCOL.md §7).
local function handle_ping(ping)
	local id = ping.attr.id;
	if not id or id == "" then
		module:log("warn", "Ignoring ping without id");
		return;
	end
	send_to_component(st.message({ from = HOST, to = COMPONENT }):tag("pong", {
		xmlns = xmlns_route, id = id, server = "prosody", server_version = prosody.version,
		when_down = WHEN_DOWN, down_grace = tostring(DOWN_GRACE), max_pending = tostring(MAX_PENDING),
		pending_timeout = tostring(PENDING_TIMEOUT), reinjected_max = tostring(REINJECTED_MAX),
		reinjected_max_age = tostring(REINJECTED_MAX_AGE), retained = tostring(pending_count),
	}):up());
end

-- relay_disco_info hands a disco#info answer to ampd under the id it asked with.
local function relay_disco_info(query_id, answer)
	answer = st.clone(answer);
	answer.attr.xmlns = xmlns_client;
	send_to_component(st.message({ from = HOST, to = COMPONENT })
		:tag("disco-info-result", { xmlns = xmlns_route, id = query_id })
			:add_child(answer));
end

-- handle_disco_info asks a domain for its disco#info from this server's own
-- domain on ampd's behalf and relays the answer (docs/PROTOCOL.md §6). ampd
-- does not send the iq itself: some servers (ejabberd 24.10 and later) drop
-- IQs a component sends to other domains, and the module is the same on both.
local function handle_disco_info(query)
	local query_id, to = query.attr.id, jid_prep(query.attr.to);
	if not query_id or query_id == "" or not to then
		module:log("warn", "Ignoring a disco-info request without id or with a bad 'to' (%s)", tostring(query.attr.to));
		return;
	end
	local iq = st.iq({ type = "get", from = HOST, to = to, id = "ampd-disco-" .. id_short() })
		:tag("query", { xmlns = xmlns_disco_info }):up();
	module:send_iq(iq, nil, DISCO_TIMEOUT):next(function (response)
		relay_disco_info(query_id, response.stanza);
	end, function (err)
		local answer = type(err) == "table" and err.context and err.context.stanza;
		if not answer then
			answer = st.error_reply(iq, "wait", "remote-server-timeout");
		end
		relay_disco_info(query_id, answer);
	end);
end

local control_handlers = {
	verdict = handle_verdict,
	reinject = handle_reinject,
	announce = handle_announce,
	ping = handle_ping,
	["disco-info"] = handle_disco_info,
};

module:hook("message/host", function (event)
	local stanza, origin = event.stanza, event.origin;
	local action, reason = classify_control(stanza, origin, component_session());
	if action == "ignore" then return nil; end
	if action == "drop" then
		module:log("debug", "Dropping %s", reason);
		return true;
	end
	if action == "forbidden" then
		module:log("warn", "Refusing ampd control message from %s: %s", tostring(stanza.attr.from), reason);
		origin.send(st.error_reply(stanza, "auth", "forbidden", reason));
		return true;
	end
	for child in stanza:childtags(nil, xmlns_route) do
		local handler = control_handlers[child.name];
		if handler then
			handler(child);
		else
			module:log("warn", "Unknown ampd control element <%s/>", child.name);
		end
	end
	return true;
end, 10);

-- Advertising ---------------------------------------------------------------

module:hook("host-disco-info-node", function (event)
	if event.node ~= xmlns_amp or not announced then return; end
	for _, var in ipairs(announced) do
		event.reply:tag("feature", { var = var }):up();
	end
	event.exists = true;
end);

module:hook("stream-features", function (event)
	-- After authentication and before binding the session is c2s_unbound:
	-- an authenticated session is one with a username.
	if not event.origin.username or not announced then return; end
	event.features:tag("amp", { xmlns = xmlns_amp_feature }):up();
end);

-- Component connection events -------------------------------------------------

local function on_component_authenticated()
	module:log("info", "ampd component %s connected (%d retained)", COMPONENT, pending_count);
end

local function on_component_disconnected(event)
	module:log("info", "ampd component %s disconnected (%s); %d requests stay retained, new ones are kept for %d s",
		COMPONENT, tostring(event and event.reason), pending_count, DOWN_GRACE);
	withdraw_features();
	down_since = down_since or os_time();
end

-- With Prosody's default (kick_new) a second connection of the component is
-- refused while the first is open: a standby ampd cannot replace one that froze
-- (a paused VM), nor a restarted ampd a connection the server still believes
-- open, until the server notices. ampd has one connection at a time, and the
-- newest is the one to keep (docs/DEPLOYMENT.md).
local function check_conflict_resolution()
	local policy = module:context(COMPONENT):get_option_string("component_conflict_resolve", "kick_new");
	if policy ~= "kick_old" then
		module:log("warn", "Component %q keeps an old connection and refuses ampd's new one (component_conflict_resolve = %q): "
			.."a standby ampd cannot take over from one that froze. Set component_conflict_resolve = \"kick_old\" in its Component section",
			COMPONENT, policy);
	end
end

local hooked_component_events = nil;
local function hook_component_host()
	local host_session = hosts[COMPONENT];
	if not host_session or hooked_component_events == host_session.events then return; end
	hooked_component_events = host_session.events;
	module:hook_object_event(host_session.events, "component-authenticated", on_component_authenticated);
	module:hook_object_event(host_session.events, "component-disconnected", on_component_disconnected);
	check_conflict_resolution();
end

module:hook_global("host-activated", function (host)
	if host == COMPONENT then hook_component_host(); end
end);
hook_component_host();

-- Bounds: the sweep -----------------------------------------------------------

local function expire(route_id, entry)
	forget(route_id);
	remember_abandoned(route_id, os_time());
	if WHEN_DOWN == "pass" then
		deliver(entry);
	else
		bounce(entry.stanza, "AMP processing timed out");
	end
end

local function sweep()
	local now = os_time();
	sweep_reinjected(now);
	sweep_abandoned(now);
	local expired = {};
	local away = not component_connected();
	for route_id, entry in pairs(pending) do
		if now - entry.time >= PENDING_TIMEOUT or (entry.waiting and away and now - entry.time >= DOWN_GRACE) then
			expired[#expired+1] = { route_id = route_id, entry = entry };
		end
	end
	if #expired > 0 then
		t_sort(expired, function (a, b) return a.entry.seq < b.entry.seq; end);
		for _, item in ipairs(expired) do
			expire(item.route_id, item.entry);
		end
		module:log("warn", "%d retained AMP requests expired (ampd away past the %d s grace, or no verdict in %d s): %s; %d retained",
			#expired, DOWN_GRACE, PENDING_TIMEOUT, WHEN_DOWN, pending_count);
	end
	if away and announced then
		-- Missed disconnect event: advertise nothing while ampd is away.
		withdraw_features();
		down_since = down_since or now;
	end
end

local SWEEP_INTERVAL = math_max(1, math_min(10, math_floor(PENDING_TIMEOUT / 4),
	DOWN_GRACE > 0 and math_floor(DOWN_GRACE / 4) or 10));
module:add_timer(SWEEP_INTERVAL, function ()
	sweep();
	return SWEEP_INTERVAL;
end);

-- Unloading -------------------------------------------------------------------

function module.unload()
	withdraw_features();
	local list = sorted_pending();
	for _, item in ipairs(list) do
		expire(item.route_id, item.entry);
	end
	if #list > 0 then
		module:log("warn", "mod_ampd unloaded: %d retained AMP requests answered (%s)", #list, WHEN_DOWN);
	end
end

module:log("info", "mod_ampd ready: component %s, max %d retained, timeout %d s, when down: %s; re-inject keys remembered: %d, for %d s",
	COMPONENT, MAX_PENDING, PENDING_TIMEOUT, WHEN_DOWN, REINJECTED_MAX, REINJECTED_MAX_AGE);
-- Both bounds count from a request's arrival (sweep): a pending timeout that
-- is not longer than the grace cuts the grace short.
if DOWN_GRACE > 0 and PENDING_TIMEOUT <= DOWN_GRACE then
	module:log("warn", "ampd_pending_timeout (%d s) is not longer than ampd_down_grace (%d s): both count from a request's arrival, "
		.."so a request kept while ampd is away is answered per ampd_when_down after %d s, not %d s. Set ampd_pending_timeout above ampd_down_grace",
		PENDING_TIMEOUT, DOWN_GRACE, PENDING_TIMEOUT, DOWN_GRACE);
end
