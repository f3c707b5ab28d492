package httpapi

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/internal/acswire"
)

// FuzzStartRequest parses hostile start bodies: no panic, and every
// rejection is a coded 400 (or 415) naming what is wrong.
func FuzzStartRequest(f *testing.F) {
	f.Add(`{"callLocator":{"kind":"serverCallLocator","serverCallId":"x"},"recordingChannelType":"unmixed","recordingFormatType":"wav","channelAffinity":[{"channel":0,"participant":{"rawId":"8:acs:a"}}]}`)
	f.Add(`{"callLocator":{"kind":"groupCallLocator"},"channelAffinity":[{"participant":{}}]}`)
	f.Add(`{"callConnectionId":"c","audioChannelParticipantOrdering":[{"phoneNumber":{"value":"+1"}}]}`)
	f.Add(`{"callLocator":{"kind":"roomCallLocator","roomId":"r"},"externalStorage":{"recordingStorageKind":"x"}}`)
	f.Add(`[]`)
	f.Add(`{"channelAffinity":[{"channel":-1,"participant":{"rawId":"a"}},{"participant":{"rawId":"b"}}],"callLocator":{"serverCallId":"s"},"recordingChannelType":"UNMIXED"}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/calling/recordings", nil)
		r.Header.Set("Content-Type", "application/json")
		var req acswire.StartCallRecordingRequest
		if err := decodeJSON(r, []byte(body), &req); err != nil {
			if callrec.KindOf(err) != callrec.KindInvalid {
				t.Fatalf("decode: kind %s: %v", callrec.KindOf(err), err)
			}
			return
		}
		start, err := parseStartRequest(&req, callrec.FormatMp4)
		if err == nil {
			err = start.Spec.Validate(callrec.MaxUnmixedChannels)
		}
		if err != nil {
			e := callrec.AsError(err)
			if e.Kind != callrec.KindInvalid || e.Code == "" || e.Message == "" {
				t.Fatalf("rejection is not a coded 400: %+v", e)
			}
			return
		}
		var raw acswire.StartCallRecordingRequest
		json.Unmarshal([]byte(body), &raw)
		for _, a := range raw.ChannelAffinity {
			if a.Channel != nil && (*a.Channel < 0 || *a.Channel >= callrec.MaxUnmixedChannels) {
				t.Fatalf("accepted channel %d", *a.Channel)
			}
		}
		for _, a := range start.Spec.ChannelAffinity {
			if a.Channel < 0 || a.Channel >= callrec.MaxUnmixedChannels || a.Participant == "" {
				t.Fatalf("accepted affinity %+v", a)
			}
		}
		if _, err := json.Marshal(start.Spec); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRange reads hostile Range headers: no panic; the outcome agrees with
// a reading of RFC 9110 §14.1.2 done another way (a regular expression and
// big integers); and every satisfiable range, in the plain form download
// hands to http.ServeContent, comes back 206 with exactly those bytes.
func FuzzRange(f *testing.F) {
	for _, v := range []string{"bytes=0-0", "bytes=-0", "bytes=5-2", "bytes=-1", "bytes=10-", "Bytes=1-2",
		"bytes=undefined", "bytes=None", "bytes=10", "bytes=0-1,4-5", "bytes=-99999999999999999999",
		"bytes=99999999999999999999-", "bytes=9223372036854775807-", "items=0-1", "bytes= 1-2", "bytes=--1", "bytes=1--2"} {
		f.Add(v, uint16(100))
		f.Add(v, uint16(0))
		f.Add(v, uint16(1))
	}
	rangeRE := regexp.MustCompile(`^(?i:bytes)=([0-9]*)-([0-9]*)$`)
	f.Fuzz(func(t *testing.T, v string, size16 uint16) {
		size := int64(size16)
		br, res := parseRange(v, size)

		// The other reading.
		want, wantFirst, wantLast := rangeIgnored, int64(0), int64(0)
		if m := rangeRE.FindStringSubmatch(v); m != nil && (m[1] != "" || m[2] != "") {
			num := func(s string) *big.Int { n, _ := new(big.Int).SetString(s, 10); return n }
			bsize := new(big.Int).SetInt64(size)
			switch {
			case m[1] == "" && num(m[2]).Sign() == 0:
				want = rangeUnsatisfiable
			case m[1] == "" && size == 0:
			case m[1] == "":
				want, wantLast = rangeSatisfiable, size-1
				if n := num(m[2]); n.Cmp(bsize) < 0 {
					wantFirst = size - n.Int64()
				}
			case num(m[1]).Cmp(bsize) >= 0, m[2] != "" && num(m[2]).Cmp(num(m[1])) < 0:
				want = rangeUnsatisfiable
			default:
				want, wantFirst, wantLast = rangeSatisfiable, num(m[1]).Int64(), size-1
				if m[2] != "" && num(m[2]).Cmp(bsize) < 0 {
					wantLast = num(m[2]).Int64()
				}
			}
		}
		if res != want || (res == rangeSatisfiable && (br.first != wantFirst || br.last != wantLast)) {
			t.Fatalf("%q on %d bytes: %d %+v, want %d [%d,%d]", v, size, res, br, want, wantFirst, wantLast)
		}
		if res != rangeSatisfiable {
			return
		}
		if br.first < 0 || br.first > br.last || br.last >= size {
			t.Fatalf("%q on %d bytes: range %+v outside the content", v, size, br)
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Range", "bytes="+strconv.FormatInt(br.first, 10)+"-"+strconv.FormatInt(br.last, 10))
		w := httptest.NewRecorder()
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		wantCR := "bytes " + strconv.FormatInt(br.first, 10) + "-" + strconv.FormatInt(br.last, 10) + "/" + strconv.FormatInt(size, 10)
		if w.Code != http.StatusPartialContent || w.Header().Get("Content-Range") != wantCR || !bytes.Equal(w.Body.Bytes(), data[br.first:br.last+1]) {
			t.Fatalf("%q on %d bytes: ServeContent %d %q %d bytes, want 206 %q", v, size, w.Code, w.Header().Get("Content-Range"), w.Body.Len(), wantCR)
		}
	})
}
