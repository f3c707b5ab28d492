// Package baresiptest runs baresip (Debian package baresip) as a real
// phone in tests: one that calls a SIP URI playing a tone (a sine, or a
// WAV file), or one that answers calls by itself (auto-answer) playing a
// tone, and gives its SIP URI to callers (createCall, addParticipant).
// Each phone is a baresip process with a generated configuration directory
// (modules: g711, g722, ausine or aufile as the microphone; no audio
// device), listening on 127.0.0.1 only, stopped when the test ends.
//
// Tests that run it belong in a loopback-only network namespace, as the
// browser tests do: InLoopbackNamespace re-runs the test under `unshare -n`.
package baresiptest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/audio"
)

// Options describe one baresip phone.
type Options struct {
	// Number is the phone's user part, e.g. "+14255550123" (its From, and
	// its URI for auto-answer).
	Number string
	// Tone is the frequency (Hz) of the sine baresip sends as its
	// microphone (ausine: 48 kHz stereo, resampled to the codec).
	Tone int
	// WAV, when set, is a WAV file baresip plays as its microphone instead
	// of the sine (aufile: 16-bit, 48 kHz, stereo, as WriteWAV writes it).
	// baresip plays it once and hangs up at its end.
	WAV string
	// Codec is the one audio codec offered and accepted: PCMU (default),
	// PCMA or G722.
	Codec string
	// Dial, when set, is the URI baresip calls at once, e.g.
	// sip:<serverCallId>@127.0.0.1:5060. Empty means auto-answer.
	Dial string
	// Password, when set, answers the digest challenges of the server
	// (user: Number).
	Password string
	// Registrar, when set (host:port, e.g. callrec's --sip-addr), is where
	// the phone REGISTERs its Contact (every 10 minutes) with Password;
	// its address of record is then sip:<Number>@<Registrar>.
	Registrar string
	// Duration ends the process (baresip -t) after this long; zero means
	// the test's end. baresip hangs up (BYE) when it quits.
	Duration time.Duration
}

// Phone is a running baresip.
type Phone struct {
	// URI is where the phone answers: sip:<Number>@127.0.0.1:<port>.
	URI  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
	err  error
}

// Binary returns baresip's path; without it the test is skipped, or fails
// in CI (CI=true), which installs it (.ci/run).
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("baresip")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("baresip is required in CI: %v", err)
		}
		t.Skip("baresip not installed (apt-get install baresip)")
	}
	return p
}

// AutoAnswer starts a phone that answers every call playing tone Hz, and
// returns it; its URI is what callers dial.
func AutoAnswer(t testing.TB, number string, tone int) *Phone {
	t.Helper()
	return Start(t, Options{Number: number, Tone: tone})
}

// Start starts baresip as o says. It returns once the phone listens.
func Start(t testing.TB, o Options) *Phone {
	t.Helper()
	bin := Binary(t)
	if o.Number == "" {
		o.Number = "+14255550123"
	}
	if o.Tone == 0 {
		o.Tone = 440
	}
	if o.Codec == "" {
		o.Codec = "PCMU"
	}
	port := freeUDPPort(t)
	dir := t.TempDir()
	module := map[string]string{"PCMU": "g711.so", "PCMA": "g711.so", "G722": "g722.so"}[o.Codec]
	if module == "" {
		t.Fatalf("baresiptest: codec %q: want PCMU, PCMA or G722", o.Codec)
	}
	source, srcModule := fmt.Sprintf("ausine,%d", o.Tone), "ausine.so"
	if o.WAV != "" {
		source, srcModule = "aufile,"+o.WAV, "aufile.so"
	}
	config := fmt.Sprintf(`sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
audio_source %s
ausrc_srate 48000
ausrc_channels 2
rtp_ports 31000-31999
module_path /usr/lib/baresip/modules
module stdio.so
module %s
module %s
module_app account.so
module_app menu.so
`, port, source, module, srcModule)
	account := fmt.Sprintf("<sip:%s@127.0.0.1>;regint=0;audio_codecs=%s", o.Number, o.Codec)
	if o.Registrar != "" {
		account = fmt.Sprintf("<sip:%s@%s>;regint=600;audio_codecs=%s", o.Number, o.Registrar, o.Codec)
	}
	if o.Password != "" {
		account += ";auth_pass=" + o.Password
	}
	if o.Dial == "" {
		account += ";answermode=auto"
	}
	for name, body := range map[string]string{"config": config, "accounts": account + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-f", dir}
	if o.Dial != "" {
		args = append(args, "-e", "/dial "+o.Dial)
	}
	if o.Duration > 0 {
		args = append(args, "-t", strconv.Itoa(int((o.Duration+time.Second-1)/time.Second)))
	}
	p := &Phone{URI: fmt.Sprintf("sip:%s@127.0.0.1:%d", o.Number, port), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = (*lockedWriter)(p), (*lockedWriter)(p)
	// baresip's stdio UI reads the terminal: give it a pipe that stays
	// open (an EOF would quit it).
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("baresip: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // the process this test started, by its pid
		<-p.done
		stdin.Close()
		if t.Failed() {
			t.Logf("baresip %s:\n%s", p.URI, p.Log())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Log(), "baresip is ready") {
		select {
		case <-p.done:
			t.Fatalf("baresip exited: %v\n%s", p.err, p.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip not ready after 10 s:\n%s", p.Log())
		}
	}
	return p
}

type lockedWriter Phone

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(b)
}

// Log returns what baresip printed so far.
func (p *Phone) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Quit asks baresip to quit (SIGTERM, to the process this helper
// started): it hangs up its call with a BYE first. It returns once the
// process ended, or ctx's error.
func (p *Phone) Quit(ctx context.Context) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return p.Wait(ctx)
}

// WriteWAV writes d of a freq Hz sine at amp (0–1 of full scale) as the
// WAV file Options.WAV takes: 16-bit, 48 kHz, stereo.
func WriteWAV(path string, freq, amp float64, d time.Duration) error {
	const rate = 48000
	n := int(d.Seconds() * rate)
	mono := audio.Sine(freq, amp, rate, n)
	stereo := make([]int16, 2*n)
	for i, v := range mono {
		stereo[2*i], stereo[2*i+1] = v, v
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := audio.WriteWAV(f, audio.PCM{Rate: rate, Channels: 2, Samples: stereo}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Wait waits for the process to end (its Duration), up to ctx.
func (p *Phone) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// netnsEnv marks the copy of a test binary that runs inside a
// loopback-only network namespace.
const netnsEnv = "CALLREC_BARESIP_IN_NETNS"

// InLoopbackNamespace reports whether the test runs in a loopback-only
// network namespace, with lo up. When it does not, it re-runs the test
// there (`unshare -n`, as root), reports the outcome and returns false:
// the caller returns at once.
func InLoopbackNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v: %s", err, out)
		}
		return true
	}
	Binary(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		skipOutsideCI(t, "unshare (util-linux) is not installed")
	}
	cmd := exec.Command("unshare", "-n", os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside the loopback-only namespace:\n%s", out)
	switch {
	case err == nil && strings.Contains(string(out), "--- PASS: "+t.Name()):
	case err == nil:
		t.Fatal("the namespaced run did not report a pass")
	case strings.Contains(string(out), "unshare failed"):
		skipOutsideCI(t, "cannot create a network namespace here (needs root)")
	default:
		t.Fatalf("namespaced run: %v", err)
	}
	return false
}

func skipOutsideCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
