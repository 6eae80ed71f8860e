package supervise

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Child modes of TestHelperProcess, chosen by helperEnv.
const (
	helperEnv   = "SUPERVISE_TEST_HELPER"
	readyEnv    = "SUPERVISE_TEST_READY" // file the child writes its pid to once set up
	modeExit3   = "exit3"                // exit with status 3 at once
	modeExit0   = "exit0"                // exit cleanly at once
	modeWait    = "wait"                 // run until SIGTERM, then exit 0
	modeIgnore  = "ignore"               // ignore SIGTERM, run until killed
	childLimit  = 30 * time.Second       // no helper child outlives a broken test by more
	waitTimeout = 10 * time.Second
)

// TestHelperProcess is not a test: it is the child the supervisor runs when
// the test binary is re-executed with helperEnv set.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	switch mode {
	case modeExit0:
		os.Exit(0)
	case modeExit3:
		os.Exit(3)
	case modeWait, modeIgnore:
		term := make(chan os.Signal, 1)
		if mode == modeWait {
			signal.Notify(term, syscall.SIGTERM)
		} else {
			signal.Ignore(syscall.SIGTERM)
		}
		// Ready only once the signal disposition is set.
		if p := os.Getenv(readyEnv); p != "" {
			if err := os.WriteFile(p+".tmp", []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
				os.Exit(10)
			}
			if err := os.Rename(p+".tmp", p); err != nil {
				os.Exit(10)
			}
		}
		select {
		case <-term:
			os.Exit(0)
		case <-time.After(childLimit):
			os.Exit(11)
		}
	}
	os.Exit(12)
}

// exit is one Exited call.
type exit struct {
	id  string
	err error
}

// harness runs a Supervisor whose children run mode and records what
// happens to them.
type harness struct {
	sup      *Supervisor
	readyDir string

	mu      sync.Mutex
	started []string // ids in the order Command was asked for them
	slots   map[string]int
	exits   []exit

	cancel context.CancelFunc
	done   chan struct{}
}

func setup(t *testing.T, n int, mode string, grace time.Duration) *harness {
	t.Helper()
	h := &harness{readyDir: t.TempDir(), slots: map[string]int{}, done: make(chan struct{})}
	var next int
	h.sup = &Supervisor{
		N: n,
		NewID: func() string {
			h.mu.Lock()
			defer h.mu.Unlock()
			next++
			return fmt.Sprintf("child-%d", next)
		},
		Command: func(slot int, id string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode, readyEnv+"="+filepath.Join(h.readyDir, id))
			h.mu.Lock()
			h.started = append(h.started, id)
			h.slots[id] = slot
			h.mu.Unlock()
			return cmd
		},
		Exited: func(id string, err error) {
			h.mu.Lock()
			h.exits = append(h.exits, exit{id, err})
			h.mu.Unlock()
		},
		Grace:  grace,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		h.sup.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(waitTimeout + grace):
			t.Error("Run did not return")
		}
	})
	return h
}

// stop cancels the context and waits for Run, returning how long it took.
func (h *harness) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(waitTimeout + h.sup.Grace):
		t.Fatal("Run did not return after cancel")
	}
	return time.Since(start)
}

func (h *harness) snapshot() (started []string, exits []exit) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.started...), append([]exit(nil), h.exits...)
}

// ready waits for child id to be set up and returns its pid.
func (h *harness) ready(t *testing.T, id string) int {
	t.Helper()
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(h.readyDir, id))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(string(b))
		return err == nil
	}, waitTimeout, 10*time.Millisecond, "child %s never got ready", id)
	return pid
}

// gone reports whether no process has pid (after the supervisor reaped it).
func gone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

