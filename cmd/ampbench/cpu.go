package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux port Go
// supports.
const clockTicks = 100

// processCPU returns the CPU time (user + system) process pid has used so far, from
// /proc/PID/stat; false where there is no /proc.
func processCPU(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: fields are counted after its ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(string(fields[11]), 10, 64) // field 14
	stime, err2 := strconv.ParseInt(string(fields[12]), 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// selfCPU returns the CPU time this process (clients, and ampd or the floor in-process) has
// used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuUse is the CPU two sides used during one run.
type cpuUse struct {
	server, bench time.Duration
	serverKnown   bool
}

// cpuMeter measures cpuUse from its creation to done.
type cpuMeter struct {
	pid             int
	server0, bench0 time.Duration
	serverOK        bool
}

func newCPUMeter(pid int) *cpuMeter {
	s, ok := processCPU(pid)
	return &cpuMeter{pid: pid, server0: s, serverOK: ok, bench0: selfCPU()}
}

func (m *cpuMeter) done() cpuUse {
	s, ok := processCPU(m.pid)
	return cpuUse{server: s - m.server0, serverKnown: ok && m.serverOK, bench: selfCPU() - m.bench0}
}

// perMessage is the server's CPU time per message in µs, 0 when unknown.
func (u cpuUse) perMessage(messages int64) float64 {
	if !u.serverKnown || messages == 0 {
		return 0
	}
	return float64(u.server.Microseconds()) / float64(messages)
}

// describe says how busy the server and this process were, and the server's CPU per message.
func (u cpuUse) describe(elapsed time.Duration, messages int64) string {
	if !u.serverKnown || elapsed <= 0 {
		return fmt.Sprintf("ampbench CPU %.0f%%", 100*u.bench.Seconds()/elapsed.Seconds())
	}
	perMsg := u.perMessage(messages)
	return fmt.Sprintf("server CPU %.0f%% (%.0f µs/msg), ampbench CPU %.0f%%",
		100*u.server.Seconds()/elapsed.Seconds(), perMsg, 100*u.bench.Seconds()/elapsed.Seconds())
}

// processName returns the command name of process pid (/proc/PID/comm), so that a run says
// which process its server CPU is; "?" where it cannot be read.
func processName(pid int) string {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return string(bytes.TrimSpace(comm))
}
