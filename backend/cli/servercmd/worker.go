package servercmd

import (
	"context"
	"flag"
	"fmt"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/backend/queue"
	"github.com/svgtrace/svgtrace/backend/supervise"
)

const workerUsage = `Usage: svgtrace worker [flags]

Works trace jobs from the database: reads each image's original, traces it
and stores the placeholder. svgtrace serve starts its own workers; run this
on other machines with the same --db URL (and SVGTRACE_DB_AUTH_TOKEN), and
--server with SVGTRACE_WORKER_TOKEN to fetch originals from the server
instead of a shared --data directory (docs/workers.md). Every flag can also
be set in the environment. SIGINT or SIGTERM stops it after the traces in
hand finish.

Flags:
`

func (e *env) runWorker(args []string) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = flagUsage(e.stdout, fs, workerUsage)
	var (
		id          = fs.String("id", "", "worker ID, unique among live workers (default host-pid-random)")
		concurrency = fs.Int("concurrency", 1, "traces at once")
		serverURL   = fs.String("server", "", "fetch originals from this svgtrace server instead of DATA/originals")
		workerToken = fs.String("worker-token", "", "the server's worker token, with --server")
		nice        = fs.Int("nice", 0, "run at this nice value (Linux; serve passes --worker-nice)")
		dbf         dbFlags
		logf        logFlags
	)
	dbf.register(fs)
	logf.register(fs)
	if code, ok := e.parseServiceFlags("worker", fs, args); !ok {
		return code
	}
	if *serverURL != "" && *workerToken == "" {
		fmt.Fprintln(e.stderr, "svgtrace worker: --server needs --worker-token (or SVGTRACE_WORKER_TOKEN)")
		return exitUsage
	}
	if *id == "" {
		*id = queue.NewWorkerID()
	}
	log, ok := e.serviceLogger("worker", &logf, "worker", *id)
	if !ok {
		return exitUsage
	}
	if err := supervise.LowerPriority(*nice); err != nil {
		log.Warn("could not lower priority", "err", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, err := dbf.open(ctx, e.getenv)
	if err != nil {
		log.Error("worker failed", "err", err)
		return exitFail
	}
	defer db.Close()
	var src queue.Originals
	if *serverURL != "" {
		src = queue.RemoteOriginals{BaseURL: *serverURL, Token: *workerToken}
	} else {
		dir, err := originals.Open(filepath.Join(dbf.data, "originals"))
		if err != nil {
			log.Error("worker failed", "err", err)
			return exitFail
		}
		src = queue.LocalOriginals{Dir: dir}
	}
	err = queue.RunWorker(ctx, queue.WorkerConfig{DB: db, Originals: src, ID: *id, Concurrency: *concurrency, Logger: log})
	if err != nil {
		log.Error("worker stopped", "err", err)
		return exitFail
	}
	return exitOK
}
