package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec"
	"github.com/callrec/callrec/ingest/rtcrecv"
)

// Config configures a Server.
type Config struct {
	// Calls records joins and leaves and says whether a call exists and is
	// active. Required.
	Calls callrec.CallService
	// AccessKey is the service's access key (decoded bytes). Join tokens
	// are signed and verified with a key derived from it. Required.
	AccessKey []byte
	// ICE says where WebRTC media may flow.
	ICE ICEConfig
	// Latency is the reorder window: how long a packet may wait for a
	// missing predecessor. Zero means 120 ms.
	Latency time.Duration
	// Registerer receives the ingest metrics. Nil means a registry of the
	// server's own, served by MetricsHandler.
	Registerer prometheus.Registerer
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// ICEConfig is the network side of WebRTC: which local addresses media uses
// and which addresses are advertised. The zero value uses every interface,
// as a deployed server does; tests use LoopbackOnly.
type ICEConfig struct {
	// LoopbackOnly gathers and accepts only 127.0.0.1 (UDP4), for tests and
	// single-host setups.
	LoopbackOnly bool
	// Interfaces, if set, limits gathering to these interface names.
	Interfaces []string
	// UDPPortMin and UDPPortMax, if set, bound the ephemeral UDP ports.
	UDPPortMin, UDPPortMax uint16
	// PublicIPs are advertised instead of the host's addresses (a 1:1 NAT,
	// such as a cloud VM's public IP).
	PublicIPs []string
	// DisconnectedTimeout and FailedTimeout override ICE's consent
	// timeouts (defaults 5 s and 25 s). On the server, FailedTimeout is how
	// long a connected publisher may send nothing (browsers check consent
	// every 5 s) before its session ends as a DELETE would;
	// DisconnectedTimeout applies to Pion clients (SettingEngine) only.
	DisconnectedTimeout, FailedTimeout time.Duration
}

// LoopbackICE is the ICE configuration tests use: media only over
// 127.0.0.1, no mDNS.
func LoopbackICE() ICEConfig { return ICEConfig{LoopbackOnly: true} }

// SettingEngine builds the Pion SettingEngine for c. Clients in tests (the
// simulator) use it too, so both ends agree.
func (c ICEConfig) SettingEngine() (webrtc.SettingEngine, error) {
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if c.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
		if len(c.Interfaces) > 0 {
			allowed := slices.Clone(c.Interfaces)
			se.SetInterfaceFilter(func(name string) bool { return slices.Contains(allowed, name) })
		}
	}
	if c.UDPPortMin != 0 || c.UDPPortMax != 0 {
		if err := se.SetEphemeralUDPPortRange(c.UDPPortMin, c.UDPPortMax); err != nil {
			return se, fmt.Errorf("ICE UDP port range %d–%d: %w", c.UDPPortMin, c.UDPPortMax, err)
		}
	}
	if len(c.PublicIPs) > 0 {
		for _, ip := range c.PublicIPs {
			if net.ParseIP(ip) == nil {
				return se, fmt.Errorf("ICE public IP %q is not an IP address", ip)
			}
		}
		rule := webrtc.ICEAddressRewriteRule{External: slices.Clone(c.PublicIPs), AsCandidateType: webrtc.ICECandidateTypeHost}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			return se, fmt.Errorf("ICE public IPs: %w", err)
		}
	}
	if c.DisconnectedTimeout > 0 || c.FailedTimeout > 0 {
		disconnected, failed := c.DisconnectedTimeout, c.FailedTimeout
		if disconnected <= 0 {
			disconnected = 5 * time.Second
		}
		if failed <= 0 {
			failed = 25 * time.Second
		}
		se.SetICETimeouts(disconnected, failed, 2*time.Second)
	}
	return se, nil
}

// mediaPollInterval is how long a media worker sleeps between drains of
// its sockets.
const mediaPollInterval = 20 * time.Millisecond

// endpointConfig is the server side of c: the media endpoint's sockets.
func (c ICEConfig) endpointConfig(log *slog.Logger) rtcrecv.Config {
	return rtcrecv.Config{
		LoopbackOnly:   c.LoopbackOnly,
		Interfaces:     slices.Clone(c.Interfaces),
		UDPPortMin:     c.UDPPortMin,
		UDPPortMax:     c.UDPPortMax,
		PublicIPs:      slices.Clone(c.PublicIPs),
		PollInterval:   mediaPollInterval,
		ConsentTimeout: c.FailedTimeout,
		Logger:         log,
	}
}

func (c *Config) validate() error {
	if c.Calls == nil {
		return errors.New("ingest: Config.Calls is required")
	}
	if len(c.AccessKey) == 0 {
		return errors.New("ingest: Config.AccessKey is required")
	}
	if c.Latency <= 0 {
		c.Latency = time.Duration(defaultLatency) * time.Second / callrec.SampleRate
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
