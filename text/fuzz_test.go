package text_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/anyio-go/anyio/text"
)

// FuzzDecodeChunked checks that decoding does not depend on how the bytes
// are cut: for UTF-8 and for Shift_JIS, strict and with replacement, the
// text (and the error) received from data cut into chunks as cuts says
// equal a one-shot decode, and agree with golang.org/x/text's own decoder.
// Its seed corpus is in testdata/fuzz/FuzzDecodeChunked.
func FuzzDecodeChunked(f *testing.F) {
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data, cuts []byte, shiftJIS, replace bool) {
	var enc encoding.Encoding = unicode.UTF8
	if shiftJIS {
		enc = japanese.ShiftJIS
	}
	opts := []text.Option{text.WithEncoding(enc)}
	if replace {
		opts = append(opts, text.WithReplacement())
	}
	whole, err := enc.NewDecoder().Bytes(data)
	require.NoError(t, err)

	readSize := 1
	if len(cuts) > 0 {
		readSize += int(cuts[0] % 16)
	}
	got, gotErr := drain(t, text.NewReceiver(chunks(cutInto(data, cuts)...), append(opts, text.WithReadSize(readSize))...))
	once, onceErr := drain(t, text.NewReceiver(chunks(data), append(opts, text.WithReadSize(len(data)+1))...))
	require.Equal(t, once, got, "chunked and one-shot text differ")
	sameEnd(t, onceErr, gotErr)

	if gotErr == io.EOF {
		require.Equal(t, string(whole), got, "text differs from x/text's decoding")
		return
	}
	require.False(t, replace, "replacement mode reported %v", gotErr)
	var de *text.DecodeError
	require.ErrorAs(t, gotErr, &de)
	require.LessOrEqual(t, de.Offset, int64(len(data)))
	before, err := enc.NewDecoder().Bytes(data[:de.Offset])
	require.NoError(t, err)
	require.Equal(t, string(before), got, "the text before the error is not what the bytes before its offset decode to")
	require.True(t, strings.HasPrefix(string(whole), got+"\uFFFD"), "x/text does not substitute at the reported offset")
	require.True(t, bytes.HasPrefix(data[de.Offset:], de.Bytes))
}

// cutInto cuts data into chunks whose lengths come from cuts (1 to 16
// bytes each); what is left after the last is one more chunk.
func cutInto(data, cuts []byte) [][]byte {
	var parts [][]byte
	for _, c := range cuts {
		n := min(int(c%16)+1, len(data))
		parts = append(parts, data[:n])
		data = data[n:]
	}
	return append(parts, data)
}

// sameEnd fails unless two receives ended the same way: both io.EOF, or
// DecodeErrors with the same offset, bytes and cause.
func sameEnd(t *testing.T, want, got error) {
	t.Helper()
	if want == io.EOF || got == io.EOF {
		require.Equal(t, want, got)
		return
	}
	var w, g *text.DecodeError
	require.ErrorAs(t, want, &w)
	require.ErrorAs(t, got, &g)
	require.Equal(t, w.Offset, g.Offset)
	require.Equal(t, w.Bytes, g.Bytes)
	require.Equal(t, w.Err, g.Err)
}
