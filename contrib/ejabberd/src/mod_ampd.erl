%%%----------------------------------------------------------------------
%%% mod_ampd: the ejabberd side of ampd (XEP-0079 Advanced Message
%%% Processing as an external component).
%%%
%%% The module keeps no AMP policy. It diverts every AMP request to the
%%% ampd component together with the routing facts only the server knows,
%%% retains the original stanza until ampd answers with a verdict, and then
%%% delivers or forgets its own copy. It also advertises what ampd
%%% announced (stream feature, disco) and fills the two gaps of ejabberd
%%% 23.01's XEP-0356 presence (users already online when the component
%%% connects; sessions that end without an explicit unavailable).
%%%
%%% Wire protocol: docs/PROTOCOL.md of the ampd repository
%%% (namespace urn:x-ampd:route:0), identical to contrib/prosody/mod_ampd.lua.
%%%
%%% Compile (Debian ejabberd 23.01):
%%%   erlc -I /usr/lib/x86_64-linux-gnu/ejabberd-23.01-1/include \
%%%        -I /usr/lib/erlang/lib/p1_xmpp-1.6.1/include mod_ampd.erl
%%%----------------------------------------------------------------------
-module(mod_ampd).
-behaviour(gen_mod).
-behaviour(gen_server).

%% gen_mod
-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1,
	 mod_options/1, mod_doc/0]).
%% gen_server
-export([init/1, handle_call/3, handle_cast/2, handle_info/2,
	 terminate/2, code_change/3]).
%% hooks
-export([user_send_packet/1, sm_receive_packet/1,
	 local_send_to_resource/1, c2s_handle_info/2,
	 c2s_post_auth_features/2, disco_local_features/5,
	 component_connected/1, component_disconnected/2, replace_connections/1,
	 unset_presence/4]).
%% called on the other nodes of an ejabberd cluster (rpc)
-export([run_component_hook/2, cluster_announced/1]).

-include("xmpp.hrl").
-include("logger.hrl").
-include("translate.hrl").
-include("ejabberd_router.hrl").

-define(NS_ROUTE, <<"urn:x-ampd:route:0">>).
-define(NS_AMP_PROTO, <<"http://jabber.org/protocol/amp">>).
-define(NS_AMP_STREAM_FEATURE, <<"http://jabber.org/features/amp">>).
-define(NS_FORWARDED, <<"urn:xmpp:forward:0">>).

%% Diverting runs before every other user_send_packet handler (mod_privilege
%% 50, mod_carbons 89, mod_mam 101): a diverted message must not be copied or
%% archived before ampd decides; on delivery those hooks run again (see
%% c2s_handle_info/2).
-define(PRIO_DIVERT, 10).
%% Messages from other servers are diverted at sm_receive_packet after the
%% server's own filters there: mod_antispam (25.07 and later) drops spam at
%% priority 50, and a spam AMP request must not reach ampd, whose replies would
%% be backscatter. mod_mam (50) only adds its stanza-id there. (Handlers of
%% one priority run in module order, and mod_ampd sorts before mod_antispam.)
-define(PRIO_DIVERT_S2S, 60).
%% mod_privilege consumes, at priority 50, every message a privileged
%% component sends to the server's JID; ampd's messages must be seen first.
-define(PRIO_CONTROL, 40).
%% Before mod_disco (100), which turns an unanswered node query into an error.
-define(PRIO_DISCO, 50).
-define(PRIO_DEFAULT, 50).
%% The component hooks run after mod_privilege's (50): see pass_component_hook/2.
-define(PRIO_COMPONENT, 60).

%% A packet carrying this meta key was delivered or re-injected by this
%% module: the loop guard that keeps it from being diverted again.
-define(META_GUARD, ampd_routed).
-define(EXPIRY_TICK_MS, 1000).
%% How long the module waits for a disco#info answer it asked for on ampd's
%% behalf (docs/PROTOCOL.md §6) before it relays a time-out error.
-define(DISCO_TIMEOUT_MS, 30000).
%% How long a new connection of ampd's component waits for the one it replaces
%% to end (replace_connections/2).
-define(REPLACE_TIMEOUT_MS, 5000).
%% The hook that replaces an old connection of the component runs before
%% mod_privilege's (50), so that the old connection has ended before the new
%% one is granted permissions.
-define(PRIO_REPLACE, 40).
%% Set in the process that runs a component hook on behalf of another node of
%% the cluster: the hook is not passed on again.
-define(FROM_OTHER_NODE, ampd_component_event_from_other_node).
%% How long after a node of the cluster goes down the module checks whether
%% ampd's component route went with it (ejabberd_router removes a dead node's
%% routes in its own process, after the nodedown).
-define(NODEDOWN_CHECK_MS, 2000).
%% Bound of a call to another node of the cluster.
-define(CLUSTER_CALL_MS, 5000).

-record(pending, {id :: binary(),
		  seq :: pos_integer(),
		  packet :: message(),
		  origin :: {c2s, pid()} | s2s,
		  recipient :: local | unknown | remote | service,
		  offline :: store | none,
		  since :: integer(),
		  %% kept while ampd was away, not diverted yet
		  waiting = false :: boolean()}).

%% A re-inject key routed on this node, kept on disc so that a restart between
%% routing and ampd's seeing the acknowledgement does not route ampd's resend
%% again. since is wall-clock milliseconds: it must mean the same after a restart.
-record(ampd_reinjected, {id :: {binary(), binary()}, % {Host, Key}
			  since :: integer()}).

%%%===================================================================
%%% gen_mod
%%%===================================================================
start(Host, Opts) ->
    case mod_opt(component, Opts) of
	undefined ->
	    ?CRITICAL_MSG("mod_ampd: option 'component' is required for ~ts",
			  [Host]),
	    {error, {missing_option, component}};
	_ ->
	    gen_mod:start_child(?MODULE, Host, Opts)
    end.

stop(Host) ->
    gen_mod:stop_child(?MODULE, Host).

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

depends(_Host, _Opts) ->
    [].

mod_opt_type(component) -> econf:domain();
mod_opt_type(when_down) -> econf:enum([bounce, pass]);
mod_opt_type(down_grace) -> econf:non_neg_int();
mod_opt_type(max_pending) -> econf:pos_int();
mod_opt_type(pending_timeout) -> econf:timeout(second);
mod_opt_type(reinjected_max) -> econf:pos_int();
mod_opt_type(reinjected_max_age) -> econf:timeout(second).

mod_options(_Host) ->
    [{component, undefined},
     {when_down, bounce},
     {down_grace, 20},
     {max_pending, 10000},
     {pending_timeout, timer:seconds(60)},
     {reinjected_max, 10000},
     {reinjected_max_age, timer:hours(24)}].

mod_doc() ->
    #{desc => [<<"Diverts XEP-0079 (AMP) messages to the ampd component.">>],
      opts => [{component, #{value => <<"Domain">>,
			     desc => <<"The ampd component (required).">>}},
	       {when_down, #{value => <<"bounce | pass">>,
			     desc => <<"What to do with AMP requests while ampd "
				       "is down or the pending table is full.">>}},
	       {down_grace, #{value => <<"Seconds">>,
			      desc => <<"How long AMP requests are kept while "
					"ampd is away, to be diverted when it is "
					"back, before when_down applies (0: at "
					"once).">>}},
	       {max_pending, #{value => <<"Number">>,
			       desc => <<"Most retained requests.">>}},
	       {pending_timeout, #{value => <<"timeout()">>,
				   desc => <<"Longest wait for a verdict.">>}},
	       {reinjected_max, #{value => <<"Number">>,
				  desc => <<"Most re-inject keys remembered.">>}},
	       {reinjected_max_age, #{value => <<"timeout()">>,
				      desc => <<"How long a re-inject key is "
						"remembered.">>}}]}.

