package text_test

import (
	"context"
	"errors"
	"fmt"
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
	"golang.org/x/text/transform"

	"github.com/anyio-go/anyio/stream"
	"github.com/anyio-go/anyio/text"
)

// mixed has characters of every UTF-8 length: 1, 2, 3 and 4 bytes.
const mixed = "a\u00e9\u20ac\U0001D11Ez"

// encode encodes s in enc, failing the test on error.
func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

// checkEverySplit decodes wire cut at every single position, at every pair
// of positions, and byte by byte, expecting want and then io.EOF each time.
func checkEverySplit(t *testing.T, wire []byte, want string, opts ...text.Option) {
	t.Helper()
	check := func(name string, parts [][]byte) {
		t.Helper()
		got, err := drain(t, text.NewReceiver(chunks(parts...), opts...))
		require.ErrorIs(t, err, io.EOF, name)
		require.Equal(t, want, got, name)
	}
	for i := 0; i <= len(wire); i++ {
		check(fmt.Sprintf("cut at %d", i), splitAt(wire, i))
		for j := i; j <= len(wire); j++ {
			check(fmt.Sprintf("cut at %d and %d", i, j), splitAt(wire, i, j))
		}
	}
	check("byte at a time", byteAtATime(wire))
}

func TestDecodeSplitCharacters(t *testing.T) {
	cases := []struct {
		name string
		enc  encoding.Encoding
		text string
	}{
		{"UTF-8 default", nil, mixed + "\uFFFD" + mixed},
		{"UTF-8 explicit", unicode.UTF8, mixed},
		{"UTF-16LE surrogate pairs", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "a\U0001D11E\u20ac\U0001F600b"},
		{"UTF-16BE surrogate pairs", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "\U0001D11Ea\uFFFD\U0001F600"},
		{"UTF-16 with BOM", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "\U0001D11E\u00e9x"},
		{"Shift_JIS double-byte", japanese.ShiftJIS, "日本語ｱa漢字"},
		{"GB18030 four-byte", simplifiedchinese.GB18030, "a\U0001F600中\uFFFD"},
		{"ISO-2022-JP escapes", japanese.ISO2022JP, "aかな漢字b"},
		{"Latin-1", charmap.ISO8859_1, "grüß dich"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.enc
			if enc == nil {
				enc = unicode.UTF8
			}
			checkEverySplit(t, encode(t, enc, tc.text), tc.text, text.WithEncoding(tc.enc))
		})
	}
}

func TestDecodeAcrossFullReads(t *testing.T) {
	// Reads of the full default size end inside characters again and again.
	long := strings.Repeat("a\u00e9\u20ac\U0001D11E日本ｱ", 3000)
	for _, enc := range []encoding.Encoding{unicode.UTF8, japanese.ShiftJIS, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)} {
		t.Run(fmt.Sprint(enc), func(t *testing.T) {
			want := long
			if enc == japanese.ShiftJIS {
				want = strings.NewReplacer("\u00e9", "", "\u20ac", "", "\U0001D11E", "").Replace(long)
			}
			for _, replace := range []bool{false, true} {
				opts := []text.Option{text.WithEncoding(enc)}
				if replace {
					opts = append(opts, text.WithReplacement())
				}
				got, err := drain(t, text.NewReceiver(chunks(encode(t, enc, want)), opts...))
				require.ErrorIs(t, err, io.EOF)
				require.Equal(t, want, got)
			}
		})
	}
}

func TestReceiveWaitsForWholeCharacter(t *testing.T) {
	// One Receive reads on through three partial reads rather than
	// returning "".
	src := chunks([]byte{0xE2}, []byte{0x82}, []byte{0xAC}, []byte("!"))
	r := text.NewReceiver(src)
	s, err := r.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "\u20ac", s)
	assert.Equal(t, 3, src.calls)

	// A byte-order mark decodes to nothing: Receive reads on past it.
	bom := chunks([]byte{0xFF, 0xFE}, []byte{'h', 0})
	r = text.NewReceiver(bom, text.WithEncoding(unicode.UTF16(unicode.BigEndian, unicode.UseBOM)))
	s, err = r.Receive(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "h", s)
}

