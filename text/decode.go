package text

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxPending is how many undecoded bytes a decoder may hold back waiting for
// the rest of a character. No encoding has characters this long, so a
// decoder still waiting after that many is made to decide, as at end of
// stream.
const maxPending = 32

// maxDst bounds the output buffer of a decoder that keeps asking for more
// room without producing anything.
const maxDst = 1 << 20

// replacementChar is U+FFFD encoded in UTF-8, as the decoders write it.
var replacementChar = []byte(runeErrorUTF8)

// errDecoderStuck is reported for a decoder that neither consumes input nor
// produces output, which only a faulty custom encoding does.
var errDecoderStuck = errors.New("decoder made no progress")

// badInput locates bytes that could not be decoded, relative to the start
// of the bytes handed to a decode step.
type badInput struct {
	at    int    // offset of the first bad byte
	bytes []byte // the bad bytes (aliasing the receive buffer)
	err   error  // see DecodeError.Err
}

// decoded is what one decode step produced.
type decoded struct {
	out      []byte    // text, valid until the next step
	consumed int       // source bytes turned into out
	more     bool      // the rest of the source may decode without more input
	bad      *badInput // set when decoding stopped at bad input; out is the text before it
}

// decodeUTF8 is a decode step for UTF-8. The text is the source itself, or,
// with replace and invalid input, a copy in *scratch.
func decodeUTF8(src []byte, atEOF, replace bool, scratch *[]byte) decoded {
	cut := len(src)
	if !atEOF {
		cut = completePrefix(src)
	}
	if utf8.Valid(src[:cut]) {
		return decoded{out: src[:cut], consumed: cut}
	}
	if replace {
		*scratch = appendValid((*scratch)[:0], src[:cut])
		return decoded{out: *scratch, consumed: cut}
	}
	at := firstInvalid(src[:cut])
	bad := &badInput{at: at, bytes: src[at : at+illFormedLen(src[at:cut])]}
	if atEOF && !utf8.FullRune(src[at:]) {
		bad.err = io.ErrUnexpectedEOF
	}
	return decoded{out: src[:at], bad: bad}
}

// transcoder decodes a legacy (non-UTF-8) encoding through its x/text
// decoder, and, when strict, tells the U+FFFD the decoder substitutes for bad
// input from a U+FFFD that was really sent.
type transcoder struct {
	dec *encoding.Decoder
	dst []byte

	strict bool
	// probe replays the main decoder's work to map a suspicious U+FFFD in
	// its output back to the bytes it came from. For decoders known to keep
	// no state between calls it is reset before each replay; for any other
	// it shadows the main decoder step by step, so that it always starts a
	// replay in the state the main decoder started the step in.
	probe    *encoding.Decoder
	probeDst []byte
	shadow   bool
	fffd     []byte // how the encoding itself encodes U+FFFD; nil if it cannot
}

func newTranscoder(enc encoding.Encoding, readSize int, strict bool) *transcoder {
	t := &transcoder{
		dec:    enc.NewDecoder(),
		dst:    make([]byte, 3*(readSize+maxPending)),
		strict: strict,
	}
	if strict {
		t.probe = enc.NewDecoder()
		t.shadow = !statelessDecoder(enc)
		t.fffd = ownFFFD(enc)
		if t.shadow {
			t.probeDst = make([]byte, len(t.dst))
		}
	}
	return t
}

// step decodes what it can of src.
func (t *transcoder) step(src []byte, atEOF bool) decoded {
	nDst, nSrc, err := t.dec.Transform(t.dst, src, atEOF)
	for err == transform.ErrShortDst && nDst == 0 && nSrc == 0 && len(t.dst) < maxDst {
		t.grow()
		nDst, nSrc, err = t.dec.Transform(t.dst, src, atEOF)
	}
	d := decoded{out: t.dst[:nDst], consumed: nSrc, more: err == transform.ErrShortDst}
	if t.strict {
		if n, bad := t.check(src, d.out, atEOF); bad != nil {
			d.out, d.bad = d.out[:n], bad
			return d
		}
	}
	switch {
	case err == transform.ErrShortDst && nDst == 0 && nSrc == 0:
		d.bad = &badInput{err: errDecoderStuck}
	case err == nil || err == transform.ErrShortDst || (err == transform.ErrShortSrc && !atEOF):
	case err == transform.ErrShortSrc:
		d.bad = &badInput{at: nSrc, bytes: src[nSrc:], err: io.ErrUnexpectedEOF}
	default:
		d.bad = &badInput{at: nSrc, bytes: src[nSrc:min(len(src), nSrc+utf8.UTFMax)], err: err}
	}
	return d
}

