// Package held keeps the messages ampd holds itself (amp-semantics §7): messages whose
// default disposition is stored and that carry an expire-at rule. It releases each one when
// its recipient becomes available, or carries out an expire-at rule's action when the rule's
// deadline passes, and makes every held message end exactly once (see Manager) across
// restarts and crashes, on top of package store.
//
// Time comes only from the injected Clock, and everything leaves ampd through the injected
// Actions, so every transition is a test with a fake clock.
//
// Rule semantics of a held message. deliver and match-resource were judged at receipt
// (amp-semantics §4); later evaluations look only at the expire-at rules, in document order,
// with the dispatch time "now", and the first met one decides (Decision D2). A notify rule
// whose notification has gone out — at receipt or while held — is spent: it never fires
// again and no longer stops evaluation, so that [expire-at T1 notify, expire-at T2 drop]
// notifies at T1 and drops at T2, as §7 says ("the rule's action runs at T").
package held
