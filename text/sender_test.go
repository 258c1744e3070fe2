package text_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/memory"
	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/text"
)

// wire returns a text.Sender over one end of a buffered memory pipe and the
// raw other end.
func wire(t *testing.T, opts ...text.Option) (*text.Sender, *memory.BytePipeEnd) {
	t.Helper()
	a, b := memory.NewBytePipe(1 << 20)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return text.NewSender(a, opts...), b
}

// rawAll closes the sender's side for writing and reads every byte the raw
// end got.
func rawAll(t *testing.T, s *text.Sender, raw *memory.BytePipeEnd) []byte {
	t.Helper()
	require.NoError(t, s.Close())
	b, err := io.ReadAll(stream.Reader(context.Background(), raw))
	require.NoError(t, err)
	return b
}

func TestSendEncodes(t *testing.T) {
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	cases := []struct {
		name  string
		enc   encoding.Encoding
		items []string
		want  []byte
	}{
		{"UTF-8", nil, []string{"h\u00e9", "", "\U0001D11E"}, []byte("h\u00e9\U0001D11E")},
		{"Latin-1", charmap.ISO8859_1, []string{"grüß", "!"}, []byte("gr\xfc\xdf!")},
		{"UTF-16 BOM once", utf16be, []string{"a", "\U0001D11E"}, []byte{0xFE, 0xFF, 0, 'a', 0xD8, 0x34, 0xDD, 0x1E}},
		{"Shift_JIS", japanese.ShiftJIS, []string{"日本", "ｱ"}, []byte{0x93, 0xfa, 0x96, 0x7b, 0xb1}},
		// Each string is sent whole, back to ASCII mode at its end.
		{"ISO-2022-JP", japanese.ISO2022JP, []string{"か", "b"}, []byte("\x1b$B$+\x1b(Bb")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, raw := wire(t, text.WithEncoding(tc.enc))
			for _, item := range tc.items {
				require.NoError(t, s.Send(context.Background(), item))
			}
			assert.Equal(t, tc.want, rawAll(t, s, raw))
		})
	}
}

// A string refused for a rune the encoding lacks leaves a stateful encoder
// as the peer knows it: the strings sent after it decode as sent.
func TestSendRefusedItemKeepsShiftState(t *testing.T) {
	for name, enc := range map[string]encoding.Encoding{
		"HZ":          simplifiedchinese.HZGB2312,
		"ISO-2022-JP": japanese.ISO2022JP,
		"Shift_JIS":   japanese.ShiftJIS,
	} {
		t.Run(name, func(t *testing.T) {
			s, raw := wire(t, text.WithEncoding(enc))
			require.NoError(t, s.Send(context.Background(), "a"))
			var encErr *text.EncodeError
			err := s.Send(context.Background(), "中文😀x")
			if name != "UTF-16 BOM" {
				require.ErrorAs(t, err, &encErr)
				assert.Equal(t, len("中文"), encErr.Offset)
			}
			require.NoError(t, s.Send(context.Background(), "文b"))
			got, err := enc.NewDecoder().Bytes(rawAll(t, s, raw))
			require.NoError(t, err)
			want := "a文b"
			if err == nil && name == "UTF-16 BOM" {
				want = "a中文😀x文b" // UTF-16 has every rune
			}
			assert.Equal(t, want, string(got))
		})
	}
}

func TestSendLargeItem(t *testing.T) {
	big := strings.Repeat("ab\u00e9\u20ac\U0001D11E", 20000) // 240 KB: several pieces
	for _, enc := range []encoding.Encoding{unicode.UTF8, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)} {
		s, raw := wire(t, text.WithEncoding(enc))
		require.NoError(t, s.Send(context.Background(), big))
		got, err := enc.NewDecoder().Bytes(rawAll(t, s, raw))
		require.NoError(t, err)
		assert.Equal(t, big, string(got))
	}
}

