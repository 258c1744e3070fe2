package text_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/anyio-go/anyio/text"
)

func TestEncodingByName(t *testing.T) {
	cases := map[string]encoding.Encoding{
		"utf-8":        unicode.UTF8,
		"UTF8":         unicode.UTF8,
		" utf_8 ":      unicode.UTF8,
		"latin1":       charmap.ISO8859_1, // IANA, not WHATWG's windows-1252
		"Latin-1":      charmap.ISO8859_1,
		"iso-8859-1":   charmap.ISO8859_1,
		"ISO_8859-1":   charmap.ISO8859_1,
		"windows-1252": charmap.Windows1252,
		"cp1252":       charmap.Windows1252,
		"utf-16le":     unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
		"UTF16LE":      unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
		"utf-16be":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		"utf-16":       unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
		"utf-32le":     utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM),
		"Shift_JIS":    japanese.ShiftJIS,
		"shift-jis":    japanese.ShiftJIS,
		"sjis":         japanese.ShiftJIS,
		"windows-31j":  japanese.ShiftJIS,
		"euc-jp":       japanese.EUCJP,
		"ISO-2022-JP":  japanese.ISO2022JP,
		"koi8-r":       charmap.KOI8R,
	}
	for name, want := range cases {
		got, err := text.EncodingByName(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}

	ascii, err := text.EncodingByName("ascii")
	require.NoError(t, err)
	usascii, err := text.EncodingByName("US-ASCII")
	require.NoError(t, err)
	assert.Equal(t, usascii, ascii)
	_, err = ascii.NewEncoder().String("é")
	assert.Error(t, err, "ASCII is 7-bit, not windows-1252")

	for _, name := range []string{"klingon-8", "", "utf-7", "iso-2022-kr"} {
		_, err := text.EncodingByName(name)
		require.ErrorIs(t, err, text.ErrUnknownEncoding, name)
		if name != "" {
			assert.Contains(t, err.Error(), `"`+name+`"`)
		}
	}
}
