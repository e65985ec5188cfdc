package main

import "testing"

func TestDebVersion(t *testing.T) {
	cases := []struct{ in, want string }{
		{"v1.2.0", "1.2.0"},
		{"1.2.0", "1.2.0"},
		{"v1.2.0-3-gabc1234", "1.2.0+3.gabc1234"},
		{"v1.2.0-3-gabc1234-dirty", "1.2.0+3.gabc1234+dirty"},
		{"17d2a6e", "17d2a6e"}, // a commit that starts with a digit is a valid version already
		{"abc1234", "0~gitabc1234"},
		{"abc1234-dirty", "0~gitabc1234+dirty"},
		{"v2.0.0-rc1", "2.0.0+rc1"},
		{"0.0.0~pkgtest", "0.0.0~pkgtest"},
	}
	for _, c := range cases {
		got, err := debVersion(c.in)
		if err != nil || got != c.want {
			t.Errorf("debVersion(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := debVersion(""); err == nil {
		t.Error("debVersion(\"\") gave no error")
	}
}
