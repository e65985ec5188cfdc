//go:build linux

package component

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawSyscallConn reads and writes a TCP connection with raw system calls. The socket is
// non-blocking (Go's network poller waits for it to be ready), so a read or write never
// blocks and need not be announced to the scheduler as a system call. Announcing it, as
// net.Conn's Read and Write do, wakes the runtime's monitor thread (sysmon) whenever it had
// gone to sleep because the process was idle: at ordinary rates that is once per stanza, and
// at 500 stanzas/s it was a third of ampd's CPU (docs/PERFORMANCE.md §1.3). Deadlines, Close
// and the poller's waiting are the connection's own (syscall.RawConn).
type rawSyscallConn struct {
	net.Conn
	raw syscall.RawConn
}

// quietConn returns conn reading and writing through raw system calls where it can, conn
// itself otherwise.
func quietConn(conn net.Conn) net.Conn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	return &rawSyscallConn{Conn: conn, raw: raw}
}

func (c *rawSyscallConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if errno != syscall.EINTR {
				return errno != syscall.EAGAIN // EAGAIN: wait in the poller until readable
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

func (c *rawSyscallConn) Write(p []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := c.raw.Write(func(fd uintptr) bool {
		for written < len(p) {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			switch e {
			case 0:
				written += int(n)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // the socket's buffer is full: wait in the poller until writable
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errno}
	}
	return written, err
}
