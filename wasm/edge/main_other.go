//go:build !(js && wasm)

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/svgtrace/svgtrace/wasm/edge/edgeapi"
)

// defaultAddr is loopback only: a local trace endpoint is for this
// machine's own tools, and the port is workers.Serve's default, 9900.
const defaultAddr = "127.0.0.1:9900"

// shutdownGrace is how long a SIGINT or SIGTERM waits for traces in
// flight: a placeholder trace takes well under a second.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "svgtrace edge:", err)
		}
		stop()
		os.Exit(1)
	}
}

// run parses args, listens and serves until ctx is done. ready, when not
// nil, gets the bound address once listening (for tests).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- net.Addr) error {
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := defaultAddr
	if env := os.Getenv("SVGTRACE_EDGE_ADDR"); env != "" {
		addr = env
	}
	fs.StringVar(&addr, "addr", addr, "address to listen on (default from SVGTRACE_EDGE_ADDR, else loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: edgeapi.New(edgeapi.Config{}),
		// Bounds for a slow or stalled client; a 16 MiB body at 1 MB/s
		// still arrives within ReadTimeout.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	fmt.Fprintf(stdout, "svgtrace edge: listening on http://%s (POST /trace)\n", ln.Addr())
	if ready != nil {
		ready <- ln.Addr()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
