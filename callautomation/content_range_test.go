package callautomation

import "testing"

func TestHTTPRangeHeader(t *testing.T) {
	cases := []struct {
		r    HTTPRange
		want string
	}{
		{HTTPRange{Offset: 100, Length: 50}, "bytes=100-149"}, // as the JS SDK 1.6.0 sends it
		{HTTPRange{Offset: 100}, "bytes=100-"},
		{HTTPRange{Offset: 0, Length: 10}, "bytes=0-9"}, // which JS 1.6.0 cannot ask for
		{HTTPRange{}, "bytes=0-"},
	}
	for _, c := range cases {
		got, err := c.r.header()
		if err != nil || got != c.want {
			t.Errorf("%+v: got %q, %v; want %q", c.r, got, err, c.want)
		}
	}
	for _, bad := range []HTTPRange{{Offset: -1}, {Length: -1}} {
		if _, err := bad.header(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	first, last, total, err := parseContentRange("bytes 100-149/32044")
	if err != nil || first != 100 || last != 149 || total != 32044 {
		t.Fatalf("got %d %d %d %v", first, last, total, err)
	}
	if _, _, total, err := parseContentRange("bytes 0-0/*"); err != nil || total != -1 {
		t.Fatalf("unknown total: %d %v", total, err)
	}
	for _, bad := range []string{"", "bytes */100", "bytes 5-4/10", "bytes 0-10/10", "items 0-1/2", "bytes 0-1", "bytes -1-2/5", "bytes a-b/c"} {
		if _, _, _, err := parseContentRange(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 100-149/32044")
	f.Add("bytes 0-0/*")
	f.Fuzz(func(t *testing.T, v string) {
		first, last, total, err := parseContentRange(v)
		if err != nil {
			return
		}
		if first < 0 || last < first || (total != -1 && total <= last) {
			t.Fatalf("%q parsed to %d-%d/%d", v, first, last, total)
		}
	})
}