func TestSendStrictRefusesWholeItem(t *testing.T) {
	cases := []struct {
		name   string
		enc    encoding.Encoding
		item   string
		r      rune
		offset int
		inval  bool
	}{
		{"Latin-1 lacks the rune", charmap.ISO8859_1, "ab世c", '世', 2, false},
		{"Latin-1 lacks it late in a long item", charmap.ISO8859_1, strings.Repeat("é", 5000) + "€", '€', 10000, false},
		{"Shift_JIS lacks the rune", japanese.ShiftJIS, "日本\U0001F600", '\U0001F600', 6, false},
		{"ISO-2022-JP mid shift state", japanese.ISO2022JP, "かな\u00e9", '\u00e9', 6, false},
		{"UTF-8 invalid", nil, "ok\xffno", 0xFFFD, 2, true},
		{"Latin-1 invalid UTF-8", charmap.ISO8859_1, "é\xc3", 0xFFFD, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, raw := wire(t, text.WithEncoding(tc.enc))
			err := s.Send(context.Background(), tc.item)
			var ee *text.EncodeError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tc.r, ee.Rune)
			assert.Equal(t, tc.offset, ee.Offset)
			assert.Equal(t, tc.inval, errors.Is(err, encoding.ErrInvalidUTF8))
			assert.True(t, strings.HasPrefix(err.Error(), "text: send: "), err.Error())

			// Nothing of the refused item went; the sender still works
			// and its encoder is back in its initial state.
			require.NoError(t, s.Send(context.Background(), "ok"))
			assert.Equal(t, []byte("ok"), rawAll(t, s, raw))
		})
	}
}

func TestSendStrictFailureKeepsByteOrderMark(t *testing.T) {
	enc := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	s, raw := wire(t, text.WithEncoding(enc))
	require.Error(t, s.Send(context.Background(), "a\xff"))
	require.NoError(t, s.Send(context.Background(), "b"))
	assert.Equal(t, []byte{0xFF, 0xFE, 'b', 0}, rawAll(t, s, raw))
}

func TestSendReplacement(t *testing.T) {
	cases := []struct {
		name string
		enc  encoding.Encoding
		item string
		want []byte
	}{
		{"Latin-1 substitute byte", charmap.ISO8859_1, "a世b", []byte("a\x1ab")},
		{"UTF-8 invalid bytes", nil, "a\xffb\xe2\x82c", []byte("a\uFFFDb\uFFFDc")},
		{"Latin-1 invalid UTF-8", charmap.ISO8859_1, "a\xffb", []byte("a\x1ab")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, raw := wire(t, text.WithEncoding(tc.enc), text.WithReplacement())
			require.NoError(t, s.Send(context.Background(), tc.item))
			assert.Equal(t, tc.want, rawAll(t, s, raw))
		})
	}
}

func TestSenderBreaksAfterFailedSend(t *testing.T) {
	a, b := memory.NewBytePipe(0)
	defer a.Close()
	s := text.NewSender(a)
	cause := errors.New("peer vanished")
	require.NoError(t, b.CloseWithError(cause))

	err := s.Send(context.Background(), "x")
	require.ErrorIs(t, err, cause)
	assert.True(t, strings.HasPrefix(err.Error(), "text: send: "), err.Error())

	err = s.Send(context.Background(), "y")
	require.ErrorIs(t, err, stream.ErrBroken)
	require.ErrorIs(t, err, cause)

	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.Send(context.Background(), "z"), stream.ErrClosed, "close takes precedence")
}

func TestSendCancelled(t *testing.T) {
	t.Run("already cancelled sends nothing and breaks nothing", func(t *testing.T) {
		s, raw := wire(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, s.Send(ctx, "lost"), context.Canceled)
		require.NoError(t, s.Send(context.Background(), "kept"))
		assert.Equal(t, []byte("kept"), rawAll(t, s, raw))
	})
	t.Run("cancelled while blocked breaks the sender", func(t *testing.T) {
		a, b := memory.NewBytePipe(0)
		defer b.Close()
		h := hook(a)
		s := text.NewSender(h)
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Send(ctx, "never read") }()
		waitFor(t, h.sending, "Send to block")
		cancel()
		require.ErrorIs(t, await(t, done), context.Canceled)
		err := s.Send(context.Background(), "x")
		assert.ErrorIs(t, err, stream.ErrBroken)
		assert.NotErrorIs(t, err, context.Canceled, "a later Send was not cancelled itself")
	})
}

func TestSendBusy(t *testing.T) {
	a, b := memory.NewBytePipe(0)
	defer b.Close()
	h := hook(a)
	st := text.NewStream(h)
	done := make(chan error, 1)
	go func() { done <- st.Send(context.Background(), "blocked") }()
	waitFor(t, h.sending, "Send to block")

	assert.ErrorIs(t, st.Send(context.Background(), "second"), stream.ErrBusy)
	assert.ErrorIs(t, st.CloseWrite(), stream.ErrBusy)

	got, err := drainN(t, b, len("blocked"))
	require.NoError(t, err)
	assert.Equal(t, "blocked", got)
	require.NoError(t, await(t, done))
	require.NoError(t, st.Close())
}

// drainN reads exactly n raw bytes from r.
func drainN(t *testing.T, r stream.ByteReceiver, n int) (string, error) {
	t.Helper()
	buf := make([]byte, n)
	_, err := io.ReadFull(stream.Reader(context.Background(), r), buf)
	return string(buf), err
}
