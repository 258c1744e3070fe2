package unix

// SetBindHook makes f run after each successful bind to a path, before the
// file mode option is applied, until the returned function is called.
func SetBindHook(f func(path string)) (restore func()) {
	bindHook = f
	return func() { bindHook = nil }
}
