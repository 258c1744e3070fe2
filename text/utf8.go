package text

import "unicode/utf8"

// This file is the UTF-8 fast path: UTF-8 needs no conversion, only
// validation, so it skips the transformer machinery. Its replacement rules
// are those of golang.org/x/text's UTF-8 decoder (one U+FFFD per maximal
// ill-formed subsequence, as the W3C and Unicode recommend), so that choosing
// unicode.UTF8 explicitly or by default gives the same text.

// runeErrorUTF8 is U+FFFD encoded.
const runeErrorUTF8 = "\uFFFD"

// completePrefix returns the length of the longest prefix of p that does not
// end inside a character that more bytes could still complete. The rest, at
// most utf8.UTFMax-1 bytes, is a valid beginning of a character.
func completePrefix(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(p[i]) {
			continue
		}
		// FullRune is true for invalid sequences too, which are then
		// reported where they stand instead of being held back.
		if !utf8.FullRune(p[i:]) {
			return i
		}
		break
	}
	return len(p)
}

// firstInvalid returns the offset of the first byte of p that does not start
// a valid UTF-8 sequence, or -1 when p is valid.
func firstInvalid(p []byte) int {
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// firstInvalidString is firstInvalid for a string.
func firstInvalidString(s string) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// illFormedLen returns the length of the maximal ill-formed subsequence at
// the start of p, which must not begin with a valid character: the bytes a
// single U+FFFD stands for. It is 1 for a byte that cannot start a
// character, and otherwise the lead byte with the continuation bytes that
// still fitted before the sequence broke off.
func illFormedLen(p []byte) int {
	lo, hi, size := leadRange(p[0])
	if size == 0 {
		return 1
	}
	n := 1
	for n < size && n < len(p) {
		c := p[n]
		if n == 1 && (c < lo || c > hi) {
			break
		}
		if n > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
		n++
	}
	return n
}

// leadRange returns, for a lead byte, the range its first continuation byte
// must lie in and the length of the sequence; size 0 for a byte that cannot
// lead a multi-byte sequence.
func leadRange(b byte) (lo, hi byte, size int) {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 0x80, 0xBF, 2
	case b == 0xE0:
		return 0xA0, 0xBF, 3
	case b == 0xED:
		return 0x80, 0x9F, 3
	case b >= 0xE1 && b <= 0xEF:
		return 0x80, 0xBF, 3
	case b == 0xF0:
		return 0x90, 0xBF, 4
	case b >= 0xF1 && b <= 0xF3:
		return 0x80, 0xBF, 4
	case b == 0xF4:
		return 0x80, 0x8F, 4
	}
	return 0, 0, 0
}

// appendValid appends p to dst with every maximal ill-formed subsequence
// replaced by U+FFFD.
func appendValid(dst, p []byte) []byte {
	for len(p) > 0 {
		bad := firstInvalid(p)
		if bad < 0 {
			return append(dst, p...)
		}
		dst = append(dst, p[:bad]...)
		dst = append(dst, runeErrorUTF8...)
		p = p[bad+illFormedLen(p[bad:]):]
	}
	return dst
}