func TestDecodeErrorOffset(t *testing.T) {
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	long := strings.Repeat("ü", 40) // 80 bytes: several reads of 16
	cases := []struct {
		name   string
		enc    encoding.Encoding
		wire   []byte
		before string
		offset int64
		bad    []byte
	}{
		{"UTF-8 stray byte", nil, []byte("abc\xffdef"), "abc", 3, []byte{0xFF}},
		{"UTF-8 broken sequence", nil, []byte("\u20ac\xe2\x82x"), "\u20ac", 3, []byte{0xE2, 0x82}},
		{"UTF-8 surrogate", nil, []byte("ok\xed\xa0\x80"), "ok", 2, []byte{0xED}},
		{"UTF-8 after several reads", nil, []byte(long + "\xc0\xaf"), long, 80, []byte{0xC0}},
		{"Shift_JIS bad trail byte", japanese.ShiftJIS, append(encode(t, japanese.ShiftJIS, "日本"), 0x81, 0x20, 'x'), "日本", 4, []byte{0x81}},
		{"UTF-16LE unpaired surrogate", utf16le, append(encode(t, utf16le, "ab"), 0x00, 0xD8, 'c', 0), "ab", 4, []byte{0x00, 0xD8}},
		{"ISO-2022-JP bad byte in JIS mode", japanese.ISO2022JP, append(encode(t, japanese.ISO2022JP, "aかな")[:6], 0x7F, 0x7F), "aか", 6, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for cut := 0; cut <= len(tc.wire); cut++ {
				r := text.NewReceiver(chunks(splitAt(tc.wire, cut)...), text.WithEncoding(tc.enc), text.WithReadSize(16))
				got, err := drain(t, r)
				require.Equal(t, tc.before, got, "cut at %d", cut)
				var de *text.DecodeError
				require.ErrorAs(t, err, &de, "cut at %d", cut)
				assert.Equal(t, tc.offset, de.Offset, "cut at %d", cut)
				if tc.bad != nil {
					assert.Equal(t, tc.bad, de.Bytes, "cut at %d", cut)
				}
				assert.NoError(t, de.Err)
				assert.False(t, isBroken(err), "the first report is the DecodeError itself")
				assert.Contains(t, err.Error(), fmt.Sprintf("offset %d", tc.offset))
			}
		})
	}
}

func TestDecodeErrorIsSticky(t *testing.T) {
	src := chunks([]byte("ok\xff"), []byte("more text"))
	r := text.NewReceiver(src)
	s, err := r.Receive(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", s)

	_, first := r.Receive(context.Background())
	var de *text.DecodeError
	require.ErrorAs(t, first, &de)
	assert.Equal(t, int64(2), de.Offset)

	for range 3 {
		_, err := r.Receive(context.Background())
		require.True(t, isBroken(err), "later Receives wrap stream.ErrBroken: %v", err)
		var again *text.DecodeError
		require.ErrorAs(t, err, &again)
		assert.Same(t, de, again)
	}
	assert.Equal(t, 1, src.calls, "nothing is read after the error")
}

func TestLegitimateReplacementCharacterIsNotAnError(t *testing.T) {
	for _, enc := range []encoding.Encoding{
		unicode.UTF8,
		unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		unicode.UTF16(unicode.LittleEndian, unicode.UseBOM),
		simplifiedchinese.GB18030,
	} {
		t.Run(fmt.Sprint(enc), func(t *testing.T) {
			want := "\uFFFDa\uFFFD\uFFFDb\uFFFD"
			checkEverySplit(t, encode(t, enc, want), want, text.WithEncoding(enc))
		})
	}
}

func TestEOFInsideCharacter(t *testing.T) {
	cases := []struct {
		name   string
		enc    encoding.Encoding
		wire   []byte
		before string
		offset int64
	}{
		{"UTF-8", nil, []byte("ab\xe2\x82"), "ab", 2},
		{"UTF-8 four-byte", nil, []byte("\U0001D11E\xf0\x9d\x84"), "\U0001D11E", 4},
		{"Shift_JIS", japanese.ShiftJIS, []byte("a\x82"), "a", 1},
		{"UTF-16BE odd byte", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), []byte{0, 'a', 0}, "a", 2},
		{"UTF-16BE half a surrogate pair", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), []byte{0, 'a', 0xD8, 0x34}, "a", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := drain(t, text.NewReceiver(chunks(tc.wire), text.WithEncoding(tc.enc)))
			require.Equal(t, tc.before, got)
			var de *text.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.offset, de.Offset)
			assert.Equal(t, tc.wire[tc.offset:], de.Bytes)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.Contains(t, err.Error(), "middle of a character")

			got, err = drain(t, text.NewReceiver(chunks(tc.wire), text.WithEncoding(tc.enc), text.WithReplacement()))
			require.ErrorIs(t, err, io.EOF)
			assert.Equal(t, tc.before+"\uFFFD", got)
		})
	}
}