%%%===================================================================
%%% Per-host state: a gen_server owns two ETS tables so hooks running in
%%% c2s, s2s and component processes can read and update them directly.
%%%===================================================================
pending_table(Host) -> gen_mod:get_module_proc(Host, ampd_pending).
status_table(Host) -> gen_mod:get_module_proc(Host, ampd_status).
%% Re-inject keys routed recently, so that ampd's resend of a re-inject whose
%% acknowledgement it did not see is not routed twice: {Key, Order}, and
%% {Order, Key}, the same in routing order (Order is {wall-clock ms routed,
%% a unique integer}), oldest first, for dropping and expiring. The keys are
%% also in the Mnesia table ampd_reinjected, read back at start. Bounded by count (reinjected_max) and by
%% age (reinjected_max_age); the protocol asks for at least 10000 and 24 h.
%% A resend neither refreshes a key nor moves it in the order: past the
%% count the oldest routed key is dropped, however often it was resent.
reinjected_table(Host) -> gen_mod:get_module_proc(Host, ampd_reinjected).
reinjected_order(Host) -> gen_mod:get_module_proc(Host, ampd_reinjected_order).
%% Route ids of requests this module answered itself, without ampd's verdict
%% (no verdict within pending_timeout, ampd away past the grace): a verdict that
%% comes later is not carried out but answered with <abandoned/> (route protocol
%% §8), so that ampd forgets a message it held for it. {Id, Order} and
%% {Order, Id}, like the re-inject keys and within the same bounds; in memory only.
abandoned_table(Host) -> gen_mod:get_module_proc(Host, ampd_abandoned).
abandoned_order(Host) -> gen_mod:get_module_proc(Host, ampd_abandoned_order).
proc(Host) -> gen_mod:get_module_proc(Host, ?MODULE).

mod_opt(Name, Opts) -> gen_mod:get_opt(Name, Opts).
opt(Host, Name) -> gen_mod:get_module_opt(Host, ?MODULE, Name).

component(Host) -> opt(Host, component).

status(Host, Key, Default) ->
    try ets:lookup(status_table(Host), Key) of
	[{_, Value}] -> Value;
	[] -> Default
    catch error:badarg -> Default
    end.

set_status(Host, Key, Value) ->
    ets:insert(status_table(Host), {Key, Value}).

component_up(Host) -> status(Host, component_up, false).

%% The features ampd announced, or [] while it is down or has not announced.
announced(Host) ->
    case component_up(Host) of
	true -> status(Host, features, []);
	false -> []
    end.

