package resolver

import "time"

// parseUTCDateTime parses an expire-at value: a XEP-0082 DateTime that is in UTC,
//
//	YYYY-MM-DDThh:mm:ss[.f…]Z   or the same ending in +00:00 or -00:00
//
// with exactly the digits shown, any number (≥1) of fractional-second digits, and nothing
// else (amp-semantics §2). It is written by hand because time.Parse is lenient where the
// contract is not (it accepts single-digit fields in some layouts, any offset, and "24:00").
// Year 0000, hour 24 and leap second 60 are rejected: XEP-0082 follows XML Schema 1.0, which
// has neither a year zero nor leap seconds, and 24:00:00 is just another name for 00:00:00
// of the next day that no client sends.
//
// Fraction digits beyond nanoseconds are rounded up, so that "now ≥ T" stays exact.
// It never allocates.
func parseUTCDateTime(s string) (time.Time, bool) {
	const fixed = len("2006-01-02T15:04:05")
	if len(s) < fixed+1 {
		return time.Time{}, false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	minute, ok5 := digits(s, 14, 2)
	second, ok6 := digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}

	rest := s[fixed:]
	nanos := 0
	if rest[0] == '.' {
		n, scale, roundUp := 0, 100_000_000, false
		i := 1
		for ; i < len(rest) && isDigit(rest[i]); i++ {
			d := int(rest[i] - '0')
			if scale > 0 {
				n += d * scale
				scale /= 10
			} else if d != 0 {
				roundUp = true
			}
		}
		if i == 1 { // a dot without digits
			return time.Time{}, false
		}
		if roundUp {
			n++
		}
		nanos, rest = n, rest[i:]
	}
	if rest != "Z" && rest != "+00:00" && rest != "-00:00" {
		return time.Time{}, false
	}
	// time.Date normalises nanos == 1e9 (a rounded-up .999999999x) into the next second.
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC), true
}

// digits reads n ASCII digits of s starting at i.
func digits(s string, i, n int) (int, bool) {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
