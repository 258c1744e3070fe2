package text_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/text"
)

// textPair returns two text streams over a memory byte pipe.
func textPair(t *testing.T, bufferSize int, opts ...text.Option) (*text.Stream, *text.Stream) {
	t.Helper()
	a, b := memory.NewBytePipe(bufferSize)
	sa, sb := text.NewStream(a, opts...), text.NewStream(b, opts...)
	t.Cleanup(func() { _ = sa.Close(); _ = sb.Close() })
	return sa, sb
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		enc   encoding.Encoding
		items []string
	}{
		{"UTF-8", nil, []string{"hello ", "wörld ", "\u20ac\U0001D11E", strings.Repeat("日本", 3000)}},
		{"Latin-1", charmap.ISO8859_1, []string{"grüß ", "dich, ", "Ærø ÿ", strings.Repeat("\u00e9", 9000)}},
		{"UTF-16LE", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), []string{"a\U0001D11E", "\u20ac", strings.Repeat("\U0001F600x", 3000)}},
		{"UTF-16 with BOM", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), []string{"\uFEFFstarts with U+FEFF", "\uFFFD"}},
		{"Shift_JIS", japanese.ShiftJIS, []string{"日本語", "ｱｲｳ", "abc"}},
		{"ISO-2022-JP", japanese.ISO2022JP, []string{"かな", "x", "漢字"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A small pipe buffer cuts the bytes at arbitrary places.
			sa, sb := textPair(t, 7, text.WithEncoding(tc.enc), text.WithReadSize(5))
			done := make(chan error, 1)
			go func() {
				for _, item := range tc.items {
					if err := sa.Send(context.Background(), item); err != nil {
						done <- err
						return
					}
				}
				done <- sa.CloseWrite()
			}()
			got, err := drain(t, sb)
			require.ErrorIs(t, err, io.EOF)
			require.NoError(t, await(t, done))
			assert.Equal(t, strings.Join(tc.items, ""), got)
		})
	}
}

func TestLatin1OnTheWire(t *testing.T) {
	a, b := memory.NewBytePipe(64)
	s := text.NewStream(a, text.WithEncoding(charmap.ISO8859_1))
	defer s.Close()
	defer b.Close()
	require.NoError(t, b.Send(context.Background(), []byte{'c', 0xE9, 0xFF}))
	got, err := s.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "cé\u00ff", got)
}

func TestCancelledReceiveKeepsBytes(t *testing.T) {
	a, b := memory.NewBytePipe(64)
	defer b.Close()
	h := hook(a)
	s := text.NewStream(h)
	defer s.Close()

	// "ab" and the first two bytes of "€".
	require.NoError(t, b.Send(context.Background(), []byte("ab\xe2\x82")))
	got, err := s.Receive(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ab", got)
	for len(h.entries) > 0 {
		<-h.entries
	}

	// The next Receive holds half a character and blocks for the rest.
	ctx, cancel := context.WithCancel(context.Background())
	res := receiveAsync(ctx, s)
	waitFor(t, h.entries, "Receive to block")
	cancel()
	r := await(t, res)
	require.ErrorIs(t, r.err, context.Canceled)
	require.Empty(t, r.s)

	require.NoError(t, b.Send(context.Background(), []byte("\xacc")))
	got, err = s.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "\u20acc", got, "the bytes held before the cancellation are kept")
}

func TestCancelledBlockedReceive(t *testing.T) {
	a, b := memory.NewBytePipe(64)
	defer b.Close()
	h := hook(a)
	s := text.NewStream(h)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	res := receiveAsync(ctx, s)
	waitFor(t, h.receiving, "Receive to block")
	cancel()
	r := await(t, res)
	require.ErrorIs(t, r.err, context.Canceled)

	require.NoError(t, b.Send(context.Background(), []byte("after")))
	got, err := s.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "after", got)
}

func TestReceiveBusy(t *testing.T) {
	a, b := memory.NewBytePipe(64)
	defer b.Close()
	h := hook(a)
	s := text.NewStream(h)
	defer s.Close()
	res := receiveAsync(context.Background(), s)
	waitFor(t, h.receiving, "Receive to block")

	_, err := s.Receive(context.Background())
	require.ErrorIs(t, err, stream.ErrBusy)
	// Send is independent of Receive.
	require.NoError(t, s.Send(context.Background(), "to b"))

	require.NoError(t, b.Send(context.Background(), []byte("for the first")))
	r := await(t, res)
	require.NoError(t, r.err)
	assert.Equal(t, "for the first", r.s)
}

func TestCloseWakesBlockedCalls(t *testing.T) {
	a, b := memory.NewBytePipe(0)
	defer b.Close()
	h := hook(a)
	s := text.NewStream(h)
	res := receiveAsync(context.Background(), s)
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), "nobody reads") }()
	waitFor(t, h.receiving, "Receive to block")
	waitFor(t, h.sending, "Send to block")

	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { assert.NoError(t, s.Close()) })
	}
	wg.Wait()
	assert.ErrorIs(t, await(t, res).err, stream.ErrClosed)
	assert.ErrorIs(t, await(t, sent), stream.ErrClosed)

	_, err := s.Receive(context.Background())
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.ErrorIs(t, s.Send(context.Background(), "x"), stream.ErrClosed)
	assert.ErrorIs(t, s.CloseWrite(), stream.ErrClosed)
	assert.NoError(t, s.Close())
}

func TestCloseWrite(t *testing.T) {
	sa, sb := textPair(t, 64)
	require.NoError(t, sa.Send(context.Background(), "last words"))
	require.NoError(t, sa.CloseWrite())
	require.NoError(t, sa.CloseWrite(), "idempotent")
	assert.ErrorIs(t, sa.Send(context.Background(), "more"), stream.ErrClosed)

	got, err := drain(t, sb)
	require.Equal(t, io.EOF, err)
	assert.Equal(t, "last words", got)

	// The other direction still works.
	require.NoError(t, sb.Send(context.Background(), "reply"))
	got, err = sa.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "reply", got)
}

func TestAttributes(t *testing.T) {
	a, b := memory.NewBytePipe(8)
	defer b.Close()
	latin1 := text.WithEncoding(charmap.ISO8859_1)
	for name, v := range map[string]stream.AttributeProvider{
		"Stream":   text.NewStream(hook(a), latin1),
		"Receiver": text.NewReceiver(hook(a), latin1),
		"Sender":   text.NewSender(hook(a), latin1),
	} {
		t.Run(name, func(t *testing.T) {
			enc, err := stream.Extra(v, text.EncodingAttr)
			require.NoError(t, err)
			assert.Equal(t, charmap.ISO8859_1, enc)
			inner, err := stream.Extra(v, innerName)
			require.NoError(t, err)
			assert.Equal(t, "hooked", inner, "unknown keys are forwarded")
			_, err = stream.Extra(v, stream.RemoteAddr)
			assert.ErrorIs(t, err, stream.ErrAttributeNotFound)
		})
	}
	enc, err := stream.Extra(text.NewReceiver(a), text.EncodingAttr)
	require.NoError(t, err)
	assert.Equal(t, unicode.UTF8, enc, "UTF-8 by default")
	require.NoError(t, a.Close())
}
