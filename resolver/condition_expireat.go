package resolver

// expire-at is met when the dispatch time is on or after the value, a XEP-0082 DateTime in
// UTC (amp-semantics §2, §4). A message held for an offline recipient is woken at that time.
func init() {
	RegisterCondition(Condition{
		Name: "expire-at",
		Valid: func(value string) bool {
			_, ok := parseUTCDateTime(value)
			return ok
		},
		RevealsPresence: true,
		Met: func(value string, s Situation) bool {
			t, ok := parseUTCDateTime(value)
			return ok && !s.Now.Before(t)
		},
		Deadline: parseUTCDateTime,
	})
}
