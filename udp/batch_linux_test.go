package udp

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useLoops switches the batch calls to the portable loops (or back to
// recvmmsg and sendmmsg) for the rest of the test.
func useLoops(t *testing.T, on bool) {
	forceLoop = on
	t.Cleanup(func() { forceLoop = false })
}

func TestZoneCacheNamesScopeOnce(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no loopback interface named lo:", err)
	}
	var z zoneCache
	require.Equal(t, "lo", z.name(lo.Index))
	if !raceEnabled {
		assert.Zero(t, testing.AllocsPerRun(100, func() { z.name(lo.Index) }), "a cached scope is named without asking the kernel")
	}
	z.at = z.at.Add(-zoneCacheTTL)
	before := z.at
	require.Equal(t, "lo", z.name(lo.Index))
	assert.True(t, z.at.After(before), "a name older than the TTL is looked up again")
	assert.Equal(t, "2147483000", z.name(2147483000), "an interface that is gone is named by its number")
}

// TestLinkLocalBatch receives a batch from a link-local peer, whose address
// carries its zone, without allocating. It needs an interface with a
// link-local IPv6 address.
func TestLinkLocalBatch(t *testing.T) {
	addr, zone := linkLocal(t)
	ctx := context.Background()
	server, err := Listen(ctx, netip.AddrPortFrom(addr.WithZone(zone), 0).String())
	require.NoError(t, err)
	defer server.Close()
	client, err := Connect(ctx, server.LocalAddr().String())
	require.NoError(t, err)
	defer client.Close()

	in := []Packet{{Data: make([]byte, 64)}}
	exchange := func() {
		if err := client.Send(ctx, []byte("hi")); err != nil {
			panic(err)
		}
		if _, err := server.ReceiveBatch(ctx, in); err != nil {
			panic(err)
		}
	}
	exchange()
	assert.Equal(t, "hi", string(in[0].Data))
	assert.Equal(t, zone, in[0].Addr.Addr().Zone())
	assert.Equal(t, client.LocalAddr().Port(), in[0].Addr.Port())
	if !raceEnabled {
		assert.Zero(t, testing.AllocsPerRun(100, exchange))
	}
}

// linkLocal returns a link-local IPv6 address of an interface that is up,
// and the interface's name, or skips the test.
func linkLocal(t *testing.T) (netip.Addr, string) {
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
				return p.Addr(), ifi.Name
			}
		}
	}
	t.Skip("no interface with a link-local IPv6 address")
	return netip.Addr{}, ""
}
