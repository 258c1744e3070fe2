package testcert_test

import (
	"crypto/ecdsa"
	ctls "crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anyio-go/anyio/internal/testcert"
)

// verify checks cert's leaf against roots for host and usage.
func verify(cert ctls.Certificate, roots *x509.CertPool, host string, usage x509.ExtKeyUsage) error {
	_, err := cert.Leaf.Verify(x509.VerifyOptions{
		Roots:     roots,
		DNSName:   host,
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func TestAuthority(t *testing.T) {
	ca := testcert.NewAuthority(t)
	require.True(t, ca.Certificate.IsCA)
	require.NotNil(t, ca.Key)
	block, rest := pem.Decode(ca.PEM())
	require.NotNil(t, block)
	require.Empty(t, rest)
	require.Equal(t, "CERTIFICATE", block.Type)
	require.Equal(t, ca.Certificate.Raw, block.Bytes)

	other := testcert.NewAuthority(t)
	require.NotEqual(t, ca.Certificate.Raw, other.Certificate.Raw, "each authority is fresh")
}

func TestServerVerifies(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Server(t, "server.test", "127.0.0.1")
	require.NotNil(t, cert.Leaf, "Leaf is set")
	require.IsType(t, &ecdsa.PrivateKey{}, cert.PrivateKey)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, cert.Leaf.ExtKeyUsage)

	for _, host := range []string{"server.test", "127.0.0.1"} {
		assert.NoError(t, verify(cert, ca.Pool(), host, x509.ExtKeyUsageServerAuth), host)
	}
	err := verify(cert, testcert.NewAuthority(t).Pool(), "server.test", x509.ExtKeyUsageServerAuth)
	require.ErrorAs(t, err, new(x509.UnknownAuthorityError), "another authority does not vouch for it")
}

func TestWrongHost(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Server(t, "server.test", "127.0.0.1")
	for _, host := range []string{"other.test", "127.0.0.2"} {
		err := verify(cert, ca.Pool(), host, x509.ExtKeyUsageServerAuth)
		var hostErr x509.HostnameError
		assert.ErrorAs(t, err, &hostErr, host)
	}
}

func TestExpired(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Expired(t, "server.test")
	require.True(t, cert.Leaf.NotAfter.Before(time.Now()))
	err := verify(cert, ca.Pool(), "server.test", x509.ExtKeyUsageServerAuth)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, x509.Expired, invalid.Reason)
}

func TestNotYetValid(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Issue(t, testcert.Template{
		CommonName: "early.test",
		Hosts:      []string{"early.test"},
		NotBefore:  time.Now().Add(time.Hour),
		NotAfter:   time.Now().Add(2 * time.Hour),
	})
	err := verify(cert, ca.Pool(), "early.test", x509.ExtKeyUsageServerAuth)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, err, &invalid)
	// crypto/x509 reports both ends of the validity window as Expired.
	require.Equal(t, x509.Expired, invalid.Reason)
}

func TestClient(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Client(t, "alice")
	require.Equal(t, "alice", cert.Leaf.Subject.CommonName)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.Leaf.ExtKeyUsage)
	require.NoError(t, verify(cert, ca.Pool(), "", x509.ExtKeyUsageClientAuth))

	err := verify(cert, ca.Pool(), "", x509.ExtKeyUsageServerAuth)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, err, &invalid, "a client certificate is no server certificate")
	require.Equal(t, x509.IncompatibleUsage, invalid.Reason)
}

func TestSelfSigned(t *testing.T) {
	cert := testcert.SelfSigned(t, "self.test")
	own := x509.NewCertPool()
	own.AddCert(cert.Leaf)
	require.NoError(t, verify(cert, own, "self.test", x509.ExtKeyUsageServerAuth))

	err := verify(cert, testcert.NewAuthority(t).Pool(), "self.test", x509.ExtKeyUsageServerAuth)
	require.ErrorAs(t, err, new(x509.UnknownAuthorityError))
	err = verify(cert, x509.NewCertPool(), "self.test", x509.ExtKeyUsageServerAuth)
	require.ErrorAs(t, err, new(x509.UnknownAuthorityError))
}

func TestWriteFiles(t *testing.T) {
	ca := testcert.NewAuthority(t)
	cert := ca.Server(t, "server.test")
	dir := t.TempDir()

	certFile, keyFile := testcert.WriteFiles(t, dir, "server", cert)
	loaded, err := ctls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	require.Equal(t, cert.Certificate, loaded.Certificate)
	require.True(t, cert.PrivateKey.(*ecdsa.PrivateKey).Equal(loaded.PrivateKey), "same key")
	info, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key is private")

	caFile := ca.WriteAuthority(t, dir)
	data, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(data))
	require.NoError(t, verify(loaded, pool, "server.test", x509.ExtKeyUsageServerAuth))
}

// TestHandshake checks that crypto/tls accepts the certificates for mutual
// TLS, not only crypto/x509.
func TestHandshake(t *testing.T) {
	ca := testcert.NewAuthority(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	server := ctls.Server(b, &ctls.Config{
		Certificates: []ctls.Certificate{ca.Server(t, "server.test")},
		ClientAuth:   ctls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
	})
	client := ctls.Client(a, &ctls.Config{
		Certificates: []ctls.Certificate{ca.Client(t, "alice")},
		RootCAs:      ca.Pool(),
		ServerName:   "server.test",
	})
	done := make(chan error, 1)
	go func() { done <- server.Handshake() }()
	clientErr := client.Handshake()
	serverErr := <-done
	require.NoError(t, clientErr)
	require.NoError(t, serverErr)
	peers := server.ConnectionState().PeerCertificates
	require.NotEmpty(t, peers)
	require.Equal(t, "alice", peers[0].Subject.CommonName)
}
