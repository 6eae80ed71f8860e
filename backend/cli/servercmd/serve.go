package servercmd

import (
	"context"
	"flag"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
	"github.com/svgtrace/svgtrace/backend/supervise"
	"github.com/svgtrace/svgtrace/tracecore"
)

const serveUsage = `Usage: svgtrace serve [flags]

Runs the HTTP API (docs/api.md) on --addr, with its database and originals
under --data, and starts --workers trace worker processes, restarting any
that die. Every flag can also be set in the environment, as the variable
named after it. The database token for libsql:// and https:// URLs is read
from SVGTRACE_DB_AUTH_TOKEN only, so it never shows in a process list.
SIGINT or SIGTERM stops it gracefully.

Flags:
`

// shutdownGrace is how long requests in flight get to finish at shutdown.
const shutdownGrace = 10 * time.Second

// defaultWorkerNice lowers the workers' CPU priority: with one worker per
// core, traces would otherwise compete with request handling on equal terms,
// and an upload's 202 would wait behind them (make bench measured the 1.8 MB
// upload's p50 at 18 ms with idle workers and 38 ms with busy ones, on two
// cores). Traces still use every idle cycle.
const defaultWorkerNice = 10

// dbFlags are the database flags serve and worker share.
type dbFlags struct {
	url  string
	data string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", "./data", "data directory: originals, and the database file unless --db says otherwise")
	fs.StringVar(&d.url, "db", "", "database URL: file:PATH, libsql://HOST or https://HOST (default file:DATA/svgtrace.db)")
}

