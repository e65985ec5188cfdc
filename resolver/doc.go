// Package resolver decides what happens to an AMP request (XEP-0079: Advanced Message
// Processing): it validates the rules, computes the default disposition of the message,
// evaluates the rules in document order and returns exactly one verdict together with the
// reply the sender is owed (amp-semantics §2–§6, §8, §9). [Resolve] is the only place an
// outcome is formed; it is resumable: when it needs the recipient's roster or the next hop's
// disco#info it says so, and the caller asks again with the answer.
//
// Conditions and actions are registered parts ([RegisterCondition], [RegisterAction]), one
// file each; the configuration, validation, the announced features, the §9 guard and the
// deadlines of held messages are built from the registry. This is ampd's extension point
// (what amp_check_condition and amp_determine_strategy were to MongooseIM's mod_amp):
// examples/onlinecount adds a condition in one file.
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
