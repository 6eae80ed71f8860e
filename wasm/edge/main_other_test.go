//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets TestMainBusyPort run this binary's main as the command.
func TestMain(m *testing.M) {
	if os.Getenv("SVGTRACE_EDGE_RUN_MAIN") == "1" {
		os.Args = append([]string{"edge"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	t.Run("ServesLoopbackByDefault", func(t *testing.T) {
		t.Setenv("SVGTRACE_EDGE_ADDR", "127.0.0.1:0") // the default host, any port
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan net.Addr, 1)
		done := make(chan error, 1)
		var out bytes.Buffer
		go func() { done <- run(ctx, nil, &out, io.Discard, ready) }()
		var addr net.Addr
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("run: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("not listening within 10 s")
		}
		assert.True(t, addr.(*net.TCPAddr).IP.IsLoopback(), "listening on %v", addr)
		resp, err := http.Get("http://" + addr.String() + "/")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		cancel()
		require.NoError(t, <-done)
		assert.Contains(t, out.String(), "listening on http://127.0.0.1:")
	})
	t.Run("DefaultAddr", func(t *testing.T) {
		assert.Equal(t, "127.0.0.1:9900", defaultAddr)
	})
	t.Run("BadArgs", func(t *testing.T) {
		err := run(context.Background(), []string{"extra"}, io.Discard, io.Discard, nil)
		assert.ErrorContains(t, err, "unexpected arguments")
	})
}

// TestMainBusyPort runs the command on a port already taken: it must say
// so and exit non-zero, where workers.Serve's native fallback exits 0.
func TestMainBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	t.Run("Run", func(t *testing.T) {
		err := run(context.Background(), []string{"-addr", ln.Addr().String()}, io.Discard, io.Discard, nil)
		assert.ErrorContains(t, err, "listen:")
	})
	t.Run("Process", func(t *testing.T) {
		exe, err := os.Executable()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "-addr", ln.Addr().String())
		cmd.Env = append(os.Environ(), "SVGTRACE_EDGE_RUN_MAIN=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "stderr: %s", stderr.String())
		assert.Equal(t, 1, ee.ExitCode())
		assert.Contains(t, stderr.String(), "svgtrace edge: listen:")
		assert.Contains(t, stderr.String(), "address already in use")
	})
}