// open opens and migrates the database.
func (d *dbFlags) open(ctx context.Context, getenv func(string) string) (*store.DB, error) {
	if d.url == "" {
		d.url = "file:" + filepath.Join(d.data, "svgtrace.db")
	}
	db, err := store.Open(ctx, d.url, getenv("SVGTRACE_DB_AUTH_TOKEN"))
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (e *env) runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = flagUsage(e.stdout, fs, serveUsage)
	var (
		addr          = fs.String("addr", "127.0.0.1:8080", "address to listen on")
		workers       = fs.Int("workers", runtime.NumCPU(), "worker processes to start (0 when workers run elsewhere)")
		workerNice    = fs.Int("worker-nice", defaultWorkerNice, "nice value of the worker processes (Linux), so requests get the CPU before traces")
		maxUpload     = fs.Int64("max-upload-bytes", server.DefaultMaxUploadBytes, "largest original accepted, in bytes")
		maxPixels     = fs.Int64("max-pixels", tracecore.DefaultMaxPixels, "largest width×height accepted")
		maxDecode     = fs.Int64("max-decode-bytes", server.DefaultMaxDecodeBytes, "most memory decoding one image may hold, as reckoned from its header")
		workerToken   = fs.String("worker-token", "", "token remote workers fetch originals with (empty: no remote fetching)")
		adminPassword = fs.String("admin-password", "", "password of the job dashboard at /admin/jobs/ (empty: open)")
		token         = fs.String("token", "", "bearer token required for writes (uploads, deletes, the hub's plans and results); required beyond loopback")
		origins       = fs.String("allowed-origins", "", "comma-separated origins, besides the server's own, whose pages may use /ws")
		connsPerIP    = fs.Int("max-conns-per-ip", hub.DefaultMaxConnsPerIP, "WebSocket connections per client address")
		proxies       = fs.String("trusted-proxies", "", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client")
		clientBytes   = fs.Int64("client-max-bytes", hub.DefaultPolicy.ClientMaxBytes, "largest file a capable browser traces itself")
		clientPixels  = fs.Int64("client-max-pixels", hub.DefaultPolicy.ClientMaxPixels, "largest image, in pixels, a capable browser traces itself")
		queueWait     = fs.Duration("max-queue-wait", hub.DefaultPolicy.MaxQueueWait, "estimated backend wait over which the browser is asked to trace")
		clientDL      = fs.Duration("client-deadline", hub.DefaultPolicy.ClientDeadline, "time a browser has to send its trace before the backend traces")
		wasmDir       = fs.String("wasm-dir", "", "serve /wasm/ from this directory (go run ./wasm/build -o DIR) instead of the modules built into the binary")
		tolerance     = fs.Float64("plausibility-tolerance", server.DefaultPlausibilityTolerance, "share of pixels a browser's trace may get wrong (negative: no check)")
		dbf           dbFlags
		logf          logFlags
	)
	dbf.register(fs)
	logf.register(fs)
	if code, ok := e.parseServiceFlags("serve", fs, args); !ok {
		return code
	}
	if *workers < 0 {
		fmt.Fprintln(e.stderr, "svgtrace serve: --workers must be 0 or more")
		return exitUsage
	}
	if *token == "" && !loopbackOnly(*addr) {
		fmt.Fprintf(e.stderr, "svgtrace serve: listening on %s needs --token (SVGTRACE_TOKEN): without one anyone who reaches the port can upload and delete\n", *addr)
		return exitUsage
	}
	trusted, err := parsePrefixes(*proxies)
	if err != nil {
		fmt.Fprintf(e.stderr, "svgtrace serve: --trusted-proxies: %v\n", err)
		return exitUsage
	}
	log, ok := e.serviceLogger("serve", &logf)
	if !ok {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var wasmFS iofs.FS
	if *wasmDir != "" {
		wasmFS = os.DirFS(*wasmDir)
	}
	if err := serve(ctx, log, e.getenv, serveConfig{
		addr: *addr, workers: *workers, workerNice: *workerNice, db: dbf, log: logf,
		server: server.Config{MaxUploadBytes: *maxUpload, MaxPixels: *maxPixels, MaxDecodeBytes: *maxDecode,
			WorkerToken: *workerToken, AdminPassword: *adminPassword, Token: *token,
			AllowedOrigins: splitList(*origins), MaxConnsPerIP: *connsPerIP, TrustedProxies: trusted,
			PlausibilityTolerance: *tolerance, Wasm: wasmFS,
			Policy: hub.Policy{ClientMaxBytes: *clientBytes, ClientMaxPixels: *clientPixels,
				MaxQueueWait: *queueWait, ClientDeadline: *clientDL}},
	}); err != nil {
		log.Error("serve failed", "err", err)
		return exitFail
	}
	return exitOK
}

type serveConfig struct {
	addr       string
	workers    int
	workerNice int
	db         dbFlags
	log        logFlags
	server     server.Config
}

func serve(ctx context.Context, log *slog.Logger, getenv func(string) string, c serveConfig) error {
	db, err := c.db.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	dir, err := originals.Open(filepath.Join(c.db.data, "originals"))
	if err != nil {
		return err
	}
	ins, err := queue.NewInsertClient(db, log)
	if err != nil {
		return err
	}
	cfg := c.server
	cfg.DB, cfg.Originals, cfg.Queue, cfg.Logger = db, dir, ins, log
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	// Fail loudly when the port is taken, before anything else starts.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	if err := srv.Start(bg); err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("serving", "url", "http://"+ln.Addr().String(), "db", redacted(c.db.url), "workers", c.workers)

	// Sweep for lost jobs here too, so the queue heals with --workers 0.
	go sweepLoop(bg, db, ins, log)

	var sup *supervise.Supervisor
	supDone := make(chan struct{})
	if c.workers > 0 {
		sup, err = workerSupervisor(c, db, ins, log)
		if err != nil {
			hs.Close()
			return err
		}
		go func() { sup.Run(bg); close(supDone) }()
	} else {
		close(supDone)
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-served:
		stopBg()
		<-supDone
		return fmt.Errorf("http: %w", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		log.Warn("requests cut short at shutdown", "err", err)
	}
	stopBg() // workers get SIGTERM and finish their traces
	<-supDone
	log.Info("stopped")
	return nil
}

// workerSupervisor starts `svgtrace worker` children on the same database
// and data directory. When one exits its row is removed and the queue swept
// at once, so its job runs elsewhere within a second, not after the lease.
func workerSupervisor(c serveConfig, db *store.DB, ins *queue.Client, log *slog.Logger) (*supervise.Supervisor, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary for workers: %w", err)
	}
	return &supervise.Supervisor{
		N:     c.workers,
		NewID: queue.NewWorkerID,
		Command: func(slot int, id string) *exec.Cmd {
			cmd := exec.Command(exe, "worker", "--db", c.db.url, "--data", c.db.data, "--id", id,
				"--nice", strconv.Itoa(c.workerNice), "--log-level", c.log.level, "--log-format", c.log.format)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			supervise.DieWithParent(cmd)
			return cmd
		},
		Exited: func(id string, err error) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if rerr := db.RemoveWorker(ctx, id); rerr != nil {
				log.Warn("remove dead worker", "id", id, "err", rerr)
			}
			if n, serr := queue.Sweep(ctx, db, ins, queue.Lease); serr != nil {
				log.Warn("sweep after worker exit", "err", serr)
			} else if n > 0 {
				log.Warn("jobs of a dead worker requeued", "id", id, "jobs", n)
			}
		},
		Grace:  queue.StopGrace + 5*time.Second,
		Logger: log,
	}, nil
}

func sweepLoop(ctx context.Context, db *store.DB, ins *queue.Client, log *slog.Logger) {
	tick := time.NewTicker(queue.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n, err := queue.Sweep(ctx, db, ins, queue.Lease); err != nil && ctx.Err() == nil {
			log.Warn("sweep failed", "err", err)
		} else if n > 0 {
			log.Warn("lost jobs requeued", "jobs", n)
		}
	}
}

// loopbackOnly reports whether addr listens on loopback alone: a loopback
// IP or "localhost". An empty host (all interfaces) is not.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// redacted returns a database URL without its password, for logs.
func redacted(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable URL)"
}

// parsePrefixes reads a comma-separated list of addresses (a single host)
// and CIDR prefixes.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range splitList(list) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
