package simulate

import (
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// SettingEngine returns the Pion settings of a simulated participant: no
// mDNS, UDP over IPv4 and IPv6, or with loopbackOnly media over 127.0.0.1
// alone (as the server's --ice-loopback-only).
func SettingEngine(loopbackOnly bool) *webrtc.SettingEngine {
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if !loopbackOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
		return &se
	}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return &se
}

// LoopbackSettingEngine is SettingEngine(true): what tests use.
func LoopbackSettingEngine() *webrtc.SettingEngine { return SettingEngine(true) }
