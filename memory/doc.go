// Package memory provides in-memory streams: typed object streams that carry
// values between goroutines (a channel done right), and byte pipes that
// connect two byte-stream ends in one process.
//
// # Object streams
//
// NewObjectStream returns a connected SendStream and ReceiveStream. Unlike a
// channel, both ends can be cloned and closed independently, and the stream
// knows when it is over:
//
//   - Receive returns io.EOF, unwrapped, once every send end is closed and
//     the buffer is drained.
//   - Send returns stream.ErrBroken once every receive end is closed, so a
//     producer learns that nobody will read what it sends.
//   - A call on an end that was closed locally returns stream.ErrClosed, and
//     Close wakes the calls blocked on that end with stream.ErrClosed.
//   - Every blocking call takes a context. A cancelled Send either delivered
//     its item (nil error) or withdrew it; a cancelled Receive never swallows
//     an item.
//
// The buffer size is fixed at creation: 0 makes a rendezvous (Send returns
// once a receiver has taken the item), a positive size bounds the buffer, and
// Unbounded lifts the limit.
//
// NewObjectPipe joins two object streams into two connected two-way ends
// (stream.ObjectStream), the object counterpart of a byte pipe.
//
// # Byte pipes
//
// NewBytePipe returns two connected stream.ByteStream ends, each direction
// with its own buffer; a buffer size of 0 makes a synchronous pipe like
// net.Pipe. Pipes support half-close (CloseWrite), and CloseWithError tears a
// pipe down the way a failing transport would, which makes them the test
// double for everything layered on byte streams.
//
// Everything here is safe for concurrent use. Object stream ends accept any
// number of concurrent senders and receivers; a byte pipe end allows one
// Receive and one Send at a time and turns a second concurrent call into
// stream.ErrBusy.
package memory