func TestReplacementMatchesXText(t *testing.T) {
	cases := []struct {
		name string
		enc  encoding.Encoding
		wire []byte
	}{
		{"UTF-8", unicode.UTF8, []byte("a\xffb\xe2\x82c\xed\xa0\x80d\xf4\x90\x80\x80e\xc0\xafé\xe2")},
		{"Shift_JIS", japanese.ShiftJIS, []byte("a\x81\x20b\xff\x82\xa0\x82")},
		{"UTF-16LE", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), []byte{'a', 0, 0x00, 0xDC, 'b', 0, 0x3D, 0xD8, 'c', 0, 'd'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := tc.enc.NewDecoder().Bytes(tc.wire)
			require.NoError(t, err)
			require.Contains(t, string(want), "\uFFFD")
			checkEverySplit(t, tc.wire, string(want), text.WithEncoding(tc.enc), text.WithReplacement())
		})
	}
}

func TestReadSizeBoundsReads(t *testing.T) {
	src := chunks([]byte(strings.Repeat("é", 100)))
	r := text.NewReceiver(src, text.WithReadSize(7))
	got, err := drain(t, r)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, strings.Repeat("é", 100), got)
	assert.LessOrEqual(t, src.maxAsk, 7)

	assert.Panics(t, func() { text.WithReadSize(0) })
}

func TestReceiverErrors(t *testing.T) {
	t.Run("byte stream error is wrapped", func(t *testing.T) {
		cause := errors.New("link down")
		src := chunks([]byte("x"))
		src.endWith = stream.Broken(cause)
		r := text.NewReceiver(src)
		got, err := drain(t, r)
		assert.Equal(t, "x", got)
		assert.ErrorIs(t, err, cause)
		assert.ErrorIs(t, err, stream.ErrBroken)
		assert.True(t, strings.HasPrefix(err.Error(), "text: receive: "), err.Error())
	})
	t.Run("end of stream is io.EOF unwrapped and sticky", func(t *testing.T) {
		src := chunks([]byte("x"))
		r := text.NewReceiver(src)
		_, err := drain(t, r)
		require.Equal(t, io.EOF, err)
		_, err = r.Receive(context.Background())
		require.Equal(t, io.EOF, err)
		assert.Equal(t, 2, src.calls, "EOF is remembered, not asked for again")
	})
	t.Run("already-cancelled ctx consumes nothing", func(t *testing.T) {
		src := chunks([]byte("abc"))
		r := text.NewReceiver(src)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.Receive(ctx)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, src.calls)
		got, err := drain(t, r)
		require.ErrorIs(t, err, io.EOF)
		assert.Equal(t, "abc", got)
	})
	t.Run("closed", func(t *testing.T) {
		src := chunks([]byte("abc"))
		r := text.NewReceiver(src)
		require.NoError(t, r.Close())
		require.NoError(t, r.Close())
		assert.True(t, src.closed)
		_, err := r.Receive(context.Background())
		assert.ErrorIs(t, err, stream.ErrClosed)
	})
}

// tenfold is a made-up encoding whose decoder writes every byte ten times
// (and '!' as U+FFFD), to make decoded text outgrow the Receiver's buffers.
type tenfold struct{}

func (tenfold) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: tenfoldDecoder{}}
}
func (tenfold) NewEncoder() *encoding.Encoder { return encoding.Nop.NewEncoder() }

type tenfoldDecoder struct{ transform.NopResetter }

func (tenfoldDecoder) Transform(dst, src []byte, _ bool) (nDst, nSrc int, err error) {
	for ; nSrc < len(src); nSrc++ {
		out := strings.Repeat(string(src[nSrc]), 10)
		if src[nSrc] == '!' {
			out = "\uFFFD"
		}
		if nDst+len(out) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], out)
	}
	return nDst, nSrc, nil
}

func TestDecodedTextOutgrowsBuffer(t *testing.T) {
	src := chunks([]byte(strings.Repeat("x", 100)), []byte("yz!w"))
	r := text.NewReceiver(src, text.WithEncoding(tenfold{}), text.WithReadSize(64))
	first, err := r.Receive(context.Background())
	require.NoError(t, err)
	assert.Less(t, len(first), 640, "64 bytes decode to 640, more than one step holds")
	rest, err := drain(t, r)
	got := first + rest
	assert.Equal(t, strings.Repeat("x", 1000)+strings.Repeat("y", 10)+strings.Repeat("z", 10), got)
	var de *text.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, int64(102), de.Offset)
	assert.Equal(t, []byte("!"), de.Bytes)
	assert.Equal(t, 3, src.calls, "bytes decoding to more text than fits are decoded before reading more")

	got, err = drain(t, text.NewReceiver(chunks([]byte("ab!")), text.WithEncoding(tenfold{}), text.WithReplacement()))
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, strings.Repeat("a", 10)+strings.Repeat("b", 10)+"\uFFFD", got)
}
