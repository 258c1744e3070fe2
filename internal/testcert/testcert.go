// Package testcert makes throwaway certificates for tests: a certificate
// authority, server and client leaves it signs, and deliberately bad leaves
// (expired, for the wrong host, not yet valid, self-signed). Keys are ECDSA
// P-256 so that generating them and handshaking with them stays fast.
//
// Every function takes a testing.TB and fails the test on error, so a test
// reads as a list of the certificates it needs.
package testcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	ctls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Authority is a certificate authority made for one test run. Its fields are
// read-only once NewAuthority returns; it is safe for concurrent use.
type Authority struct {
	// Certificate is the authority's self-signed certificate.
	Certificate *x509.Certificate
	// Key signs the leaves the authority issues.
	Key crypto.Signer
}

// Template describes a leaf certificate for Issue. The zero value is a
// server certificate for no host, valid from an hour ago for a day.
type Template struct {
	// CommonName is the subject's common name.
	CommonName string
	// Hosts are DNS names or IP addresses put in the subject alternative
	// names.
	Hosts []string
	// NotBefore and NotAfter bound the validity; zero values mean an hour
	// ago and a day from now.
	NotBefore, NotAfter time.Time
	// Client makes a client-authentication certificate instead of a server
	// one.
	Client bool
}

// NewAuthority returns a fresh certificate authority valid from an hour ago
// for a day.
func NewAuthority(t testing.TB) *Authority {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "anyio test authority"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("testcert: create authority: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: parse authority: %v", err)
	}
	return &Authority{Certificate: cert, Key: key}
}

// Pool returns a new pool holding only the authority's certificate, for
// RootCAs or ClientCAs.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.Certificate)
	return p
}

// PEM returns the authority's certificate in PEM form.
func (a *Authority) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Certificate.Raw})
}

// Server issues a server certificate for hosts (DNS names or IP addresses).
func (a *Authority) Server(t testing.TB, hosts ...string) ctls.Certificate {
	t.Helper()
	return a.Issue(t, Template{CommonName: firstOr(hosts, "server"), Hosts: hosts})
}

// Client issues a client-authentication certificate with the given common
// name.
func (a *Authority) Client(t testing.TB, name string) ctls.Certificate {
	t.Helper()
	return a.Issue(t, Template{CommonName: name, Client: true})
}

// Expired issues a server certificate for hosts that expired an hour ago.
func (a *Authority) Expired(t testing.TB, hosts ...string) ctls.Certificate {
	t.Helper()
	return a.Issue(t, Template{
		CommonName: firstOr(hosts, "expired"),
		Hosts:      hosts,
		NotBefore:  time.Now().Add(-48 * time.Hour),
		NotAfter:   time.Now().Add(-time.Hour),
	})
}

// Issue issues a leaf certificate described by tmpl, signed by the authority.
// The returned certificate has Leaf set.
func (a *Authority) Issue(t testing.TB, tmpl Template) ctls.Certificate {
	t.Helper()
	key := newKey(t)
	der, err := x509.CreateCertificate(rand.Reader, leafTemplate(t, tmpl), a.Certificate, key.Public(), a.Key)
	if err != nil {
		t.Fatalf("testcert: issue %q: %v", tmpl.CommonName, err)
	}
	return assemble(t, der, key)
}

// SelfSigned returns a server certificate for hosts signed by its own key,
// which no authority vouches for.
func SelfSigned(t testing.TB, hosts ...string) ctls.Certificate {
	t.Helper()
	key := newKey(t)
	tmpl := leafTemplate(t, Template{CommonName: firstOr(hosts, "self-signed"), Hosts: hosts})
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("testcert: self-sign: %v", err)
	}
	return assemble(t, der, key)
}

// WriteFiles writes cert (its chain) and its private key as PEM files into
// dir and returns their paths, for tools such as openssl.
func WriteFiles(t testing.TB, dir, name string, cert ctls.Certificate) (certFile, keyFile string) {
	t.Helper()
	var certPEM []byte
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatalf("testcert: marshal key: %v", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)
	return certFile, keyFile
}

// WriteAuthority writes the authority's certificate as a PEM file into dir
// and returns its path.
func (a *Authority) WriteAuthority(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ca.crt")
	writeFile(t, path, a.PEM())
	return path
}

func leafTemplate(t testing.TB, tmpl Template) *x509.Certificate {
	notBefore, notAfter := tmpl.NotBefore, tmpl.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	usage := x509.ExtKeyUsageServerAuth
	if tmpl.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	c := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: tmpl.CommonName},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, h := range tmpl.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			c.IPAddresses = append(c.IPAddresses, ip)
		} else {
			c.DNSNames = append(c.DNSNames, h)
		}
	}
	return c
}

func assemble(t testing.TB, der []byte, key crypto.Signer) ctls.Certificate {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: parse leaf: %v", err)
	}
	return ctls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testcert: generate key: %v", err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatalf("testcert: serial: %v", err)
	}
	return n
}

func writeFile(t testing.TB, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("testcert: %v", err)
	}
}

func firstOr(hosts []string, def string) string {
	if len(hosts) > 0 {
		return hosts[0]
	}
	return def
}
