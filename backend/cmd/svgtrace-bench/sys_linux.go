package main

import (
	"os"
	"syscall"
)

// maxRSS returns the peak resident set size of an exited child in KiB
// (getrusage's ru_maxrss, which Linux reports in KiB), or -1.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return -1
}

// childAttr makes a child die with the thread that started it, so an
// interrupted run leaves nothing behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
