package stream

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stapledPipes returns two stapled streams joined by two net.Pipes, one per
// direction.
func stapledPipes(t *testing.T) (a, b *StapledByteStream) {
	ab1, ab2 := net.Pipe()
	ba1, ba2 := net.Pipe()
	a = &StapledByteStream{Sender: FromNetConn(ab1), Receiver: FromNetConn(ba2)}
	b = &StapledByteStream{Sender: FromNetConn(ba1), Receiver: FromNetConn(ab2)}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestStapledByteStream(t *testing.T) {
	a, b := stapledPipes(t)
	ctx := context.Background()
	var _ ByteStream = a

	sent := make(chan error)
	go func() { sent <- a.Send(ctx, []byte("to b")) }()
	buf := make([]byte, 4)
	_, err := io.ReadFull(Reader(ctx, b), buf)
	require.NoError(t, err)
	assert.Equal(t, "to b", string(buf))
	require.NoError(t, <-sent)

	// CloseWrite ends a's sending direction only.
	require.NoError(t, a.CloseWrite())
	n, err := b.Receive(ctx, buf)
	assert.Equal(t, 0, n)
	assert.Same(t, io.EOF, err)
	assert.ErrorIs(t, a.Send(ctx, []byte("x")), ErrClosed)
	go func() { _ = b.Send(ctx, []byte("to a")) }()
	_, err = io.ReadFull(Reader(ctx, a), buf)
	require.NoError(t, err)
	assert.Equal(t, "to a", string(buf))

	require.NoError(t, a.Close())
	_, err = a.Receive(ctx, buf)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestStapledByteStreamBusy(t *testing.T) {
	a, _ := stapledPipes(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- a.Send(ctx, []byte("blocked")) }() // net.Pipe: nobody reads
	time.Sleep(10 * time.Millisecond)                      // let Send block
	assert.ErrorIs(t, a.Send(context.Background(), []byte("x")), ErrBusy)
	assert.ErrorIs(t, a.CloseWrite(), ErrBusy)
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.NoError(t, a.CloseWrite(), "busy is not sticky")
}

func TestStapledExtraReceiverWins(t *testing.T) {
	both := NewAttribute[string]("both")
	onlySend := NewAttribute[string]("only send")
	s := &StapledByteStream{
		Sender:   attrStream{m: map[any]any{both: "sender", onlySend: "sender"}},
		Receiver: attrStream{m: map[any]any{both: "receiver"}},
	}
	assert.Equal(t, "receiver", ExtraOr(s, both, ""))
	assert.Equal(t, "sender", ExtraOr(s, onlySend, ""))
	o := StapledObjectStream[int]{Sender: attrObjects{attrStream{m: map[any]any{both: "sender"}}}, Receiver: attrObjects{attrStream{m: map[any]any{both: "receiver"}}}}
	assert.Equal(t, "receiver", ExtraOr(o, both, ""))
	_, err := Extra(o, onlySend)
	assert.ErrorIs(t, err, ErrAttributeNotFound)
}

// attrStream is a ByteStream that only answers attributes and counts closes.
type attrStream struct {
	ByteStream
	m      map[any]any
	closes *int
}

func (s attrStream) Extra(key any) (any, bool) {
	v, ok := s.m[key]
	return v, ok
}

func (s attrStream) Close() error {
	*s.closes++
	return nil
}

type attrObjects struct{ attrStream }

func (attrObjects) Send(context.Context, int) error      { return nil }
func (attrObjects) Receive(context.Context) (int, error) { return 0, nil }

func TestStapledObjectStream(t *testing.T) {
	sendCh, recvCh := make(chan int, 1), make(chan int, 1)
	var sc, rc int
	s := StapledObjectStream[int]{
		Sender:   chanObjects{ch: sendCh, attrStream: attrStream{closes: &sc}},
		Receiver: chanObjects{ch: recvCh, attrStream: attrStream{closes: &rc}},
	}
	var _ ObjectStream[int] = s
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, 1))
	assert.Equal(t, 1, <-sendCh)
	recvCh <- 2
	v, err := s.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	require.NoError(t, s.CloseWrite())
	assert.Equal(t, []int{1, 0}, []int{sc, rc}, "CloseWrite closes the sender only")
	require.NoError(t, s.Close())
	assert.Equal(t, []int{2, 1}, []int{sc, rc})
}

type chanObjects struct {
	attrStream
	ch chan int
}

func (c chanObjects) Send(_ context.Context, v int) error  { c.ch <- v; return nil }
func (c chanObjects) Receive(context.Context) (int, error) { return <-c.ch, nil }
