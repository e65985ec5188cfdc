//go:build !linux

package component

import "net"

// quietConn returns conn: raw system calls (rawconn.go) are used on Linux only.
func quietConn(conn net.Conn) net.Conn { return conn }