init([Host, Opts]) ->
    process_flag(trap_exit, true),
    ets:new(pending_table(Host), [named_table, public, set,
				  {keypos, #pending.id}]),
    ets:new(status_table(Host), [named_table, public, set]),
    ets:new(reinjected_table(Host), [named_table, public, set]),
    ets:new(reinjected_order(Host), [named_table, public, ordered_set]),
    ets:new(abandoned_table(Host), [named_table, public, set]),
    ets:new(abandoned_order(Host), [named_table, public, ordered_set]),
    Component = mod_opt(component, Opts),
    %% The route id names the node that retains the request (route_owner/1):
    %% any node may receive ampd's verdict, and passes it to that one.
    Prefix = <<(binary:encode_hex(crypto:strong_rand_bytes(6)))/binary, ".",
	       (node_tag(node()))/binary>>,
    set_status(Host, route_prefix, Prefix),
    set_status(Host, route_counter, 0),
    set_status(Host, component_up, ejabberd_router:is_my_route(Component)),
    set_status(Host, down_since, now_ms()),
    load_reinjected(Host),
    add_hooks(Host),
    ok = net_kernel:monitor_nodes(true),
    %% ampd may be connected to another node of the cluster already.
    self() ! sync_from_cluster,
    erlang:send_after(?EXPIRY_TICK_MS, self(), expire),
    ?INFO_MSG("mod_ampd ready on ~ts: component ~ts, max ~B retained, "
	      "timeout ~B s, when down: ~ts; re-inject keys remembered: ~B, "
	      "for ~B s",
	      [Host, Component, mod_opt(max_pending, Opts),
	       mod_opt(pending_timeout, Opts) div 1000,
	       mod_opt(when_down, Opts), mod_opt(reinjected_max, Opts),
	       mod_opt(reinjected_max_age, Opts) div 1000]),
    warn_timeout_within_grace(Host, mod_opt(pending_timeout, Opts) div 1000,
			      mod_opt(down_grace, Opts)),
    {ok, Host}.

%% Both bounds count from a request's arrival (expire_pending/1): a pending
%% timeout that is not longer than the grace cuts the grace short.
warn_timeout_within_grace(Host, Timeout, Grace) when Grace > 0, Timeout =< Grace ->
    ?WARNING_MSG("mod_ampd on ~ts: pending_timeout (~B s) is not longer than "
		 "down_grace (~B s): both count from a request's arrival, so a "
		 "request kept while ampd is away is handled as when_down says "
		 "after ~B s, not ~B s. Set pending_timeout above down_grace.",
		 [Host, Timeout, Grace, Timeout, Grace]);
warn_timeout_within_grace(_Host, _Timeout, _Grace) ->
    ok.

%% Answered once everything cast to the process before is done (run_component_hook/2).
handle_call(sync, _From, Host) ->
    {reply, ok, Host};
handle_call(_Request, _From, Host) ->
    {reply, {error, badarg}, Host}.

%% The presences go out before component_up is set: a request a session diverts
%% once it sees component_up then reaches ampd after them, so ampd never decides it
%% with the recipient missing from its presence table (found by cmd/ampchaos).
%% (What ampd announced was forgotten when it disconnected: on another node of
%% a cluster its new announcement may come before this event.)
handle_cast(component_connected, Host) ->
    ?INFO_MSG("mod_ampd: ampd component ~ts connected (~B retained)",
	      [component(Host), retained(Host)]),
    send_online_presences(Host),
    set_status(Host, component_up, true),
    case status(Host, redivert_on_connect, false) of
	true ->
	    set_status(Host, redivert_on_connect, false),
	    redivert_all(Host);
	false -> ok
    end,
    {noreply, Host};
handle_cast({component_disconnected, Reason}, Host) ->
    case ejabberd_router:is_my_route(component(Host)) of
	true ->
	    %% A connection this module replaced (replace_connections/2): ampd
	    %% is still connected through the new one.
	    ?INFO_MSG("mod_ampd: a replaced connection of ampd component ~ts "
		      "closed (~ts); ampd stays connected", [component(Host), Reason]),
	    {noreply, Host};
	false ->
	    component_down(Host, Reason)
    end;
handle_cast(redivert_all, Host) ->
    redivert_all(Host),
    {noreply, Host};
%% ampd announced on another node of the cluster. The news that it connected
%% there may come after this (another path): the re-divert then waits for it,
%% so that this node's presences reach ampd first.
handle_cast({announced, Features}, Host) ->
    set_status(Host, features, Features),
    set_status(Host, down_since, undefined),
    case component_up(Host) of
	true -> redivert_all(Host);
	false -> set_status(Host, redivert_on_connect, true)
    end,
    {noreply, Host};
%% A verdict or re-inject another node received for a request retained here.
handle_cast({control, El}, Host) ->
    handle_control(Host, El),
    {noreply, Host};
handle_cast(_Msg, Host) ->
    {noreply, Host}.

component_down(Host, Reason) ->
    ?INFO_MSG("mod_ampd: ampd component ~ts disconnected (~ts); ~B requests "
	      "stay retained, new ones are kept for ~B s",
	      [component(Host), Reason, retained(Host), opt(Host, down_grace)]),
    set_status(Host, component_up, false),
    set_status(Host, features, []),
    set_status(Host, redivert_on_connect, false),
    case status(Host, down_since, undefined) of
	undefined -> set_status(Host, down_since, now_ms());
	_ -> ok
    end,
    {noreply, Host}.

handle_info(expire, Host) ->
    expire_pending(Host),
    expire_reinjected(Host),
    drop_abandoned(Host, 0),
    erlang:send_after(?EXPIRY_TICK_MS, self(), expire),
    {noreply, Host};
handle_info(sync_from_cluster, Host) ->
    sync_from_cluster(Host),
    {noreply, Host};
handle_info({nodedown, Node}, Host) ->
    erlang:send_after(?NODEDOWN_CHECK_MS, self(), {check_component, Node}),
    {noreply, Host};
handle_info({check_component, Node}, Host) ->
    %% The node ampd was connected to died: no component_disconnected hook
    %% ran anywhere.
    case component_up(Host) andalso
	not ejabberd_router:is_my_route(component(Host)) of
	true ->
	    handle_cast({component_disconnected,
			 <<"its ejabberd node ", (atom_to_binary(Node, utf8))/binary,
			   " went down">>}, Host);
	false ->
	    {noreply, Host}
    end;
handle_info(_Info, Host) ->
    {noreply, Host}.

%% Nothing retained is lost silently when the module stops: each request is
%% answered as if ampd were down.
terminate(_Reason, Host) ->
    remove_hooks(Host),
    List = lists:keysort(#pending.seq, ets:tab2list(pending_table(Host))),
    lists:foreach(
      fun(#pending{packet = Msg, origin = Origin}) ->
	      catch case when_down(Host, Msg, ?T("AMP module stopped")) of
			pass -> route_guarded(Msg, Origin);
			bounced -> ok
		    end
      end, List),
    case List of
	[] -> ok;
	_ -> ?WARNING_MSG("mod_ampd: stopped: ~B retained AMP requests "
			  "answered (~ts)", [length(List), opt(Host, when_down)])
    end.

code_change(_OldVsn, Host, _Extra) ->
    {ok, Host}.

add_hooks(Host) ->
    ejabberd_hooks:add(user_send_packet, Host, ?MODULE, user_send_packet,
		       ?PRIO_DIVERT),
    ejabberd_hooks:add(sm_receive_packet, Host, ?MODULE, sm_receive_packet,
		       ?PRIO_DIVERT_S2S),
    ejabberd_hooks:add(local_send_to_resource_hook, Host, ?MODULE,
		       local_send_to_resource, ?PRIO_CONTROL),
    ejabberd_hooks:add(c2s_handle_info, Host, ?MODULE, c2s_handle_info,
		       ?PRIO_DEFAULT),
    ejabberd_hooks:add(c2s_post_auth_features, Host, ?MODULE,
		       c2s_post_auth_features, ?PRIO_DEFAULT),
    ejabberd_hooks:add(disco_local_features, Host, ?MODULE,
		       disco_local_features, ?PRIO_DISCO),
    ejabberd_hooks:add(unset_presence_hook, Host, ?MODULE, unset_presence,
		       ?PRIO_DEFAULT),
    %% Global hooks: adding the same handler twice is a no-op.
    ejabberd_hooks:add(component_connected, ?MODULE, replace_connections,
		       ?PRIO_REPLACE),
    ejabberd_hooks:add(component_connected, ?MODULE, component_connected,
		       ?PRIO_COMPONENT),
    ejabberd_hooks:add(component_disconnected, ?MODULE,
		       component_disconnected, ?PRIO_COMPONENT).

remove_hooks(Host) ->
    ejabberd_hooks:delete(user_send_packet, Host, ?MODULE, user_send_packet,
			  ?PRIO_DIVERT),
    ejabberd_hooks:delete(sm_receive_packet, Host, ?MODULE, sm_receive_packet,
			  ?PRIO_DIVERT_S2S),
    ejabberd_hooks:delete(local_send_to_resource_hook, Host, ?MODULE,
			  local_send_to_resource, ?PRIO_CONTROL),
    ejabberd_hooks:delete(c2s_handle_info, Host, ?MODULE, c2s_handle_info,
			  ?PRIO_DEFAULT),
    ejabberd_hooks:delete(c2s_post_auth_features, Host, ?MODULE,
			  c2s_post_auth_features, ?PRIO_DEFAULT),
    ejabberd_hooks:delete(disco_local_features, Host, ?MODULE,
			  disco_local_features, ?PRIO_DISCO),
    ejabberd_hooks:delete(unset_presence_hook, Host, ?MODULE, unset_presence,
			  ?PRIO_DEFAULT),
    case gen_mod:is_loaded_elsewhere(Host, ?MODULE) of
	true -> ok;
	false ->
	    ejabberd_hooks:delete(component_connected, ?MODULE,
				  replace_connections, ?PRIO_REPLACE),
	    ejabberd_hooks:delete(component_connected, ?MODULE,
				  component_connected, ?PRIO_COMPONENT),
	    ejabberd_hooks:delete(component_disconnected, ?MODULE,
				  component_disconnected, ?PRIO_COMPONENT)
    end.

%%%===================================================================
%%% Divert
%%%===================================================================

%% A message from one of this host's clients, any destination.
user_send_packet({#message{} = Msg, #{lserver := Host} = C2S} = Acc) ->
    case should_divert(Msg) of
	false -> Acc;
	true ->
	    case divert(Host, Msg, {c2s, self()}) of
		pass -> Acc;
		_DivertedOrBounced -> {stop, {drop, C2S}}
	    end
    end;
user_send_packet(Acc) ->
    Acc.

%% Every local delivery passes here; only messages that came from another
%% server are diverted (local clients' messages were diverted when sent).
sm_receive_packet(#message{from = #jid{lserver = FromDomain},
			   to = #jid{lserver = Host} = To} = Msg) ->
    case should_divert(Msg) andalso
	not ejabberd_router:is_my_route(FromDomain) andalso
	not is_recipient_session(To) of
	false -> Msg;
	true ->
	    case divert(Host, Msg, s2s) of
		pass -> Msg;
		_DivertedOrBounced -> {stop, drop}
	    end
    end;
sm_receive_packet(Pkt) ->
    Pkt.

%% mod_offline hands stored messages out by routing them again from the
%% recipient's own c2s process, without the loop guard (it stores the
%% encoded stanza). Those were diverted when they arrived; a message from
%% another server never reaches the session manager from such a process
%% otherwise.
is_recipient_session(#jid{luser = User, lserver = Server}) ->
    lists:keymember(self(), 2, ejabberd_sm:get_session_sids(User, Server)).

should_divert(Msg) ->
    xmpp:get_meta(Msg, ?META_GUARD, false) == false
	andalso is_amp_request(Msg).

%% An AMP request: a non-error message whose <amp/> has no status.
is_amp_request(#message{type = error}) ->
    false;
is_amp_request(#message{sub_els = Els}) ->
    case find_amp(Els) of
	{ok, Amp} -> fxml:get_tag_attr(<<"status">>, Amp) == false;
	error -> false
    end.

find_amp(Els) ->
    find_child(<<"amp">>, ?NS_AMP_PROTO, [to_xmlel(E) || E <- Els]).

find_child(Name, NS, Els) ->
    case [E || #xmlel{name = N} = E <- Els, N == Name,
	       fxml:get_tag_attr_s(<<"xmlns">>, E) == NS] of
	[El | _] -> {ok, El};
	[] -> error
    end.

to_xmlel(#xmlel{} = El) -> El;
to_xmlel(El) -> xmpp:encode(El).

%% -> diverted | retained | bounced | pass. While ampd is away, within the
%% grace, a request is kept (retained) and diverted when ampd announces again.
divert(Host, Msg, Origin) ->
    Full = ets:info(pending_table(Host), size) >= opt(Host, max_pending),
    Up = component_up(Host),
    case Full orelse not (Up orelse in_down_grace(Host)) of
	false ->
	    Entry = retain(Host, Msg, Origin, not Up),
	    case Up of
		true -> send_divert(Host, Entry), diverted;
		false -> retained
	    end;
	true ->
	    Why = case Full of
		      true -> <<"retained table full">>;
		      false -> <<"ampd is not connected">>
		  end,
	    Result = when_down(Host, Msg),
	    log_when_down(Host, Msg, Why, Result),
	    Result
    end.

retain(Host, Msg, Origin, Waiting) ->
    {Recipient, Offline} = recipient_facts(Msg),
    {Id, Seq} = next_route_id(Host),
    Entry = #pending{id = Id, seq = Seq, packet = Msg,
		     origin = Origin, recipient = Recipient,
		     offline = Offline, since = now_ms(), waiting = Waiting},
    ets:insert(pending_table(Host), Entry),
    Entry.

in_down_grace(Host) ->
    case status(Host, down_since, undefined) of
	undefined -> false;
	Since -> now_ms() - Since < timer:seconds(opt(Host, down_grace))
    end.

%% Every request ampd could not process is logged at warning, as the Prosody
%% module does: the sender's rules were not honoured.
log_when_down(Host, #message{from = From}, Why, bounced) ->
    ?WARNING_MSG("mod_ampd: AMP request from ~ts bounced: ~ts (~B retained)",
		 [jid:encode(From), Why, retained(Host)]);
log_when_down(Host, #message{from = From}, Why, pass) ->
    ?WARNING_MSG("mod_ampd: AMP request from ~ts passed through "
		 "unprocessed: ~ts (~B retained)",
		 [jid:encode(From), Why, retained(Host)]).

retained(Host) -> ets:info(pending_table(Host), size).

when_down(Host, Msg) ->
    when_down(Host, Msg, ?T("AMP processing is unavailable")).

when_down(Host, Msg, Reason) ->
    case opt(Host, when_down) of
	bounce ->
	    bounce(Host, Msg, Reason),
	    bounced;
	pass ->
	    pass
    end.

%% The error comes from the host: it is the server, not the recipient, that
%% cannot honour the sender's rules.
bounce(Host, Msg, Txt) ->
    Err = xmpp:make_error(
	    Msg, xmpp:err_service_unavailable(Txt, xmpp:get_lang(Msg))),
    ejabberd_router:route(guard(xmpp:set_from(Err, jid:make(Host)))).

%% -> {RouteId, Seq}
next_route_id(Host) ->
    N = ets:update_counter(status_table(Host), route_counter, 1),
    Prefix = status(Host, route_prefix, <<>>),
    {<<Prefix/binary, "-", (integer_to_binary(N))/binary>>, N}.

now_ms() -> erlang:monotonic_time(millisecond).

%% recipient: local (an existing account here), unknown (a local host, no
%% such account), remote (another server), service (the host itself or a
%% component of this server).
recipient_facts(#message{to = #jid{luser = User, lserver = Domain},
			 type = Type}) ->
    Recipient =
	case {ejabberd_router:is_my_host(Domain),
	      ejabberd_router:is_my_route(Domain), User} of
	    {true, _, <<>>} -> service;
	    {true, _, _} ->
		case ejabberd_auth:user_exists(User, Domain) of
		    true -> local;
		    false -> unknown
		end;
	    {false, true, _} -> service;
	    {false, false, _} -> remote
	end,
    Storable = Type /= groupchat andalso Type /= headline,
    Offline = case Recipient == local andalso Storable andalso
		  gen_mod:is_loaded(Domain, mod_offline) of
		  true -> store;
		  false -> none
	      end,
    {Recipient, Offline}.

send_divert(Host, #pending{id = Id, packet = Msg, origin = Origin,
			   recipient = Recipient, offline = Offline}) ->
    {Form, Diverted} = divert_form(Msg, Offline),
    %% xmpp:encode/1 keeps xmlns='jabber:client' on the inner message.
    Forwarded = #xmlel{name = <<"forwarded">>,
		       attrs = [{<<"xmlns">>, ?NS_FORWARDED}],
		       children = [xmpp:encode(Diverted)]},
    Route = #xmlel{name = <<"route">>,
		   attrs = [{<<"xmlns">>, ?NS_ROUTE},
			    {<<"id">>, Id},
			    {<<"origin">>, origin_name(Origin)},
			    {<<"recipient">>, atom_to_binary(Recipient, utf8)},
			    {<<"offline">>, atom_to_binary(Offline, utf8)},
			    {<<"message">>, Form}]},
    ejabberd_router:route(
      #message{from = jid:make(Host), to = jid:make(component(Host)),
	       id = Id, sub_els = [Forwarded, Route]}).

%% The divert is slim unless ampd may hold the request (docs/PROTOCOL.md §1;
%% amp-semantics §7: an expire-at rule and offline storage): the message's own
%% attributes and its <amp/>, encoded as inside the whole message, so that
%% ampd's replies are the same. The body and the rest stay here, retained.
divert_form(#message{sub_els = Els} = Msg, Offline) ->
    case find_amp(Els) of
	{ok, Amp} ->
	    case Offline == store andalso hold_possible(Amp) of
		true -> {<<"full">>, Msg};
		false -> {<<"slim">>, Msg#message{subject = [], body = [],
						  thread = undefined,
						  sub_els = [Amp]}}
	    end;
	error -> {<<"full">>, Msg}
    end.

%% Any child of the <amp/> with condition='expire-at' counts: a superset of
%% the rules ampd reads.
hold_possible(#xmlel{children = Children}) ->
    lists:any(fun(#xmlel{attrs = Attrs}) ->
		      lists:member({<<"condition">>, <<"expire-at">>}, Attrs);
		 (_) -> false
	      end, Children).

origin_name({c2s, _}) -> <<"c2s">>;
origin_name(s2s) -> <<"s2s">>.

%% Requests that waited too long are treated as if ampd were down: those
%% without a verdict in pending_timeout, and those kept while ampd is away
%% once the grace is over.
expire_pending(Host) ->
    Now = now_ms(),
    Deadline = Now - opt(Host, pending_timeout),
    Waited = case component_up(Host) of
		 true -> [];
		 false ->
		     GraceDeadline = Now - timer:seconds(opt(Host, down_grace)),
		     [{#pending{since = '$1', waiting = true, _ = '_'},
		       [{'<', '$1', GraceDeadline}], ['$_']}]
	     end,
    Expired = ets:select(pending_table(Host),
			 [{#pending{since = '$1', _ = '_'},
			   [{'<', '$1', Deadline}], ['$_']} | Waited]),
    N = lists:foldl(
	  fun(#pending{id = Id, packet = Msg, origin = Origin}, Acc) ->
		  case ets:take(pending_table(Host), Id) of
		      [] -> Acc;
		      [_] ->
			  ?DEBUG("mod_ampd: no verdict for route ~ts in time",
				 [Id]),
			  remember_abandoned(Host, Id),
			  case when_down(Host, Msg,
					 ?T("AMP processing timed out")) of
			      pass -> route_guarded(Msg, Origin);
			      bounced -> ok
			  end,
			  Acc + 1
		  end
	  end, 0, lists:keysort(#pending.seq, Expired)),
    case N of
	0 -> ok;
	_ -> ?WARNING_MSG("mod_ampd: ~B retained AMP requests expired (ampd "
			  "away past the ~B s grace, or no verdict in ~B s): ~ts; "
			  "~B retained",
			  [N, opt(Host, down_grace), opt(Host, pending_timeout) div 1000,
			   opt(Host, when_down), retained(Host)])
    end.

%%%===================================================================
%%% Verdicts, re-injects and announcements from the component
%%%===================================================================
local_send_to_resource(#message{type = Type, to = #jid{lserver = Host},
				sub_els = Els} = Msg) ->
    case [E || E <- [to_xmlel(X) || X <- Els],
	       fxml:get_tag_attr_s(<<"xmlns">>, E) == ?NS_ROUTE] of
	[] -> ok;
	_ when Type == error -> stop;
	Controls ->
	    case is_from_component(Host, Msg) of
		true ->
		    lists:foreach(fun(C) -> dispatch_control(Host, C) end,
				  Controls);
		false ->
		    Txt = ?T("Only the AMP component may do this"),
		    ejabberd_router:route_error(
		      Msg, xmpp:err_forbidden(Txt, xmpp:get_lang(Msg)))
	    end,
	    stop
    end;
local_send_to_resource(_Pkt) ->
    ok.

%%%===================================================================
%%% ejabberd cluster: ampd's component connection is on one node, the
%%% requests are retained on the nodes of their senders' sessions.
%%%===================================================================

%% A verdict, and a re-inject that names its route, are carried out on the
%% node that retains the request; everything else on the node that got it.
dispatch_control(Host, El) ->
    Route = case El of
		#xmlel{name = <<"verdict">>} -> fxml:get_tag_attr_s(<<"route">>, El);
		#xmlel{name = <<"reinject">>} -> fxml:get_tag_attr_s(<<"route">>, El);
		_ -> <<>>
	    end,
    case route_owner(Route) of
	local -> handle_control(Host, El);
	{node, Node} -> gen_server:cast({proc(Host), Node}, {control, El});
	{gone, Tag} when El#xmlel.name == <<"reinject">> ->
	    %% The held message is ampd's copy: any node can route it. What
	    %% the lost node remembered of the route (abandoned) is lost too.
	    ?WARNING_MSG("mod_ampd: re-injecting for route ~ts here: the node "
			 "(id ~ts) that retained its request is not in the "
			 "cluster", [Route, Tag]),
	    handle_control(Host, El);
	{gone, Tag} ->
	    ?WARNING_MSG("mod_ampd: verdict for route ~ts ignored: the node (id "
			 "~ts) that retained the request is not in the cluster, "
			 "and the request was lost with it (a held message "
			 "stays with ampd)", [Route, Tag])
    end.

%% -> local | {node, Node} | {gone, Tag}. A route id is
%% RANDOM.NODE-COUNTER (next_route_id/1); an id of another form (none, or
%% one this module never made) is looked up here, where it is unknown.
route_owner(Route) ->
    case binary:split(Route, [<<".">>, <<"-">>], [global]) of
	[_Random, Tag, _Counter] ->
	    case node_tag(node()) of
		Tag -> local;
		_ ->
		    case [N || N <- ejabberd_cluster:get_nodes(), node_tag(N) == Tag] of
			[Node | _] when Node /= node() -> {node, Node};
			_ -> {gone, Tag}
		    end
	    end;
	_ -> local
    end.

%% The node's id as ejabberd_cluster:node_id/0 makes it (its Mnesia backend).
node_tag(Node) -> integer_to_binary(erlang:phash2(Node)).

other_nodes() -> ejabberd_cluster:get_nodes() -- [node()].

%% Component hooks run on the node the component is connected to: every
%% other node runs them too, so that mod_privilege grants the component its
%% permissions there (it forwards the presence of that node's users) and
%% mod_ampd there knows whether ampd is up.
%% The connect is passed on synchronously, so that every node has sent ampd the
%% presences of its users before this node handles ampd's announcement (which
%% follows the connect on this connection) and before any node re-diverts: ampd
%% must not judge a re-diverted request without the recipient's presence, on
%% whichever node the recipient is. A node that does not answer in time is
%% logged and not waited for.
pass_component_hook(Hook, Args) ->
    case {get(?FROM_OTHER_NODE), other_nodes()} of
	{true, _} -> ok;
	{_, []} -> ok;
	{_, Nodes} when Hook == component_connected ->
	    wait_privilege_grants(),
	    {_, Bad} = rpc:multicall(Nodes, ?MODULE, run_component_hook, [Hook, Args],
				     ?CLUSTER_CALL_MS),
	    [?WARNING_MSG("mod_ampd: node ~ts did not take ampd's connect in ~B ms; "
			  "its users' presences may reach ampd after re-diverted "
			  "requests", [N, ?CLUSTER_CALL_MS]) || N <- Bad],
	    ok;
	{_, Nodes} ->
	    [rpc:cast(N, ?MODULE, run_component_hook, [Hook, Args]) || N <- Nodes],
	    ok
    end.

%% mod_privilege grants the component from its per-host process, where its hook
%% cast it. That grant must reach ampd before the other nodes' grants: ampd asks
%% for rosters once it has a grant, and ejabberd 24.12 drops a component's IQ to a
%% node that has not recorded its own grant yet. (sys:get_state/2 returns once
%% the process has handled what was sent to it before.)
wait_privilege_grants() ->
    [catch sys:get_state(gen_mod:get_module_proc(H, mod_privilege), ?CLUSTER_CALL_MS)
     || H <- ejabberd_option:hosts(), gen_mod:is_loaded(H, mod_privilege)],
    ok.

%% An event that is out of date by the time it arrives is dropped: ampd's
%% connection may have moved to this node (or left) meanwhile.
run_component_hook(Hook, [Component | _] = Args) ->
    put(?FROM_OTHER_NODE, true),
    Connected = ejabberd_router:is_my_route(Component),
    case {Hook, Connected} of
	{component_connected, true} ->
	    ejabberd_hooks:run(Hook, Args),
	    %% The presences are sent by the per-host process: wait for it.
	    [catch gen_server:call(proc(H), sync, ?CLUSTER_CALL_MS)
	     || H <- ejabberd_option:hosts(), gen_mod:is_loaded(H, ?MODULE),
		component(H) == Component],
	    ok;
	{component_disconnected, false} -> ejabberd_hooks:run(Hook, Args);
	_ -> ok
    end.

%% What ampd announced for Host, as another node sees it: [] when it has not.
cluster_announced(Host) ->
    announced(Host).

%% A node that starts (or joins) while ampd is connected to another node
%% learns it here: the component route is cluster-wide, what ampd announced
%% is asked from another node, and the component hook runs here for
%% mod_privilege's permissions and this node's presences.
sync_from_cluster(Host) ->
    Component = component(Host),
    case ejabberd_router:is_my_route(Component) andalso other_nodes() of
	false -> ok;
	[] -> ok;
	Nodes ->
	    Announced = [F || N <- Nodes,
			      F <- case rpc:call(N, ?MODULE, cluster_announced, [Host], 5000) of
				       L when is_list(L) -> L;
				       _ -> []
				   end],
	    spawn(?MODULE, run_component_hook, [component_connected, [Component]]),
	    case dedupe(Announced) of
		[] -> ok;
		Features -> gen_server:cast(proc(Host), {announced, Features})
	    end
    end.

is_from_component(Host, #message{from = #jid{luser = <<>>, lserver = From,
					       lresource = <<>>}}) ->
    From == component(Host);
is_from_component(_Host, _Msg) ->
    false.

handle_control(Host, #xmlel{name = <<"verdict">>} = El) ->
    Id = fxml:get_tag_attr_s(<<"route">>, El),
    case action(fxml:get_tag_attr_s(<<"action">>, El)) of
	{ok, Action} -> handle_verdict(Host, Id, Action, El);
	error -> ?WARNING_MSG("mod_ampd: bad verdict ~ts", [fxml:element_to_binary(El)])
    end;
handle_control(Host, #xmlel{name = <<"reinject">>} = El) ->
    case forwarded_message(El) of
	{ok, #message{from = #jid{}} = Msg} ->
	    Route = fxml:get_tag_attr_s(<<"route">>, El),
	    case Route /= <<>> andalso ets:member(abandoned_table(Host), Route) of
		true ->
		    %% A release or expiry reply of a message ampd held for a request
		    %% this module already answered itself (route protocol §8):
		    %% routing it would be a second outcome. Acknowledged, so that
		    %% ampd completes it.
		    ?WARNING_MSG("mod_ampd: not re-injecting ~ts: this module answered "
				 "its request (route ~ts) itself before ampd's verdict; "
				 "telling ampd to forget it", [xmpp:get_id(Msg), Route]),
		    send_abandoned(Host, Route),
		    send_reinjected(Host, fxml:get_tag_attr_s(<<"id">>, El));
		false ->
		    reinject(Host, fxml:get_tag_attr_s(<<"id">>, El), Msg)
	    end;
	_ -> ?WARNING_MSG("mod_ampd: bad reinject ~ts", [fxml:element_to_binary(El)])
    end;
handle_control(Host, #xmlel{name = <<"announce">>} = El) ->
    Features = [fxml:get_tag_attr_s(<<"var">>, F)
		|| #xmlel{name = <<"feature">>} = F <- El#xmlel.children],
    Announced = dedupe([F || F <- Features, F /= <<>>]),
    set_status(Host, features, Announced),
    set_status(Host, down_since, undefined),
    %% The other nodes advertise it and re-divert what they retained.
    [gen_server:cast({proc(Host), N}, {announced, Announced}) || N <- other_nodes()],
    %% Through the module's process, after the presences it sends ampd when
    %% the component connects: ampd judges the re-diverted requests with the
    %% presence table rebuilt.
    gen_server:cast(proc(Host), redivert_all);
handle_control(Host, #xmlel{name = <<"ping">>} = El) ->
    case fxml:get_tag_attr_s(<<"id">>, El) of
	<<>> -> ?WARNING_MSG("mod_ampd: ignoring ping without id", []);
	Id -> send_pong(Host, Id)
    end;
handle_control(Host, #xmlel{name = <<"disco-info">>} = El) ->
    %% ampd's disco#info of a domain, sent from the host's own JID and the
    %% answer relayed (docs/PROTOCOL.md §6): mod_privilege (24.10 and later)
    %% drops IQs a component sends to domains that granted it nothing, and
    %% 24.10-24.12 unwrapped ones to local hosts; the server's own pass.
    Id = fxml:get_tag_attr_s(<<"id">>, El),
    case disco_target(fxml:get_tag_attr_s(<<"to">>, El)) of
	{ok, To} when Id /= <<>> ->
	    IQ = #iq{type = get, from = jid:make(Host), to = To,
		     sub_els = [#disco_info{}]},
	    ejabberd_router:route_iq(
	      IQ, fun(Result) -> relay_disco_info(Host, Id, IQ, Result) end,
	      undefined, ?DISCO_TIMEOUT_MS);
	_ ->
	    ?WARNING_MSG("mod_ampd: ignoring a disco-info request without id "
			 "or with a bad 'to': ~ts", [fxml:element_to_binary(El)])
    end;
handle_control(_Host, _El) ->
    ok.

%% A ping (ampd doctor) is answered with the module's server and options
%% (PROTOCOL.md section 7).
send_pong(Host, Id) ->
    Int = fun(N) -> integer_to_binary(N) end,
    Pong = #xmlel{name = <<"pong">>,
		  attrs = [{<<"xmlns">>, ?NS_ROUTE}, {<<"id">>, Id},
			   {<<"server">>, <<"ejabberd">>},
			   {<<"server_version">>, ejabberd_option:version()},
			   {<<"when_down">>, atom_to_binary(opt(Host, when_down), utf8)},
			   {<<"down_grace">>, Int(opt(Host, down_grace))},
			   {<<"max_pending">>, Int(opt(Host, max_pending))},
			   {<<"pending_timeout">>, Int(opt(Host, pending_timeout) div 1000)},
			   {<<"reinjected_max">>, Int(opt(Host, reinjected_max))},
			   {<<"reinjected_max_age">>, Int(opt(Host, reinjected_max_age) div 1000)},
			   {<<"retained">>, Int(retained(Host))}]},
    ejabberd_router:route(
      #message{from = jid:make(Host), to = jid:make(component(Host)),
	       sub_els = [Pong]}).

disco_target(<<>>) -> error;
disco_target(S) ->
    try {ok, jid:decode(S)} catch _:_ -> error end.

%% relay_disco_info hands the answer (or a time-out error from the queried
%% domain) to ampd under the id it asked with.
relay_disco_info(Host, Id, IQ, timeout) ->
    Err = xmpp:make_error(IQ, xmpp:err_remote_server_timeout()),
    relay_disco_info(Host, Id, IQ, Err);
relay_disco_info(Host, Id, _IQ, #iq{} = Answer) ->
    %% xmpp:encode/1 keeps xmlns='jabber:client' on the inner iq.
    Result = #xmlel{name = <<"disco-info-result">>,
		    attrs = [{<<"xmlns">>, ?NS_ROUTE}, {<<"id">>, Id}],
		    children = [xmpp:encode(Answer)]},
    ejabberd_router:route(
      #message{from = jid:make(Host), to = jid:make(component(Host)),
	       sub_els = [Result]}).

dedupe(List) ->
    lists:reverse(
      lists:foldl(fun(X, Acc) ->
			  case lists:member(X, Acc) of
			      true -> Acc;
			      false -> [X | Acc]
			  end
		  end, [], List)).

action(<<"deliver">>) -> {ok, deliver};
action(<<"discard">>) -> {ok, discard};
action(<<"hold">>) -> {ok, hold};
action(_) -> error.

%% A verdict for a route no longer held is ignored, reply included: that is
%% what makes re-diverting after a reconnect safe.
handle_verdict(Host, Id, Action, El) ->
    case ets:take(pending_table(Host), Id) of
	[] ->
	    case ets:member(abandoned_table(Host), Id) of
		true ->
		    %% The sender already has this module's answer: carrying out
		    %% the verdict, or ampd's keeping a held message, would be a
		    %% second outcome.
		    ?WARNING_MSG("mod_ampd: verdict ~ts for route ~ts came after "
				 "this module answered the request itself (no "
				 "verdict in ~B s, or ampd away past the ~B s "
				 "grace); telling ampd to forget it",
				 [Action, Id, opt(Host, pending_timeout) div 1000,
				  opt(Host, down_grace)]),
		    send_abandoned(Host, Id);
		false ->
		    ?DEBUG("mod_ampd: verdict for unknown route ~ts ignored", [Id])
	    end;
	[#pending{packet = Msg, origin = Origin}] ->
	    post_reply(Host, El),
	    case Action of
		deliver -> route_guarded(deliverable(Msg, Origin, El), Origin);
		_ -> ok
	    end
    end.

%% strip='amp' on a deliver verdict: the next hop does not support AMP and
%% ampd's policy is to send the message without its rules.
deliverable(Msg, Origin, Verdict) ->
    case fxml:get_tag_attr_s(<<"strip">>, Verdict) of
	<<"amp">> -> strip_amp(Msg);
	_ -> stamp_amp(Msg, Origin)
    end.

strip_amp(#message{sub_els = Els} = Msg) ->
    Msg#message{sub_els = [E || E <- Els, not is_amp(to_xmlel(E))]}.

is_amp(#xmlel{name = <<"amp">>} = X) ->
    fxml:get_tag_attr_s(<<"xmlns">>, X) == ?NS_AMP_PROTO;
is_amp(_) ->
    false.

post_reply(Host, Verdict) ->
    case [C || #xmlel{name = <<"message">>} = C <- Verdict#xmlel.children,
	       fxml:get_tag_attr_s(<<"xmlns">>, C) == ?NS_CLIENT] of
	[] -> ok;
	[ReplyEl | _] ->
	    case decode_message(ReplyEl) of
		{ok, #message{from = From} = Reply} ->
		    ejabberd_router:route(
		      guard(Reply#message{from = reply_from(Host, From)}));
		error ->
		    ?WARNING_MSG("mod_ampd: bad reply ~ts",
				 [fxml:element_to_binary(ReplyEl)])
	    end
    end.

%% A reply comes from the host or the component, nothing else.
reply_from(Host, #jid{luser = <<>>, lresource = <<>>, lserver = D} = From) ->
    case D == Host orelse D == component(Host) of
	true -> From;
	false -> jid:make(Host)
    end;
reply_from(Host, _) ->
    jid:make(Host).

%% Without a key (an older ampd) the message is routed and not acknowledged.
%% With one it is routed only the first time, and acknowledged every time:
%% ampd resends until it sees the acknowledgement.
reinject(_Host, <<>>, Msg) ->
    ejabberd_router:route(guard(Msg));
reinject(Host, Key, Msg) ->
    case remember_reinjected(Host, Key) of
	new ->
	    ejabberd_router:route(guard(Msg)),
	    send_reinjected(Host, Key);
	repeat ->
	    ?DEBUG("mod_ampd: reinject ~ts already routed, not again", [Key]),
	    send_reinjected(Host, Key);
	{error, Reason} ->
	    %% Not acknowledged: ampd resends it.
	    ?ERROR_MSG("mod_ampd: reinject ~ts not routed: the cluster-wide "
		       "re-inject key table failed (~p); ampd will resend it. "
		       "Check Mnesia on this node (ejabberdctl mnesia_info)",
		       [Key, Reason])
    end.

%% -> new | repeat | {error, Reason}. The check and the insert are one step (a
%% Mnesia transaction on the table that every node of a cluster shares), so
%% that of two concurrent re-injects with one key only one is routed, on
%% whichever node they arrive; the keys this node routed are also in its ETS
%% tables, for the bounds and a quick repeat. Expired keys are
%% forgotten first, so that the age bound holds exactly, not up to a tick late.
remember_reinjected(Host, Key) ->
    expire_reinjected(Host),
    Since = wall_ms(),
    case ets:member(reinjected_table(Host), Key) of
	true -> repeat;
	false ->
	    case claim_reinjected(Host, Key, Since) of
		true ->
		    add_reinjected(Host, Key, Since),
		    new;
		Other -> Other
	    end
    end.

%% -> true (stored now) | repeat (a node of the cluster routed it) | {error, _}
claim_reinjected(Host, Key, Since) ->
    Claim = fun() ->
		    case mnesia:read(ampd_reinjected, {Host, Key}, write) of
			[] ->
			    mnesia:write(#ampd_reinjected{id = {Host, Key},
							  since = Since}),
			    true;
			[_] -> repeat
		    end
	    end,
    case mnesia:transaction(Claim) of
	{atomic, Result} -> Result;
	{aborted, Reason} -> {error, Reason}
    end.

%% Puts a key in memory (the caller stores it) -> false when it is known.
add_reinjected(Host, Key, Since) ->
    Order = {Since, erlang:unique_integer([monotonic, positive])},
    case ets:insert_new(reinjected_table(Host), {Key, Order}) of
	false -> false;
	true ->
	    ets:insert(reinjected_order(Host), {Order, Key}),
	    Excess = ets:info(reinjected_table(Host), size)
		- opt(Host, reinjected_max),
	    drop_oldest_reinjected(Host, Excess),
	    true
    end.

%% The keys a previous run stored, oldest first, within the bounds.
load_reinjected(Host) ->
    ejabberd_mnesia:create(?MODULE, ampd_reinjected,
			   [{disc_copies, [node()]},
			    {attributes, record_info(fields, ampd_reinjected)}]),
    Stored = mnesia:dirty_select(
	       ampd_reinjected,
	       [{#ampd_reinjected{id = {Host, '$1'}, since = '$2'}, [],
		 [{{'$2', '$1'}}]}]),
    lists:foreach(fun({Since, Key}) -> add_reinjected(Host, Key, Since) end,
		  lists:sort(Stored)),
    expire_reinjected(Host), % what the bounds drop is deleted from the table too
    Kept = ets:info(reinjected_table(Host), size),
    case Stored of
	[] -> ok;
	_ -> ?INFO_MSG("mod_ampd: loaded ~B re-inject keys for ~ts; ~B kept "
		       "within the bounds", [length(Stored), Host, Kept])
    end.

wall_ms() -> erlang:system_time(millisecond).

drop_oldest_reinjected(Host, N) when N > 0 ->
    case ets:first(reinjected_order(Host)) of
	'$end_of_table' -> ok;
	Seq ->
	    forget_reinjected(Host, Seq),
	    drop_oldest_reinjected(Host, N - 1)
    end;
drop_oldest_reinjected(_Host, _N) ->
    ok.

%% Keys routed more than reinjected_max_age ago are forgotten, oldest first.
expire_reinjected(Host) ->
    expire_reinjected(Host, wall_ms() - opt(Host, reinjected_max_age)).

expire_reinjected(Host, Deadline) ->
    case ets:first(reinjected_order(Host)) of
	{Since, _} = Order when Since < Deadline ->
	    forget_reinjected(Host, Order),
	    expire_reinjected(Host, Deadline);
	_ -> ok
    end.

forget_reinjected(Host, Order) ->
    case ets:take(reinjected_order(Host), Order) of
	[{_, Key}] ->
	    ets:delete_object(reinjected_table(Host), {Key, Order}),
	    mnesia:dirty_delete(ampd_reinjected, {Host, Key});
	[] -> ok
    end.

remember_abandoned(Host, Id) ->
    Order = {wall_ms(), erlang:unique_integer([monotonic, positive])},
    ets:insert(abandoned_table(Host), {Id, Order}),
    ets:insert(abandoned_order(Host), {Order, Id}),
    drop_abandoned(Host, ets:info(abandoned_table(Host), size)
		   - opt(Host, reinjected_max)).

%% Drops the N oldest abandoned route ids, then those older than
%% reinjected_max_age.
drop_abandoned(Host, N) ->
    Deadline = wall_ms() - opt(Host, reinjected_max_age),
    case ets:first(abandoned_order(Host)) of
	{Since, _} = Order when N > 0; Since < Deadline ->
	    [{_, Id}] = ets:take(abandoned_order(Host), Order),
	    ets:delete(abandoned_table(Host), Id),
	    drop_abandoned(Host, N - 1);
	_ -> ok
    end.

send_abandoned(Host, Id) ->
    Notice = #xmlel{name = <<"abandoned">>,
		    attrs = [{<<"xmlns">>, ?NS_ROUTE}, {<<"route">>, Id}]},
    ejabberd_router:route(
      #message{from = jid:make(Host), to = jid:make(component(Host)),
	       sub_els = [Notice]}).

send_reinjected(Host, Key) ->
    Ack = #xmlel{name = <<"reinjected">>,
		 attrs = [{<<"xmlns">>, ?NS_ROUTE}, {<<"id">>, Key}]},
    ejabberd_router:route(
      #message{from = jid:make(Host), to = jid:make(component(Host)),
	       sub_els = [Ack]}).

forwarded_message(El) ->
    case find_child(<<"forwarded">>, ?NS_FORWARDED, El#xmlel.children) of
	{ok, Fwd} ->
	    case [M || #xmlel{name = <<"message">>} = M <- Fwd#xmlel.children,
		       fxml:get_tag_attr_s(<<"xmlns">>, M) == ?NS_CLIENT] of
		[M | _] -> decode_message(M);
		[] -> error
	    end;
	error -> error
    end.

decode_message(El) ->
    try xmpp:decode(El, ?NS_CLIENT, [ignore_els]) of
	#message{to = #jid{}} = Msg -> {ok, Msg};
	_ -> error
    catch _:{xmpp_codec, _} -> error
    end.

guard(Pkt) -> xmpp:put_meta(Pkt, ?META_GUARD, true).

%% XEP-0079 §4.1: the server adds from and to to the <amp/> it delivers. A
%% request from another server keeps the addresses that server stamped.
stamp_amp(#message{from = From, to = To, sub_els = Els} = Msg, Origin) ->
    Stamp =
	fun(E) ->
		X = to_xmlel(E),
		case X of
		    #xmlel{name = <<"amp">>} ->
			Stamped = Origin == s2s andalso
			    fxml:get_tag_attr_s(<<"from">>, X) /= <<>> andalso
			    fxml:get_tag_attr_s(<<"to">>, X) /= <<>>,
			case fxml:get_tag_attr_s(<<"xmlns">>, X) of
			    ?NS_AMP_PROTO when Stamped -> E;
			    ?NS_AMP_PROTO ->
				A1 = lists:keystore(<<"from">>, 1, X#xmlel.attrs,
						    {<<"from">>, jid:encode(From)}),
				A2 = lists:keystore(<<"to">>, 1, A1,
						    {<<"to">>, jid:encode(To)}),
				X#xmlel{attrs = A2};
			    _ -> E
			end;
		    _ -> E
		end
	end,
    Msg#message{sub_els = [Stamp(E) || E <- Els]}.

%% Deliver from the sender's session while it lives, so that its carbons,
%% archive and privacy list apply as for any message it sends; else from
%% the host.
route_guarded(Msg, {c2s, Pid}) ->
    Guarded = guard(Msg),
    case is_process_alive(Pid) of
	true -> Pid ! {ampd_deliver, Guarded};
	false -> ejabberd_router:route(Guarded)
    end;
route_guarded(Msg, s2s) ->
    ejabberd_router:route(guard(Msg)).

%% Runs in the sender's c2s process: the same steps ejabberd_c2s takes for a
%% message the client sends, minus this module's own divert (the guard).
c2s_handle_info(#{lserver := Host, lang := Lang} = State,
		{ampd_deliver, Msg}) ->
    {Msg1, State1} = ejabberd_hooks:run_fold(user_send_packet, Host,
					     {Msg, State}, []),
    case Msg1 of
	drop -> ok;
	_ ->
	    case ejabberd_hooks:run_fold(privacy_check_packet, Host, allow,
					 [State1, Msg1, out]) of
		allow -> ejabberd_router:route(Msg1);
		deny ->
		    Txt = ?T("Your active privacy list has denied "
			     "the routing of this stanza."),
		    ejabberd_router:route_error(
		      Msg1, xmpp:err_not_acceptable(Txt, Lang))
	    end
    end,
    {stop, State1};
c2s_handle_info(State, _Info) ->
    State.

%% In the order they arrived, as ampd would have seen them the first time.
redivert_all(Host) ->
    Entries = lists:keysort(#pending.seq, ets:tab2list(pending_table(Host))),
    lists:foreach(
      fun(#pending{waiting = true} = Entry) ->
	      Diverted = Entry#pending{waiting = false},
	      ets:insert(pending_table(Host), Diverted),
	      send_divert(Host, Diverted);
	 (Entry) ->
	      send_divert(Host, Entry)
      end, Entries).

%%%===================================================================
%%% Advertising what ampd announced
%%%===================================================================
c2s_post_auth_features(Features, Host) ->
    case announced(Host) of
	[] -> Features;
	_ -> [#xmlel{name = <<"amp">>,
		     attrs = [{<<"xmlns">>, ?NS_AMP_STREAM_FEATURE}]}
	      | Features]
    end.

disco_local_features({error, _} = Acc, _From, _To, _Node, _Lang) ->
    Acc;
disco_local_features(Acc, _From, #jid{lserver = Host}, Node, _Lang)
  when Node == <<>>; Node == ?NS_AMP_PROTO ->
    case announced(Host) of
	[] -> Acc;
	Announced ->
	    Old = case Acc of
		      {result, Fs} -> Fs;
		      empty -> []
		  end,
	    {result, Old ++ [F || F <- Announced, not lists:member(F, Old)]}
    end;
disco_local_features(Acc, _From, _To, _Node, _Lang) ->
    Acc.

%%%===================================================================
%%% XEP-0356 presence gaps of ejabberd 23.01
%%%===================================================================
component_connected(Component) ->
    cast_hosts_of(Component, component_connected),
    pass_component_hook(component_connected, [Component]).

%% ampd has one connection at a time: a new one replaces the others (as
%% Prosody's component_conflict_resolve = "kick_old"). ejabberd itself would
%% keep them all and spread the component's stanzas over them at random, so
%% that a frozen ampd (a paused VM, SIGSTOP), whose connection stays open,
%% would keep receiving diverts its standby never sees, and the standby the
%% answers to its own queries.
%%
%% The hook runs in the new connection's process (elsewhere, as when another
%% node of the cluster runs the hooks, it does nothing), before mod_privilege's
%% (priority), and waits until the old connections have ended: their
%% component_disconnected hooks make mod_privilege forget the component's
%% permissions, and that must happen before it grants them to the new
%% connection, not after.
replace_connections(Component) ->
    replace_connections(Component, self()).

replace_connections(Component, New) ->
    Backend = ejabberd_router:get_backend(),
    Routes = case Backend:find_routes(Component) of
		 {ok, Rs} when is_list(Rs) -> Rs;
		 Rs when is_list(Rs) -> Rs;
		 _ -> []
	     end,
    Pids = [P || #route{pid = P} <- Routes, is_pid(P)],
    case lists:member(New, Pids) of
	false -> ok; % not run by a connection of the component
	true ->
	    Refs = [begin
			 ?WARNING_MSG("mod_ampd: a new connection of ampd component ~ts "
				      "replaces the one in process ~p (a second ampd, or "
				      "one that froze and was replaced by its standby)",
				      [Component, Old]),
			 Ref = erlang:monitor(process, Old),
			 ejabberd_service:send(Old, xmpp:serr_conflict(
						      ?T("Replaced by a new connection"),
						      ejabberd_option:language())),
			 ejabberd_service:stop_async(Old),
			 Ref
		     end || Old <- Pids -- [New]],
	    lists:foreach(
	      fun(Ref) ->
		      receive {'DOWN', Ref, process, _, _} -> ok
		      after ?REPLACE_TIMEOUT_MS ->
			      erlang:demonitor(Ref, [flush]),
			      ?ERROR_MSG("mod_ampd: a replaced connection of ampd component "
					 "~ts did not end within ~B ms; ampd may lack its "
					 "XEP-0356 permissions until it reconnects",
					 [Component, ?REPLACE_TIMEOUT_MS])
		      end
	      end, Refs)
    end.

component_disconnected(Component, Reason) ->
    cast_hosts_of(Component, {component_disconnected, reason_text(Reason)}),
    pass_component_hook(component_disconnected, [Component, Reason]).

reason_text(Reason) when is_binary(Reason) -> Reason;
reason_text(Reason) -> iolist_to_binary(io_lib:format("~p", [Reason])).

cast_hosts_of(Component, Msg) ->
    lists:foreach(
      fun(Host) ->
	      case gen_mod:is_loaded(Host, ?MODULE) andalso
		  component(Host) == Component of
		  true -> gen_server:cast(proc(Host), Msg);
		  false -> ok
	      end
      end, ejabberd_option:hosts()).

%% What mod_privilege would have sent had the component been connected when
%% these users came online. The session list is cluster-wide: each node sends
%% its own sessions' presences.
send_online_presences(Host) ->
    To = jid:make(component(Host)),
    Users = lists:usort([{U, S} || {U, S, _} <- ejabberd_sm:get_vh_session_list(Host)]),
    lists:foreach(
      fun({U, S}) ->
	      lists:foreach(
		fun({_Priority, R}) -> send_current_presence(U, S, R, To) end,
		ejabberd_sm:get_user_present_resources(U, S))
      end, Users).

send_current_presence(U, S, R, To) ->
    case ejabberd_sm:get_session_pid(U, S, R) of
	Pid when is_pid(Pid), node(Pid) == node() ->
	    try ejabberd_c2s:get_presence(Pid) of
		#presence{type = available} = Pres ->
		    ejabberd_router:route(
		      xmpp:set_from_to(Pres, jid:make(U, S, R), To));
		_ -> ok
	    catch _:_ -> ok % the session ended meanwhile
	    end;
	_ -> ok
    end.

%% A session that had presence ended (or sent unavailable): tell ampd. An
%% explicit unavailable then reaches it twice, which ampd tolerates.
unset_presence(User, Server, Resource, _Status) ->
    Host = jid:nameprep(Server),
    case component_up(Host) of
	true ->
	    ejabberd_router:route(
	      #presence{type = unavailable,
			from = jid:make(User, Server, Resource),
			to = jid:make(component(Host))});
	false -> ok
    end.
