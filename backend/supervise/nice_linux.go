package supervise

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// LowerPriority raises the nice value of every thread of the calling process
// to n (at most 19), leaving threads already nicer alone. Linux keeps a nice value per thread, and a new thread inherits its
// creator's, so renicing the threads that exist (twice, to catch one started
// meanwhile) covers the threads the Go runtime starts later too. Workers call
// it at start so that on a machine with as many workers as cores the server's
// request handling still gets the CPU first: an upload's answer must not wait
// for traces.
func LowerPriority(n int) error {
	if n <= 0 {
		return nil
	}
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("supervise: lower priority: %w", err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			// getpriority's raw syscall returns 20-nice; read back the
			// current value so renicing twice does not add n twice.
			cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
			if err != nil {
				continue // the thread ended
			}
			want := min(n, 19)
			if 20-cur >= want {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, want); err != nil {
				return fmt.Errorf("supervise: lower priority of thread %d: %w", tid, err)
			}
		}
	}
	return nil
}
