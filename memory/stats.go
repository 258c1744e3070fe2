package memory

// Statistics is a snapshot of an object stream's state, as returned by the
// Statistics method of either end. The fields can change as soon as it is
// taken; it is meant for monitoring and tests, not for deciding whether a call
// would block (use TrySend and TryReceive for that).
type Statistics struct {
	// BufferUsed is the number of items waiting in the buffer.
	BufferUsed int
	// MaxBufferSize is the size the stream was created with: 0 for a
	// rendezvous stream, Unbounded for a stream without a limit.
	MaxBufferSize int
	// OpenSendStreams is the number of send ends (clones included) not yet
	// closed.
	OpenSendStreams int
	// OpenReceiveStreams is the number of receive ends (clones included) not
	// yet closed.
	OpenReceiveStreams int
	// WaitingSenders is the number of Send calls blocked on the stream.
	WaitingSenders int
	// WaitingReceivers is the number of Receive calls blocked on the stream.
	WaitingReceivers int
}

// statistics takes the snapshot. The caller holds st.mu.
func (st *objectState[T]) statistics() Statistics {
	return Statistics{
		BufferUsed:         st.buf.len() + st.backlog.len(),
		MaxBufferSize:      st.max,
		OpenSendStreams:    st.openSenders,
		OpenReceiveStreams: st.openReceivers,
		WaitingSenders:     st.senders.n,
		WaitingReceivers:   st.receivers.n,
	}
}
