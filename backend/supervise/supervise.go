// Package supervise runs a fixed number of child processes and keeps them
// running: a child that exits is reported (so its jobs can be handed on at
// once) and started again after a backoff.
//
// # Guarantees
//
// Isolation. Children are separate OS processes: a crash in one (a panic,
// the runtime running out of memory, SIGKILL) ends only that process. The
// supervisor never exits because a child did.
//
// Bounded restarts. A child that keeps dying is restarted after a delay that
// doubles from MinBackoff to MaxBackoff; one that ran for ResetAfter starts
// again at MinBackoff.
//
// Clean stop. When the context is done every child gets SIGTERM, then
// SIGKILL after the grace period; Run returns once all have exited.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Backoff bounds. The minimum keeps a child that dies at start from
// spinning a core; the maximum keeps a transient cause (the database
// unreachable for a while) from delaying recovery by more than half a
// minute.
const (
	MinBackoff = 500 * time.Millisecond
	MaxBackoff = 30 * time.Second
	ResetAfter = time.Minute
)

// Supervisor runs N children made by Command.
type Supervisor struct {
	// N is how many children run at once.
	N int
	// Command returns the command for slot i's next run, whose identity
	// is id (fresh for every run, so a restarted child never shares a dead
	// one's identity). The supervisor sets nothing else on the command.
	Command func(slot int, id string) *exec.Cmd
	// NewID returns a fresh identity for a run.
	NewID func() string
	// Exited, if set, is called after a child exits, with its identity and
	// how it ended (nil for a clean exit), before the restart's backoff.
	Exited func(id string, err error)
	// Grace is how long a stopping child has between SIGTERM and SIGKILL.
	Grace  time.Duration
	Logger *slog.Logger

	mu   sync.Mutex
	pids map[int]int // slot → running child's pid
}

// Run starts the children and keeps them running until ctx is done, then
// stops them and returns.
func (s *Supervisor) Run(ctx context.Context) {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.mu.Lock() // PIDs may be called while Run starts
	s.pids = map[int]int{}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for slot := range s.N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.keep(ctx, slot)
		}()
	}
	wg.Wait()
}

// PIDs returns the process IDs of the running children, by slot.
func (s *Supervisor) PIDs() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.pids))
	for k, v := range s.pids {
		out[k] = v
	}
	return out
}

// keep runs slot's child again and again until ctx is done.
func (s *Supervisor) keep(ctx context.Context, slot int) {
	backoff := MinBackoff
	for ctx.Err() == nil {
		id := s.NewID()
		start := time.Now()
		err := s.runOnce(ctx, slot, id)
		if s.Exited != nil {
			s.Exited(id, err)
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) >= ResetAfter {
			backoff = MinBackoff
		}
		s.Logger.Warn("worker exited; restarting", "slot", slot, "id", id, "err", err, "after", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

// runOnce starts one child and waits for it, stopping it when ctx is done.
func (s *Supervisor) runOnce(ctx context.Context, slot int, id string) error {
	cmd := s.Command(slot, id)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("supervise: start %s: %w", id, err)
	}
	s.mu.Lock()
	s.pids[slot] = cmd.Process.Pid
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pids, slot)
		s.mu.Unlock()
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitErr(err)
	case <-ctx.Done():
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		return exitErr(err)
	case <-time.After(s.Grace):
		s.Logger.Warn("worker did not stop in time; killing", "id", id)
		cmd.Process.Kill()
		return exitErr(<-done)
	}
}

func exitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("supervise: %s", ee.ProcessState)
	}
	return err
}
