// Command ampbench is ampd's load tool. It shows progress once a second and ends with a
// summary table (throughput, p50/p90/p99/max latency, errors). Every run is bounded by a
// duration and a message count, and uses loopback only.
//
// Modes (-mode):
//
//   - isolated: a fake XEP-0114 server (component/componenttest) pushes diverted AMP
//     messages (docs/PROTOCOL.md) into an in-process ampd and matches the verdicts by route
//     id. As fast as ampd takes them (bounded by -window messages in flight), or at -rate
//     messages per second.
//   - e2e: real c2s clients on two sandbox servers of one kind (-server; internal/testserver),
//     one without the server module and one with it, send messages to online and offline
//     recipients, measured four ways in alternating rounds (-rounds): plain without the module,
//     plain with it, AMP through the floor component, and AMP through ampd (its own process,
//     built from this checkout or -ampd-bin); each at full speed and at -e2e-rate, then ampd
//     idle for 5 s. It prints issue 15's ratios by throughput and by server CPU per message,
//     ampd's own CPU per message and the latency AMP adds. A lost or doubled message, an error
//     stanza, or a missing or extra AMP reply is an error.
//   - floor: the do-nothing stand-in component alone: it answers every divert at once with
//     deliver, batching the verdicts of the diverts it read together as ampd does (in e2e
//     also with the AMP replies ampd sends for that load). e2e uses it in-process; this mode
//     connects it to any server for comparisons.
//
// The numbers and the commands that produce them are in docs/PERFORMANCE.md.
package main
