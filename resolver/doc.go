// Package resolver decides what happens to an AMP request (XEP-0079: Advanced Message
// Processing): it validates the rules, computes the default disposition of the message,
// evaluates the rules in document order and returns exactly one verdict together with the
// reply the sender is owed (amp-semantics §2–§6, §9).
//
// The package is pure. The recipient's presence, the facts the server module attaches to the
// routed message, the sender's right to see presence and the current time all come in through
// [Input]; nothing here performs I/O, reads a clock or keeps state. Every decision is
// therefore a table test or a property.
//
// The order of work in [Decide] is fixed and is part of the contract:
//
//  1. validation ([Validate]) — it never looks at presence, so a refusal cannot reveal
//     whether the recipient is online;
//  2. the default disposition ([DefaultDisposition]), RFC 6121 §8.5 for local recipients;
//  3. rule evaluation, where the first met rule decides for every action (Decision D2).
package resolver
