package main

import (
	"fmt"
	"net"
	"strconv"
)

// choosePort returns preferred when 127.0.0.1:preferred is free, else a free
// port the kernel picks, with a note saying so. Another process may still take
// the port before the server binds it; the start then fails visibly.
func choosePort(what string, preferred int) (port int, note string, err error) {
	if preferred > 0 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(preferred)))
		if err == nil {
			l.Close()
			return preferred, "", nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, "", &problem{what: "no free loopback port for the " + what, err: err,
			fix: "check that the loopback interface is up (ip addr show lo)"}
	}
	defer l.Close()
	port = l.Addr().(*net.TCPAddr).Port
	if preferred > 0 {
		note = fmt.Sprintf("%s port %d is taken; using %d instead", what, preferred, port)
	}
	return port, note, nil
}
