package selfsigned

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewIsValidForLoopbackNames(t *testing.T) {
	cert, err := New("tests")
	require.NoError(t, err)
	require.NotNil(t, cert.Leaf)
	require.Equal(t, []string{"tests"}, cert.Leaf.Subject.Organization)
	require.Equal(t, "localhost", cert.Leaf.Subject.CommonName)

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots})
		assert.NoError(t, err, host)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots})
	assert.Error(t, err, "only loopback names")
	_, err = cert.Leaf.Verify(x509.VerifyOptions{
		DNSName: "localhost", Roots: roots, CurrentTime: time.Now().Add(validity + time.Hour),
	})
	assert.Error(t, err, "it expires")
}

func TestNewCertificatesDiffer(t *testing.T) {
	a, err := New("tests")
	require.NoError(t, err)
	b, err := New("tests")
	require.NoError(t, err)
	require.NotEqual(t, Fingerprint(a.Leaf), Fingerprint(b.Leaf))
	require.NotEqual(t, a.Leaf.SerialNumber, b.Leaf.SerialNumber)
}

func TestNewKeyMatchesCertificate(t *testing.T) {
	cert, err := New("tests")
	require.NoError(t, err)
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	require.True(t, ok, "an ECDSA key")
	require.True(t, key.PublicKey.Equal(cert.Leaf.PublicKey), "the key signs for the certificate")
}

func TestFingerprintIsHexSHA256(t *testing.T) {
	cert, err := New("tests")
	require.NoError(t, err)
	sum := sha256.Sum256(cert.Certificate[0])
	fp := Fingerprint(cert.Leaf)
	require.Len(t, fp, 64)
	require.Equal(t, hex.EncodeToString(sum[:]), fp)
}
