package hub

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestClientIP: the address a connection counts against, with and without
// trusted proxies in front.
func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name    string
		peer    string
		xff     []string // X-Forwarded-For header lines
		trusted []netip.Prefix
		want    string
	}{
		{"NoProxiesIgnoresTheHeader", "192.0.2.7:5000", []string{"198.51.100.1"}, nil, "192.0.2.7"},
		{"UntrustedPeerIgnoresTheHeader", "192.0.2.7:5000", []string{"198.51.100.1"}, proxies, "192.0.2.7"},
		{"TrustedPeerNamesTheClient", "10.1.2.3:5000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"RightmostUntrusted", "10.1.2.3:5000", []string{"203.0.113.9, 198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"SeveralHeaderLines", "10.1.2.3:5000", []string{"203.0.113.9", "198.51.100.1"}, proxies, "198.51.100.1"},
		{"ForgedLeftEntriesDoNotCount", "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"AllTrustedIsTheLeftmost", "10.1.2.3:5000", []string{"10.0.0.1, 10.0.0.2"}, proxies, "10.0.0.1"},
		{"NoHeaderIsThePeer", "10.1.2.3:5000", nil, proxies, "10.1.2.3"},
		{"GarbageStopsTheWalk", "10.1.2.3:5000", []string{"198.51.100.1, not-an-ip"}, proxies, "10.1.2.3"},
		{"IPv6Peer", "[::1]:5000", []string{"2001:db8::5"}, proxies, "2001:db8::5"},
		{"MappedIPv4", "10.1.2.3:5000", []string{"::ffff:198.51.100.1"}, proxies, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ws", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tc.want, clientIP(r, tc.trusted))
		})
	}
}
