package resolver

import (
	"errors"
	"time"
)

// ErrExpireAt is returned by ParseExpireAt for a value that is not a XEP-0082 DateTime in UTC.
var ErrExpireAt = errors.New("resolver: expire-at value is not a XEP-0082 DateTime in UTC")

// ParseExpireAt parses the value of an expire-at rule exactly as rule evaluation reads it
// (amp-semantics §2 and §4), for callers that schedule the deadline, such as the store of
// held messages.
func ParseExpireAt(value string) (time.Time, error) {
	t, ok := parseUTCDateTime(value)
	if !ok {
		return time.Time{}, ErrExpireAt
	}
	return t, nil
}
