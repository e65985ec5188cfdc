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

// threadsCPU returns the time the threads of process pid have spent on a CPU, in
// nanoseconds, from /proc/PID/task/*/schedstat: finer than /proc/PID/stat's 10 ms ticks,
// which matters for ampd's CPU at low rates and when idle (tens of ms in a run). A thread
// that ended takes its time with it, so it suits a Go process (its threads live as long as
// it does), not a server that starts and ends threads; false where there is no schedstat.
func threadsCPU(pid int) (time.Duration, bool) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	var sum int64
	for _, t := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread ended between the listing and the read
		}
		f := bytes.Fields(stat)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		sum += n
	}
	return time.Duration(sum), len(tasks) > 0
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

// cpuUse is the CPU the server, ampd (when it runs as its own process) and this process
// used during one run.
type cpuUse struct {
	server, ampd, bench    time.Duration
	serverKnown, ampdKnown bool
}

// cpuMeter measures cpuUse from its creation to done.
type cpuMeter struct {
	server, ampd processClock
	bench0       time.Duration
}

// processClock is the CPU time of one process at the meter's start; pid 0 is no process.
type processClock struct {
	pid  int
	read func(pid int) (time.Duration, bool) // processCPU or threadsCPU
	t0   time.Duration
	ok   bool
}

func startClock(pid int, read func(pid int) (time.Duration, bool)) processClock {
	if pid <= 0 {
		return processClock{}
	}
	t, ok := read(pid)
	return processClock{pid: pid, read: read, t0: t, ok: ok}
}

// since is the CPU time the process used since the clock started, false when unknown.
func (c processClock) since() (time.Duration, bool) {
	if !c.ok {
		return 0, false
	}
	t, ok := c.read(c.pid)
	return t - c.t0, ok
}

// newCPUMeter starts measuring the server's process and ampd's (0: ampd runs in this process
// or not at all). ampd's is read from its threads' schedstat, finer than the ticks of
// /proc/PID/stat, as ampd at 500 msgs/s uses a few tens of ms of CPU in a run.
func newCPUMeter(serverPID, ampdPID int) *cpuMeter {
	return &cpuMeter{server: startClock(serverPID, processCPU), ampd: startClock(ampdPID, threadsCPU), bench0: selfCPU()}
}

func (m *cpuMeter) done() cpuUse {
	var u cpuUse
	u.server, u.serverKnown = m.server.since()
	u.ampd, u.ampdKnown = m.ampd.since()
	u.bench = selfCPU() - m.bench0
	return u
}

// perMessage is the server's CPU time per message in µs, 0 when unknown.
func (u cpuUse) perMessage(messages int64) float64 {
	if !u.serverKnown || messages == 0 {
		return 0
	}
	return float64(u.server.Microseconds()) / float64(messages)
}

// ampdPerMessage is ampd's CPU time per message in µs, 0 when unknown.
func (u cpuUse) ampdPerMessage(messages int64) float64 {
	if !u.ampdKnown || messages == 0 {
		return 0
	}
	return float64(u.ampd.Microseconds()) / float64(messages)
}

// describe says how busy the server, ampd and this process were, with the CPU per message.
func (u cpuUse) describe(elapsed time.Duration, messages int64) string {
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / elapsed.Seconds() }
	if elapsed <= 0 {
		return ""
	}
	var s string
	if u.serverKnown {
		s = fmt.Sprintf("server CPU %.0f%% (%.0f µs/msg), ", share(u.server), u.perMessage(messages))
	}
	if u.ampdKnown {
		s += fmt.Sprintf("ampd CPU %.0f%% (%.1f µs/msg), ", share(u.ampd), u.ampdPerMessage(messages))
	}
	return s + fmt.Sprintf("ampbench CPU %.0f%%", share(u.bench))
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