func (t *transcoder) grow() {
	t.dst = make([]byte, 2*len(t.dst))
	if t.probeDst != nil {
		t.probeDst = make([]byte, len(t.dst))
	}
}

// check looks for a U+FFFD in out, the main decoder's output for src, that
// the decoder substituted for bad input, and keeps a shadowing probe in step.
// It returns nil when every U+FFFD in out was really sent, and otherwise the
// bad input and the length of the text before it.
func (t *transcoder) check(src, out []byte, atEOF bool) (int, *badInput) {
	p := t.probe
	if !bytes.Contains(out, replacementChar) {
		if t.shadow {
			p.Transform(t.probeDst, src, atEOF) // the very call the main decoder made
		}
		return 0, nil
	}
	if t.probeDst == nil {
		t.probeDst = make([]byte, len(t.dst))
	}
	if !t.shadow {
		p.Reset()
	}
	pos, done := 0, 0 // source consumed and text produced by the probe
	for {
		k := bytes.Index(out[done:], replacementChar)
		if k < 0 {
			break
		}
		k += done
		// Replay up to the character that gave U+FFFD, then that character.
		n, c, _ := p.Transform(t.probeDst[:k-done], src[pos:], atEOF)
		pos, done = pos+c, done+n
		n, c, _ = p.Transform(t.probeDst[:len(replacementChar)], src[pos:], atEOF)
		seq := src[pos : pos+c]
		if done != k || n != len(replacementChar) || t.fffd == nil || !bytes.Equal(seq, t.fffd) {
			bad := &badInput{at: pos, bytes: src[pos:min(len(src), pos+max(c, 1))]}
			if atEOF && pos+c == len(src) {
				// The bad bytes run to the end of the stream: a
				// character cut short.
				bad.err = io.ErrUnexpectedEOF
			}
			return k, bad
		}
		pos, done = pos+c, done+n
	}
	if t.shadow {
		p.Transform(t.probeDst[:len(out)-done], src[pos:], atEOF)
	}
	return 0, nil
}

// ownFFFD returns the bytes enc encodes U+FFFD as, or nil when it cannot
// encode it. Encoding "a" first keeps a byte-order mark out of the answer.
func ownFFFD(enc encoding.Encoding) []byte {
	prefix, err := enc.NewEncoder().Bytes([]byte("a"))
	if err != nil {
		return nil
	}
	both, err := enc.NewEncoder().Bytes([]byte("a" + runeErrorUTF8))
	if err != nil || !bytes.HasPrefix(both, prefix) || len(both) == len(prefix) {
		return nil
	}
	return both[len(prefix):]
}

// asciiEncoding is the IANA index's US-ASCII, which has no exported name.
var asciiEncoding, _ = ianaindex.IANA.Encoding("US-ASCII")

// statelessDecoder reports whether enc is one of the x/text encodings whose
// decoder keeps no state from one call to the next (nothing like an escape
// sequence or a byte-order mark changes how later bytes decode).
func statelessDecoder(enc encoding.Encoding) bool {
	if _, ok := enc.(*charmap.Charmap); ok {
		return true
	}
	switch enc {
	case japanese.ShiftJIS, japanese.EUCJP, korean.EUCKR,
		simplifiedchinese.GBK, simplifiedchinese.GB18030, traditionalchinese.Big5,
		unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM):
		return true
	}
	return enc != nil && enc == asciiEncoding
}
