package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/callmedia"
	"github.com/callrec/callrec/mediarecv"
)

// Calls is what the endpoint needs of the call service: whether a call
// exists and is active, and to record joins and leaves.
// callrec.CallService implements it.
type Calls interface {
	Call(ctx context.Context, id string) (*callrec.Call, error)
	JoinParticipant(ctx context.Context, callID, rawID string) error
	LeaveParticipant(ctx context.Context, callID, rawID string) error
}

// Defaults.
const (
	DefaultAddr     = "127.0.0.1:5060"
	DefaultRTPPorts = "20000-20999"
)

// Config configures an Endpoint.
type Config struct {
	// Addr is the host:port SIP listens on, UDP and TCP alike. Port 0
	// picks a free port (tests).
	Addr string
	// PublicAddr is the host (an IP address) or host:port written into
	// Contact headers and SDP (c=) when they differ from Addr's: behind NAT.
	// Required when Addr's host is unspecified (0.0.0.0 or ::).
	PublicAddr string
	// RTPPorts is the range of UDP ports of media legs, "first-last"
	// [DefaultRTPPorts]. Each leg takes an even port (RTP's convention).
	RTPPorts string
	// Hub is the call media core legs publish into. Required.
	Hub *callmedia.Hub
	// Redirect, if set, names the SIP address (host:port) of the node
	// that hosts a call hosted elsewhere (several nodes sharing one
	// database): an INVITE for it is answered 302 with that Contact.
	Redirect func(ctx context.Context, callID string) (addr string, ok bool)
	// Calls says whether a call is active and records joins and leaves.
	// Required.
	Calls Calls
	// Incoming rings applications: an INVITE that names no call and that
	// the routes send to IncomingCall waits for its decision. Nil: such
	// INVITEs get 404.
	Incoming Ringer
	// Routes narrow which Request-URI users ring and which join a call
	// directly (see Route). None: every user that is not a serverCallId
	// rings.
	Routes []Route
	// RingTimeout is how long a ringing caller waits for an application's
	// decision before 480 [DefaultRingTimeout].
	RingTimeout time.Duration
	// RingingFile keeps the INVITEs that ring (a JSON list), so that after
	// a crash the next start answers them 480 instead of leaving their
	// callers waiting; empty: not kept.
	RingingFile string
	// Trunk is the host[:port] that phone numbers are reached through
	// (redirects to a number, createCall and addParticipant to one); empty:
	// calls to numbers are refused, redirects go to a tel: URI.
	Trunk string
	// TLSAddr, when set, is the host:port SIP also listens on over TLS
	// (transport=tls) with the certificate of TLS (required with it);
	// port 0 picks a free port (tests).
	TLSAddr string
	TLS     *tls.Config
	// TrunkUser and TrunkPassword answer the trunk's digest challenge
	// (401 or 407) to callrec's INVITEs through it; empty: none is
	// answered.
	TrunkUser, TrunkPassword string
	// Users, when any, must authenticate with digest credentials (RFC
	// 8760: SHA-256 or MD5) to call the endpoint (every INVITE that opens a
	// dialog, SIPREC's too) and may REGISTER; a registered user is dialled
	// at its Contact (sip:<user>@<callrec's host>). None: no credentials
	// are asked and REGISTER is not allowed (405).
	Users []User
	// AuthAlgorithms are the digest algorithms offered to Users, in order
	// of preference: "SHA-256", "MD5" [DefaultAuthAlgorithms]. Phones
	// that read only the first challenge and know only MD5 (baresip 1.0)
	// need MD5 first, or alone.
	AuthAlgorithms []string
	// MediaTimeout is how long a leg that is not on hold may go without
	// RTP before callrec hangs it up with a BYE (a phone that vanished
	// without one) [DefaultMediaTimeout].
	MediaTimeout time.Duration
	// Receive is the pool of receive workers that read the legs' RTP and
	// RTCP sockets, shared with the other transports' participants (one
	// pool places every participant by measured cost). Nil: the endpoint
	// starts a pool of its own and closes it with the endpoint.
	Receive *mediarecv.Pool
	// Registerer takes the endpoint's metrics (legs, packets, loss); nil
	// means none.
	Registerer prometheus.Registerer
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultMediaTimeout is Config.MediaTimeout's default.
const DefaultMediaTimeout = time.Minute

// tickEvery is how often a leg's stream lets time pass (releases packets,
// fills pauses); a leg's socket read waits no longer.
const tickEvery = 20 * time.Millisecond

// frameDelay bounds how late a leg delivers a frame after the wall time
// of its call-clock position: its reorder window, one frame and one tick.
func frameDelay(window int64) time.Duration {
	return time.Duration(window)*time.Second/callrec.SampleRate + time.Second/50 + tickEvery
}

// parsed is a validated Config.
type parsed struct {
	Config
	listen            netip.AddrPort
	public            netip.Addr // the media address in SDP
	publicHost        string     // the host in Contact
	publicPort        int        // 0: the listening port
	rtpFirst, rtpLast int
	mediaTimeout      time.Duration
	ringTimeout       time.Duration
}

func (c Config) parse() (*parsed, error) {
	p := &parsed{Config: c}
	if c.Hub == nil || c.Calls == nil {
		return nil, errors.New("sip: Config.Hub and Config.Calls are required")
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	p.mediaTimeout = c.MediaTimeout
	if p.mediaTimeout <= 0 {
		p.mediaTimeout = DefaultMediaTimeout
	}
	p.ringTimeout = c.RingTimeout
	if p.ringTimeout <= 0 {
		p.ringTimeout = DefaultRingTimeout
	}
	listen, err := netip.ParseAddrPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("sip: address %q: want ip:port (%v)", c.Addr, err)
	}
	p.listen = listen
	p.public, p.publicHost = listen.Addr(), listen.Addr().String()
	if c.PublicAddr != "" {
		host, port, err := net.SplitHostPort(c.PublicAddr)
		if err != nil {
			host, port = c.PublicAddr, ""
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("sip: public address %q: the host must be an IP address (it goes into SDP)", c.PublicAddr)
		}
		p.public, p.publicHost = ip, ip.String()
		if port != "" {
			if p.publicPort, err = strconv.Atoi(port); err != nil || p.publicPort <= 0 || p.publicPort > 65535 {
				return nil, fmt.Errorf("sip: public address %q: bad port", c.PublicAddr)
			}
		}
	}
	if p.public.IsUnspecified() {
		return nil, fmt.Errorf("sip: listening on %s needs a public address (--sip-public-addr) for Contact and SDP", c.Addr)
	}
	if p.public.Is6() {
		p.publicHost = "[" + p.publicHost + "]"
	}
	if c.TLSAddr != "" && (c.TLS == nil || len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil) {
		return nil, errors.New("sip: a TLS address needs a certificate and key (--sip-tls-cert, --sip-tls-key)")
	}
	for _, a := range c.AuthAlgorithms {
		if a != "SHA-256" && a != "MD5" {
			return nil, fmt.Errorf("sip: digest algorithm %q: want SHA-256 or MD5", a)
		}
	}
	ports := c.RTPPorts
	if ports == "" {
		ports = DefaultRTPPorts
	}
	if p.rtpFirst, p.rtpLast, err = parsePortRange(ports); err != nil {
		return nil, err
	}
	if err := c.Hub.Budget().CheckPublisher("sip", frameDelay(reorderWindow), frameDelay(maxWindow)); err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	return p, nil
}

func parsePortRange(s string) (first, last int, err error) {
	a, b, ok := cutDash(s)
	if ok {
		first, err = strconv.Atoi(a)
		if err == nil {
			last, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || first < 1024 || last > 65535 || last < first+1 {
		return 0, 0, fmt.Errorf("sip: RTP port range %q: want first-last, within 1024-65535, at least two ports", s)
	}
	return first, last, nil
}

func cutDash(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '-' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}