func TestSupervisor(t *testing.T) {
	t.Run("RestartsWithFreshIDs", func(t *testing.T) {
		h := setup(t, 2, modeExit3, time.Second)
		// Two runs per slot: the first restart comes after MinBackoff.
		require.Eventually(t, func() bool {
			_, exits := h.snapshot()
			return len(exits) >= 4
		}, waitTimeout, 10*time.Millisecond)
		h.stop(t)

		started, exits := h.snapshot()
		seen := map[string]bool{}
		for _, id := range started {
			assert.False(t, seen[id], "id %s used twice", id)
			seen[id] = true
		}
		perSlot := map[int]int{}
		for _, e := range exits {
			assert.True(t, seen[e.id], "Exited with an id no child had: %s", e.id)
			require.Error(t, e.err, e.id)
			assert.Contains(t, e.err.Error(), "exit status 3")
			perSlot[h.slots[e.id]]++
		}
		assert.GreaterOrEqual(t, perSlot[0], 2)
		assert.GreaterOrEqual(t, perSlot[1], 2)
		assert.Empty(t, h.sup.PIDs())
	})

	t.Run("CleanExitRestarted", func(t *testing.T) {
		h := setup(t, 1, modeExit0, time.Second)
		require.Eventually(t, func() bool {
			_, exits := h.snapshot()
			return len(exits) >= 2
		}, waitTimeout, 10*time.Millisecond)
		h.stop(t)
		_, exits := h.snapshot()
		for _, e := range exits {
			assert.NoError(t, e.err, "a clean exit is reported as nil")
		}
		assert.NotEqual(t, exits[0].id, exits[1].id)
	})

	t.Run("BackoffBetweenRestarts", func(t *testing.T) {
		h := setup(t, 1, modeExit3, time.Second)
		start := time.Now()
		require.Eventually(t, func() bool {
			_, exits := h.snapshot()
			return len(exits) >= 3
		}, waitTimeout, 10*time.Millisecond)
		// Restarts after MinBackoff, then twice that.
		assert.GreaterOrEqual(t, time.Since(start), MinBackoff+2*MinBackoff)
		h.stop(t)
	})

	t.Run("RestartsAfterSIGKILL", func(t *testing.T) {
		h := setup(t, 1, modeWait, time.Second)
		pid := h.ready(t, "child-1")
		assert.Equal(t, map[int]int{0: pid}, h.sup.PIDs())
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

		pid2 := h.ready(t, "child-2")
		assert.NotEqual(t, pid, pid2)
		assert.True(t, gone(pid))
		_, exits := h.snapshot()
		require.Len(t, exits, 1)
		assert.Equal(t, "child-1", exits[0].id)
		require.Error(t, exits[0].err)
		assert.Contains(t, exits[0].err.Error(), "killed")
		require.Eventually(t, func() bool { return h.sup.PIDs()[0] == pid2 }, waitTimeout, 10*time.Millisecond)
		h.stop(t)
	})

	t.Run("CancelStopsAll", func(t *testing.T) {
		h := setup(t, 3, modeWait, 5*time.Second)
		var pids []int
		for i := 1; i <= 3; i++ {
			pids = append(pids, h.ready(t, fmt.Sprintf("child-%d", i)))
		}
		took := h.stop(t)
		assert.Less(t, took, h.sup.Grace, "children stopped on SIGTERM, not after the grace")
		for _, pid := range pids {
			assert.True(t, gone(pid), "pid %d still running", pid)
		}
		started, exits := h.snapshot()
		assert.Len(t, started, 3, "nothing restarted after cancel")
		require.Len(t, exits, 3)
		for _, e := range exits {
			assert.NoError(t, e.err, "%s exited cleanly on SIGTERM", e.id)
		}
		assert.Empty(t, h.sup.PIDs())
	})

	t.Run("KillsAfterGrace", func(t *testing.T) {
		const grace = 300 * time.Millisecond
		h := setup(t, 1, modeIgnore, grace)
		pid := h.ready(t, "child-1")
		took := h.stop(t)
		assert.GreaterOrEqual(t, took, grace)
		assert.Less(t, took, grace+5*time.Second)
		assert.True(t, gone(pid))
		_, exits := h.snapshot()
		require.Len(t, exits, 1)
		require.Error(t, exits[0].err)
		assert.Contains(t, exits[0].err.Error(), "killed")
	})

	t.Run("StartFailureRetried", func(t *testing.T) {
		var (
			mu    sync.Mutex
			exits []exit
			n     int
		)
		sup := &Supervisor{
			N:     1,
			NewID: func() string { mu.Lock(); defer mu.Unlock(); n++; return fmt.Sprintf("run-%d", n) },
			Command: func(int, string) *exec.Cmd {
				return exec.Command(filepath.Join(t.TempDir(), "no-such-binary"))
			},
			Exited: func(id string, err error) { mu.Lock(); exits = append(exits, exit{id, err}); mu.Unlock() },
			Grace:  time.Second,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { sup.Run(ctx); close(done) }()
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(exits) >= 2 }, waitTimeout, 10*time.Millisecond)
		cancel()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("Run did not return after cancel")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exits {
			require.Error(t, e.err)
			assert.Contains(t, e.err.Error(), "supervise: start "+e.id)
		}
	})
}

func TestPIDsWhileStarting(t *testing.T) {
	// PIDs may be called at any time, also while Run is starting.
	h := setup(t, 1, modeWait, time.Second)
	for range 100 {
		h.sup.PIDs()
	}
	h.ready(t, "child-1")
	h.stop(t)
}
