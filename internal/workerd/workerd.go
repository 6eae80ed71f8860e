// Package workerd builds wasm/edge's Workers bundle as make edge builds it
// and runs it under workerd, Cloudflare's own runtime (npm workerd), on a
// loopback socket: for wasm/edge's tests and svgtrace-bench's edge section.
//
// Guarantees: the socket is opened here and handed to workerd as a file
// descriptor (--socket-fd), so no port is chosen and lost in between, and
// it listens on 127.0.0.1 only; Start returns only once the Worker answers
// GET / with 200, or an error carrying workerd's output; Stop kills the
// process and waits for it, so nothing is left running.
package workerd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Modules are the Worker's modules, as make edge writes them: syumai's
// JavaScript glue and the Go wasm.
var Modules = []string{"worker.mjs", "wasm_exec.js", "runtime.mjs", "app.wasm"}

// CompatibilityDate is wasm/edge/wrangler.toml's: the runtime behaves as
// the deployed Worker does.
const CompatibilityDate = "2025-09-01"

// Build builds the bundle into dir from the module at root, as make edge
// does: syumai/workers' glue at the module's pinned version (go run
// PKG@VERSION would ask the proxy for the version list, which is refused
// here), then standard Go for js/wasm.
func Build(ctx context.Context, root, dir string) error {
	for _, args := range [][]string{
		{"run", "github.com/syumai/workers/cmd/workers-assets-gen", "-mode=go", "-o", dir},
		{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "app.wasm"), "./wasm/edge"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		if args[0] == "build" {
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("workerd: go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// Config returns workerd's capnp config for the bundle in the directory
// bundle, written to a file in dir: one Worker of the bundle's modules and
// one HTTP socket, given as a descriptor. capnp resolves an absolute embed
// path against its import path, not the file system, so the modules are
// named relative to dir.
func Config(dir, bundle string) (string, error) {
	var mods strings.Builder
	for _, f := range Modules {
		kind := "esModule"
		if strings.HasSuffix(f, ".wasm") {
			kind = "wasm"
		}
		rel, err := filepath.Rel(dir, filepath.Join(bundle, f))
		if err != nil {
			return "", fmt.Errorf("workerd: %w", err)
		}
		fmt.Fprintf(&mods, "    (name = %q, %s = embed %q),\n", f, kind, rel)
	}
	return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .edge)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const edge :Workerd.Worker = (
  modules = [
` + mods.String() + `  ],
  compatibilityDate = "` + CompatibilityDate + `",
);
`, nil
}

// A Process is a running workerd.
type Process struct {
	// URL is the Worker's base URL, http://127.0.0.1:PORT.
	URL string
	// Ready is the time from the start to the first 200 answer to GET /:
	// compiling the module and starting a Go instance.
	Ready time.Duration

	cmd    *exec.Cmd
	out    lockedBuffer
	exited chan struct{}
}

// readyPoll is how often Start asks whether workerd answers: often enough
// that Ready is not padded by much, on a process that takes ~0.2–1 s.
const readyPoll = 2 * time.Millisecond

// Start runs bin (workerd) on the bundle in the directory bundle, its
// config written into dir, and waits up to within for the Worker to answer
// GET / with 200. ctx bounds the process's life.
func Start(ctx context.Context, bin, bundle, dir string, within time.Duration) (*Process, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	text, err := Config(dir, abs)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "config.capnp")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	lf, err := ln.(*net.TCPListener).File()
	ln.Close() // lf keeps the socket listening, for workerd
	if err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	defer lf.Close()

	p := &Process{URL: "http://" + ln.Addr().String(), exited: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, bin, "serve", conf, "--socket-fd", "http=3")
	p.cmd.ExtraFiles = []*os.File{lf} // descriptor 3
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()

	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(p.URL + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.Ready = time.Since(start)
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("workerd: exited before answering:\n%s", p.Output())
		case <-time.After(readyPoll):
		}
		if time.Since(start) > within {
			p.Stop()
			return nil, fmt.Errorf("workerd: not ready within %v (last error %v):\n%s", within, err, p.Output())
		}
	}
}

// Stop kills workerd and waits for it to exit.
func (p *Process) Stop() {
	p.cmd.Process.Kill()
	<-p.exited
}

// Output is what workerd has printed so far.
func (p *Process) Output() string { return p.out.String() }

// errNoCPU says the CPU time cannot be read here.
var errNoCPU = errors.New("workerd: no /proc/PID/stat")

// CPU returns the process's user and system CPU time so far, from
// /proc/PID/stat (Linux).
func (p *Process) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, errNoCPU
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (USER_HZ, 100 on
	// Linux).
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, errNoCPU
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errNoCPU
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// CPUMillis is CPU in milliseconds, NaN where it cannot be read.
func (p *Process) CPUMillis() float64 {
	d, err := p.CPU()
	if err != nil {
		return math.NaN()
	}
	return float64(d) / float64(time.Millisecond)
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
