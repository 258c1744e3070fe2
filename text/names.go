package text

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode/utf32"
)

// EncodingByName returns the encoding called name: an IANA name or alias
// ("UTF-8", "ISO-8859-1", "latin1", "Shift_JIS", "UTF-16LE", "windows-1252",
// "EUC-JP", "GB18030"…), matched without regard to case, or a common
// spelling of one ("utf8", "latin-1", "sjis", "cp1252", "utf16le",
// "ascii"…), or a label of the WHATWG Encoding Standard.
//
// IANA meanings win over WHATWG ones: "latin1" and "ISO-8859-1" are ISO
// 8859-1 proper, not windows-1252 as in web browsers, and "US-ASCII" is
// 7-bit ASCII. "UTF-16" and "UTF-32" without a suffix honour a byte-order
// mark and default to big-endian; the LE and BE forms ignore marks.
//
// A name that is unknown, or known but not implemented by golang.org/x/text,
// is an error wrapping ErrUnknownEncoding that quotes the name.
func EncodingByName(name string) (encoding.Encoding, error) {
	trimmed := strings.TrimSpace(name)
	if trimmed == "" {
		return nil, fmt.Errorf("%w: empty name", ErrUnknownEncoding)
	}
	if enc := registered(trimmed); enc != nil {
		return enc, nil
	}
	if alias, ok := aliases[normalizeName(trimmed)]; ok {
		if enc := registered(alias); enc != nil {
			return enc, nil
		}
	}
	// The WHATWG "replacement" encoding turns any input into one U+FFFD;
	// it stands for encodings a browser refuses, so it is no answer here.
	if enc, err := htmlindex.Get(trimmed); err == nil && enc != encoding.Replacement {
		return enc, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownEncoding, name)
}

// registered looks name up in the IANA registry, including the UTF-32 names
// ianaindex knows but leaves unimplemented.
func registered(name string) encoding.Encoding {
	if enc, err := ianaindex.IANA.Encoding(name); err == nil && enc != nil {
		return enc
	}
	return utf32Names[strings.ToLower(name)]
}

// utf32Names are the UTF-32 names of the IANA registry, which ianaindex knows
// but does not map to the implementation in x/text.
var utf32Names = map[string]encoding.Encoding{
	"utf-32":   utf32.UTF32(utf32.BigEndian, utf32.UseBOM),
	"utf-32be": utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	"utf-32le": utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM),
}

// normalizeName folds case and drops the punctuation people vary in names
// ("UTF_8", "utf 8", "Latin-1").
func normalizeName(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c == '-' || c == '_' || c == ' ' || c == '.' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// aliases maps normalised common spellings that neither registry knows to a
// name that one of them does.
var aliases = map[string]string{
	"utf8":        "UTF-8",
	"utf16":       "UTF-16",
	"utf16le":     "UTF-16LE",
	"utf16be":     "UTF-16BE",
	"utf32":       "UTF-32",
	"utf32le":     "UTF-32LE",
	"utf32be":     "UTF-32BE",
	"ascii":       "US-ASCII",
	"usascii":     "US-ASCII",
	"latin1":      "ISO-8859-1",
	"latin2":      "ISO-8859-2",
	"iso88591":    "ISO-8859-1",
	"iso88592":    "ISO-8859-2",
	"iso88595":    "ISO-8859-5",
	"iso88597":    "ISO-8859-7",
	"iso885915":   "ISO-8859-15",
	"shiftjis":    "Shift_JIS",
	"sjis":        "Shift_JIS",
	"cp932":       "Shift_JIS",
	"ms932":       "Shift_JIS",
	"windows31j":  "Shift_JIS",
	"eucjp":       "EUC-JP",
	"euckr":       "EUC-KR",
	"iso2022jp":   "ISO-2022-JP",
	"cp1250":      "windows-1250",
	"cp1251":      "windows-1251",
	"cp1252":      "windows-1252",
	"windows1252": "windows-1252",
	"gb2312":      "GBK",
	"cp936":       "GBK",
	"big5hkscs":   "Big5",
	"koi8r":       "KOI8-R",
	"koi8u":       "KOI8-U",
}
