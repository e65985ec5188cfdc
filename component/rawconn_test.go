//go:build linux

package component

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// loopbackPair returns the two ends of a TCP connection on loopback, the first one raw.
func loopbackPair(t *testing.T) (raw, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer = receive(t, accepted, "accept")
	if peer == nil {
		t.Fatal("accept failed")
	}
	raw = quietConn(c)
	if _, ok := raw.(*rawSyscallConn); !ok {
		t.Fatalf("quietConn gave %T for a TCP connection", raw)
	}
	t.Cleanup(func() { raw.Close(); peer.Close() })
	return raw, peer
}

// Raw reads and writes carry every byte, both ways, also a write far larger than the socket
// buffers while the peer reads slowly (the write waits in the poller and goes on); reading
// after the peer closed gives io.EOF.
func TestRawConnReadWrite(t *testing.T) {
	raw, peer := loopbackPair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for b.Len() < len(big) {
			n, err := peer.Read(buf)
			if err != nil {
				break
			}
			b.Write(buf[:n])
			if b.Len() < 1<<20 {
				time.Sleep(time.Millisecond) // slow at first: the writer's socket fills up
			}
		}
		got <- b.Bytes()
	}()
	if n, err := raw.Write(big); err != nil || n != len(big) {
		t.Fatalf("Write: %d of %d bytes, %v", n, len(big), err)
	}
	if b := receive(t, got, "the peer's read"); !bytes.Equal(b, big) {
		t.Fatalf("the peer read %d bytes, not the %d written", len(b), len(big))
	}

	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := io.ReadAtLeast(raw, buf, 5); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
	peer.Close()
	if n, err := raw.Read(buf); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("Read after the peer closed: %d bytes, %v; want io.EOF", n, err)
	}
}

// A raw read keeps the connection's deadline and ends when the connection is closed.
func TestRawConnDeadlineAndClose(t *testing.T) {
	raw, _ := loopbackPair(t)
	raw.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := raw.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v", err)
	}
	raw.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := raw.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	raw.Close()
	if err := receive(t, done, "the blocked Read"); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read on a closed connection: %v", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write on a closed connection: %v", err)
	}
}
