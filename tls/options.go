package tls

import (
	ctls "crypto/tls"
	"errors"
	"time"
)

// Option configures Wrap, Connect, a Connector or a Listener. Options that do
// not apply to a call are ignored by it (OnHandshakeError and
// WithMaxPendingHandshakes only concern a Listener).
type Option func(*options)

type options struct {
	server             bool
	hostname           string
	standardCompatible bool
	handshakeTimeout   time.Duration
	onHandshakeError   func(error)
	maxPending         int
}

// Defaults of a Listener.
const (
	// DefaultHandshakeTimeout bounds each handshake a Listener runs.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxPendingHandshakes is how many connections a Listener holds
	// at once between accepting them from the transport and handing them to
	// Accept, handshakes in progress included.
	DefaultMaxPendingHandshakes = 256
)

func newOptions(opts []Option) options {
	o := options{standardCompatible: true}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// AsServer makes Wrap take the server side of the handshake. A Listener
// always does.
func AsServer() Option { return func(o *options) { o.server = true } }

// WithHostname sets the name the client sends (SNI) and verifies the
// server's certificate against, overriding the config's ServerName. Connect
// and a Connector over a tcp.Connector otherwise take it from the address.
func WithHostname(h string) Option { return func(o *options) { o.hostname = h } }

// StandardCompatible chooses how the end of a TLS stream looks (default
// true). Standard-compatible: Close and CloseWrite send close_notify, and an
// end of the transport without the peer's close_notify is stream.ErrBroken
// (a truncation attack cannot pass as a clean end). Not standard-compatible:
// no close_notify is sent (CloseWrite half-closes the transport instead), and
// a bare end of the transport is a normal io.EOF; a close_notify from the
// peer still ends the stream normally.
func StandardCompatible(v bool) Option { return func(o *options) { o.standardCompatible = v } }

// WithHandshakeTimeout bounds each handshake (default 10 s in a Listener, no
// bound of its own in Wrap, Connect and a Connector, where ctx bounds it). A
// zero or negative d means no bound.
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *options) { o.handshakeTimeout = d }
}

// OnHandshakeError sets what a Listener does with a failed handshake's error
// (the raw connection is closed in any case). By default the error is logged
// through slog's default logger. f may be called from several goroutines at
// once and must not block for long.
func OnHandshakeError(f func(error)) Option { return func(o *options) { o.onHandshakeError = f } }

// WithMaxPendingHandshakes bounds how many connections a Listener holds
// between the transport's Accept and its own (default 256): when that many
// are handshaking or waiting to be accepted, the Listener stops taking new
// connections from the transport until one leaves. n < 1 means the default.
func WithMaxPendingHandshakes(n int) Option { return func(o *options) { o.maxPending = n } }

// Errors about configurations, reported before any byte is sent.
var (
	// ErrNoCertificate is returned for a server config that can provide no
	// certificate (no Certificates, GetCertificate or GetConfigForClient).
	ErrNoCertificate = errors.New("tls: server config has no certificate")
)

// clientConfig returns the config a client handshake uses: a clone of cfg
// (an empty config when nil, which means system roots) with TLS 1.2 as the
// minimum when cfg leaves it unset, and the hostname option or fallback as
// ServerName. cfg itself is never modified.
func clientConfig(cfg *ctls.Config, o *options, fallbackHost string) *ctls.Config {
	var c *ctls.Config
	if cfg == nil {
		c = &ctls.Config{}
	} else {
		c = cfg.Clone()
	}
	if c.MinVersion == 0 {
		c.MinVersion = ctls.VersionTLS12
	}
	switch {
	case o.hostname != "":
		c.ServerName = o.hostname
	case c.ServerName == "":
		c.ServerName = fallbackHost
	}
	return c
}

// serverConfig returns the config a server handshake uses: a clone of cfg
// with TLS 1.2 as the minimum when cfg leaves it unset. A nil cfg, or one
// with no way to provide a certificate, is ErrNoCertificate.
func serverConfig(cfg *ctls.Config) (*ctls.Config, error) {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		return nil, ErrNoCertificate
	}
	if cfg.MinVersion != 0 {
		// Nothing to change: sharing the caller's config keeps its session
		// ticket keys, so resumption works across connections.
		return cfg, nil
	}
	c := cfg.Clone()
	c.MinVersion = ctls.VersionTLS12
	return c, nil
}
