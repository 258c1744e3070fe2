package exampletest

import (
	"os/exec"
	"testing"
)

// RequireSocat returns the path of the socat client, which tests use as a
// client independent of the toolkit, and skips the test when socat is not
// installed.
func RequireSocat(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("socat")
	if err != nil {
		t.Skip("socat is not installed")
	}
	return path
}
