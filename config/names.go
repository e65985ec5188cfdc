package config

// The names XEP-0079 defines and ampd implements. Each function returns a fresh slice, which
// the caller may keep or change. They are the defaults of the [amp] section: everything known
// is enabled.

// KnownActions returns the actions ampd implements (amp.actions).
func KnownActions() []string { return []string{"alert", "drop", "error", "notify"} }

// KnownConditions returns the conditions ampd implements (amp.conditions).
func KnownConditions() []string { return []string{"deliver", "expire-at", "match-resource"} }

// KnownDeliverValues returns the values of the deliver condition (amp.deliver_values).
func KnownDeliverValues() []string {
	return []string{"direct", "stored", "none", "forward", "gateway"}
}

// KnownMatchResourceValues returns the values of the match-resource condition
// (amp.match_resource_values).
func KnownMatchResourceValues() []string { return []string{"any", "exact", "other"} }
