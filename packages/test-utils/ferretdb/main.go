// Command ferretdb-launcher runs FerretDB v1.24.2 with its SQLite handler on a
// loopback address, for the test suites of mongo-session.
//
// It embeds FerretDB rather than using `go install .../cmd/ferretdb`, whose
// version check reads a generated file the module does not ship and panics.
// When the listener accepts connections it prints one line, "ready <uri>", on
// stdout; it runs until SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "", "directory for the SQLite files (created if missing)")
	logLevel := flag.String("log-level", "error", "debug, info, warn or error")
	flag.Parse()

	if *dataDir == "" {
		fail("-data is required")
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		fail("cannot create data directory: %v", err)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("bad -log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/",
	})
	if err != nil {
		fail("cannot start FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// MongoDBURI needs the listener running, so announce readiness from a
	// goroutine once the port really accepts connections.
	go func() {
		for ctx.Err() == nil {
			conn, err := net.DialTimeout("tcp", *listen, 200*time.Millisecond)
			if err == nil {
				conn.Close()
				fmt.Printf("ready %s\n", f.MongoDBURI())
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	if err := f.Run(ctx); err != nil {
		fail("FerretDB stopped: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb-launcher: "+format+"\n", args...)
	os.Exit(1)
}
