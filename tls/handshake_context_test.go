package tls

import (
	"context"
	ctls "crypto/tls"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every callback of crypto/tls's Config that is handed the handshake's
// context (through ClientHelloInfo or CertificateRequestInfo) gets the
// cancellable one, including callbacks added in later Go releases.
func TestHandshakeContextKeepsCancellationForCallbacks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	assert.Nil(t, handshakeContext(ctx, &ctls.Config{}).Done(), "no callback: no cancellation needed")

	seesContext := func(ft reflect.Type) bool {
		for i := range ft.NumIn() {
			switch ft.In(i) {
			case reflect.TypeFor[*ctls.ClientHelloInfo](), reflect.TypeFor[*ctls.CertificateRequestInfo]():
				return true
			}
		}
		return false
	}
	ct := reflect.TypeFor[ctls.Config]()
	checked := 0
	for i := range ct.NumField() {
		f := ct.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Func || !seesContext(f.Type) {
			continue
		}
		var cfg ctls.Config
		fn := reflect.MakeFunc(f.Type, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, f.Type.NumOut())
			for j := range out {
				out[j] = reflect.Zero(f.Type.Out(j))
			}
			return out
		})
		reflect.ValueOf(&cfg).Elem().Field(i).Set(fn)
		assert.Equal(t, ctx, handshakeContext(ctx, &cfg), "%s sees the context", f.Name)
		checked++
	}
	assert.GreaterOrEqual(t, checked, 4, "GetCertificate, GetClientCertificate, GetConfigForClient, GetEncryptedClientHelloKeys")
}
