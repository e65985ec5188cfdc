package resolver

import (
	"strconv"
	"testing"
	"time"
)

func TestParseUTCDateTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	valid := [...]struct {
		in   string
		want time.Time
	}{
		0:  {"2004-01-01T00:00:00Z", utc(2004, 1, 1, 0, 0, 0, 0)},
		1:  {"2004-09-10T08:33:14Z", utc(2004, 9, 10, 8, 33, 14, 0)},
		2:  {"2004-09-10T08:33:14+00:00", utc(2004, 9, 10, 8, 33, 14, 0)},
		3:  {"2004-09-10T08:33:14-00:00", utc(2004, 9, 10, 8, 33, 14, 0)},
		4:  {"2004-09-10T08:33:14.5Z", utc(2004, 9, 10, 8, 33, 14, 500_000_000)},
		5:  {"2004-09-10T08:33:14.123456789Z", utc(2004, 9, 10, 8, 33, 14, 123_456_789)},
		6:  {"2004-09-10T08:33:14.1234567890000Z", utc(2004, 9, 10, 8, 33, 14, 123_456_789)},
		7:  {"2004-09-10T08:33:14.1234567891Z", utc(2004, 9, 10, 8, 33, 14, 123_456_790)}, // rounded up
		8:  {"2004-09-10T08:33:59.9999999999Z", utc(2004, 9, 10, 8, 34, 0, 0)},
		9:  {"2004-02-29T23:59:59Z", utc(2004, 2, 29, 23, 59, 59, 0)},
		10: {"2000-02-29T00:00:00Z", utc(2000, 2, 29, 0, 0, 0, 0)},
		11: {"0001-01-01T00:00:00Z", utc(1, 1, 1, 0, 0, 0, 0)},
		12: {"9999-12-31T23:59:59.000+00:00", utc(9999, 12, 31, 23, 59, 59, 0)},
		13: {"2004-09-10T08:33:14.0Z", utc(2004, 9, 10, 8, 33, 14, 0)},
	}
	for i, tc := range valid {
		t.Run("valid/"+strconv.Itoa(i), func(t *testing.T) {
			got, ok := parseUTCDateTime(tc.in)
			if !ok || !got.Equal(tc.want) {
				t.Errorf("parseUTCDateTime(%q) = %v, %t; want %v", tc.in, got, ok, tc.want)
			}
		})
	}
	invalid := [...]string{
		0:  "",
		1:  "2004-01-01T00:00:00",       // no zone
		2:  "2004-01-01T00:00:00+01:00", // not UTC
		3:  "2004-01-01T00:00:00-05:00",
		4:  "2004-01-01T00:00:00+0000", // offset without colon
		5:  "2004-01-01T00:00:00z",     // lower-case zone
		6:  "2004-01-01t00:00:00Z",     // lower-case T
		7:  "2004-01-01 00:00:00Z",
		8:  "2004-1-01T00:00:00Z", // single-digit month
		9:  "2004-01-1T00:00:00Z",
		10: "2004-01-01T0:00:00Z",
		11: "2004-01-01T00:0:00Z",
		12: "2004-01-01T00:00:0Z",
		13: "04-01-01T00:00:00Z",
		14: "20040-01-01T00:00:00Z",
		15: "2004-13-01T00:00:00Z",
		16: "2004-00-01T00:00:00Z",
		17: "2004-01-00T00:00:00Z",
		18: "2003-02-29T00:00:00Z", // not a leap year
		19: "1900-02-29T00:00:00Z",
		20: "2004-04-31T00:00:00Z",
		21: "2004-01-01T24:00:00Z",
		22: "2004-01-01T00:60:00Z",
		23: "2004-01-01T00:00:60Z", // no leap seconds
		24: "0000-01-01T00:00:00Z",
		25: "2004-01-01T00:00:00.Z", // dot without digits
		26: "2004-01-01T00:00:00.5", // fraction without zone
		27: "2004-01-01T00:00:00Z ", // trailing space
		28: " 2004-01-01T00:00:00Z",
		29: "2004-01-01",        // a date alone
		30: "2004-01-01T00:00Z", // no seconds
		31: "2004-01-01T00:00:00.1a2Z",
		32: "+2004-01-01T00:00:00Z",
		33: "2004-01-01T00:00:00+00:00Z",
		34: "2004-01-01T00:00:00ZZ",
		35: "2004-01-01T00:00:00+00",
		36: "2004/01/01T00:00:00Z",
		37: "2004-01-01T00:00:00,5Z", // comma fraction
		38: "２００４-01-01T00:00:00Z",   // non-ASCII digits
		39: "2004-01-01T-1:00:00Z",
	}
	for i, in := range invalid {
		t.Run("invalid/"+strconv.Itoa(i), func(t *testing.T) {
			if got, ok := parseUTCDateTime(in); ok {
				t.Errorf("parseUTCDateTime(%q) = %v, true; want invalid", in, got)
			}
		})
	}
}

// FuzzParseUTCDateTime checks that the parser never panics and that whatever it accepts
// is the instant time.Parse also finds.
func FuzzParseUTCDateTime(f *testing.F) {
	for _, s := range []string{"2004-01-01T00:00:00Z", "2004-09-10T08:33:14.123456789123-00:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTCDateTime(s)
		if !ok {
			return
		}
		// Whatever the strict parser accepts, the lenient standard one accepts as the same
		// instant (up to the rounding of digits beyond nanoseconds).
		std, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%q accepted here but not by time.Parse: %v", s, err)
		}
		if d := got.Sub(std); d < 0 || d > time.Nanosecond {
			t.Fatalf("%q parsed as %v, time.Parse says %v", s, got, std)
		}
		if s[len(s)-1] != 'Z' && s[len(s)-6:] != "+00:00" && s[len(s)-6:] != "-00:00" {
			t.Fatalf("%q accepted without a UTC designator", s)
		}
	})
}
