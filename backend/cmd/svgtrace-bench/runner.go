package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measured children are started by a runner: this program re-executed with
// runnerEnv set, which does nothing but start them, one request at a time.
//
// The reason is peak memory. Go starts children with vfork semantics
// (CLONE_VM), and on exec Linux carries the parent's high-water RSS into the
// child's ru_maxrss: a child of the harness, which decodes large renderings
// for the fidelity figures, would report at least the harness's own peak. The
// runner stays a few MiB (its own high-water mark, reported as the floor of
// every measurement), so getrusage's Maxrss of its children is theirs.
// Timing in the runner also keeps the harness's own work out of the figures.

const runnerEnv = "SVGTRACE_BENCH_RUNNER"

// A runRequest asks the runner to run Argv in Dir, standard output discarded
// and standard error to the file Stderr, with Env added to the runner's
// environment (less runnerEnv, which would make a child that is this program
// a runner too).
type runRequest struct {
	Dir    string
	Argv   []string
	Env    []string
	Stderr string
}

type runResponse struct {
	Nanos   int64
	MaxRSS  int64 // KiB, the child's ru_maxrss
	FloorKB int64 // KiB, the runner's VmHWM after the child (≥ when it started it)
	Err     string
}

// runnerMain serves requests from standard input until it closes.
func runnerMain() int {
	// Keep the heap, and so the floor, small: collect before every run, never
	// during one.
	debug.SetGCPercent(-1)
	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	enc := json.NewEncoder(os.Stdout)
	for {
		var req runRequest
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintln(os.Stderr, "svgtrace-bench runner:", err)
			return 1
		}
		if err := enc.Encode(serveRun(&req)); err != nil {
			return 1
		}
	}
}

func serveRun(req *runRequest) runResponse {
	if len(req.Argv) == 0 {
		return runResponse{Err: "empty command"}
	}
	errFile, err := os.Create(req.Stderr)
	if err != nil {
		return runResponse{Err: err.Error()}
	}
	defer errFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, req.Argv[0], req.Argv[1:]...)
	cmd.Dir = req.Dir
	cmd.Env = childEnv(os.Environ(), req.Env)
	cmd.Stderr = errFile // a file: no copying goroutine to wait for
	cmd.SysProcAttr = childAttr()
	runtime.GC()
	t0 := time.Now()
	err = cmd.Run()
	wall := time.Since(t0)
	// The peak now bounds the peak when the child was started.
	floor := selfHWM()
	if err != nil {
		msg, _ := os.ReadFile(req.Stderr)
		return runResponse{Err: fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(msg)))}
	}
	return runResponse{Nanos: wall.Nanoseconds(), MaxRSS: maxRSS(cmd.ProcessState), FloorKB: floor}
}

// childEnv returns environ without runnerEnv, with extra appended.
func childEnv(environ, extra []string) []string {
	env := make([]string, 0, len(environ)+len(extra))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, runnerEnv+"=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// selfHWM returns this process's peak RSS in KiB from /proc/self/status, or -1.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// A runner is the harness's side of a runner process.
type runner struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	enc     *json.Encoder
	dec     *json.Decoder
	errPath string
}

func startRunner(ctx context.Context, tmp string) (*runner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// Run a copy: the kernel maps in text pages around each page fault when
	// they are cached, and the harness's own work caches much of its binary,
	// which would raise the runner's RSS.
	runnerExe := filepath.Join(tmp, "svgtrace-bench-runner")
	if _, err := os.Stat(runnerExe); err != nil {
		data, err := os.ReadFile(exe)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(runnerExe, data, 0o755); err != nil {
			return nil, err
		}
	}
	exe = runnerExe
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), runnerEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &runner{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), dec: json.NewDecoder(stdout),
		errPath: filepath.Join(tmp, "stderr.txt")}, nil
}

// run runs argv in dir through the runner and measures it.
func (r *runner) run(dir string, argv []string) (sample, error) {
	return r.runEnv(dir, nil, argv)
}

// runEnv is run with variables added to the child's environment.
func (r *runner) runEnv(dir string, env, argv []string) (sample, error) {
	if err := r.enc.Encode(runRequest{Dir: dir, Argv: argv, Env: env, Stderr: r.errPath}); err != nil {
		return sample{}, fmt.Errorf("runner: %w", err)
	}
	var resp runResponse
	if err := r.dec.Decode(&resp); err != nil {
		return sample{}, fmt.Errorf("runner: %w", err)
	}
	if resp.Err != "" {
		return sample{}, fmt.Errorf("%s: %s", shellJoin(append(slices.Clone(env), argv...)), resp.Err)
	}
	s := sample{ms: float64(resp.Nanos) / 1e6, rssKB: float64(resp.MaxRSS), floorKB: float64(resp.FloorKB)}
	if resp.MaxRSS < 0 {
		s.rssKB = math.NaN()
	}
	return s, nil
}

// close ends the runner and waits for it.
func (r *runner) close() error {
	r.stdin.Close()
	return r.cmd.Wait()
}
