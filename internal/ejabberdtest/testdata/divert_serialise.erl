%% divert_serialise: what mod_ampd.erl's divert serialisation costs in CPU, for the whole
%% message and for the slim divert (docs/PROTOCOL.md §1): xmpp:encode/1 as send_divert does,
%% then fxml:element_to_binary/1 as the component connection does, for chat bodies of 1, 3,
%% 10 and 40 sentences (docs/PERFORMANCE.md, "Inside the servers"):
%%
%%	cd "$(mktemp -d)" && ERL_LIBS=/usr/lib/erlang/lib erlc $OLDPWD/internal/ejabberdtest/testdata/divert_serialise.erl &&
%%	erl -noshell -pa . -eval 'application:ensure_all_started(xmpp), divert_serialise:main().'
-module(divert_serialise).
-export([main/0]).
-include_lib("p1_xmpp/include/xmpp.hrl").

main() ->
    lists:foreach(fun measure/1, [1, 3, 10, 40]),
    halt().

measure(Sentences) ->
    Body = binary:copy(<<"Are we still on for the review tomorrow at ten? I moved the slides to the shared folder; ">>, Sentences),
    Raw = <<"<message xmlns='jabber:client' from='u1@localhost/bench' to='r1@localhost' id='b-1-2-3' type='chat'><body>",
	    Body/binary, "</body><active xmlns='http://jabber.org/protocol/chatstates'/>",
	    "<amp xmlns='http://jabber.org/protocol/amp'><rule action='notify' condition='deliver' value='stored'/></amp></message>">>,
    Msg = xmpp:decode(fxml_stream:parse_element(Raw)),
    [Amp] = [E || #xmlel{name = <<"amp">>} = E <- Msg#message.sub_els],
    %% As mod_ampd:divert_form/2 makes it.
    Slim = Msg#message{subject = [], body = [], thread = undefined, sub_els = [Amp]},
    Bytes = fun(M) -> byte_size(fxml:element_to_binary(xmpp:encode(M))) end,
    io:format("~5B bytes: whole message ~6.2f us, slim ~6.2f us (~B bytes)~n",
	      [Bytes(Msg), per_call(Msg), per_call(Slim), Bytes(Slim)]).

per_call(M) ->
    N = 100000,
    {Us, _} = timer:tc(fun() -> loop(M, N) end),
    Us / N.

loop(_, 0) -> ok;
loop(M, N) -> fxml:element_to_binary(xmpp:encode(M)), loop(M, N - 1).
