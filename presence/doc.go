// Package presence keeps the table of available resources that ampd learns through XEP-0356
// privileged presence, and reads presence stanzas into updates.
//
// The table is idempotent: a duplicate unavailable, or an available for a resource already
// known, changes nothing but its priority. Readers get immutable snapshots of one bare JID's
// resources, so a decision never sees a half-applied update.
package presence
