package stream

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attrMap provides attributes from a map.
type attrMap map[any]any

func (m attrMap) Extra(key any) (any, bool) {
	v, ok := m[key]
	return v, ok
}

func TestExtra(t *testing.T) {
	name := NewAttribute[string]("name")
	addr := &net.TCPAddr{Port: 80}
	p := attrMap{name: "x", LocalAddr: addr, RemotePort: "not an int"}

	v, err := Extra(p, name)
	require.NoError(t, err)
	assert.Equal(t, "x", v)
	a, err := Extra(p, LocalAddr)
	require.NoError(t, err)
	assert.Same(t, addr, a)

	_, err = Extra(p, RemoteAddr)
	assert.ErrorIs(t, err, ErrAttributeNotFound)
	assert.Contains(t, err.Error(), "remote address", "the error names the attribute")
	_, err = Extra(p, RemotePort)
	assert.ErrorIs(t, err, ErrAttributeNotFound, "a value of the wrong type is not found")
	_, err = Extra(nil, name)
	assert.ErrorIs(t, err, ErrAttributeNotFound)
	_, err = Extra(42, name)
	assert.ErrorIs(t, err, ErrAttributeNotFound)

	assert.Equal(t, "x", ExtraOr(p, name, "def"))
	assert.Equal(t, 7, ExtraOr(p, RemotePort, 7))
	assert.Equal(t, "def", ExtraOr(nil, name, "def"))
	assert.Equal(t, "name", name.String())
}

func TestForwardExtra(t *testing.T) {
	_, ok := ForwardExtra(nil, LocalAddr)
	assert.False(t, ok)
	var nilMap attrMap
	_, ok = ForwardExtra(nilMap, LocalAddr)
	assert.False(t, ok)
}
