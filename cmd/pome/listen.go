package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pomehq/pome/internal/httpserver"
)

// httpServers are the HTTP servers of one `pome serve`: the main one, and
// those of --metrics-addr and --acme-http-addr. Every address is bound
// before any of them serves, so that a busy port stops serve before it
// answers anything; they stop together, and the first to fail stops them
// all.
type httpServers struct {
	log     *slog.Logger
	servers []boundServer
}

type boundServer struct {
	srv *http.Server
	ln  net.Listener
}

// listen binds addr for h, served over TLS when tlsConfig is not nil, and
// returns its server (whose Handler may be set until serve) and the address
// bound (port 0 picks one).
func (s *httpServers) listen(addr string, h http.Handler, tlsConfig *tls.Config) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.servers = append(s.servers, boundServer{srv, ln})
	return srv, ln.Addr().String(), nil
}

// close releases the addresses bound if serve never ran; after serve it
// does nothing (Shutdown closed them).
func (s *httpServers) close() {
	for _, b := range s.servers {
		b.ln.Close()
	}
}

// serve serves every bound address until ctx ends or one fails, then
// drains them all within shutdownTimeout. It returns the failure, if any.
func (s *httpServers) serve(ctx context.Context) error {
	served := make(chan error, len(s.servers))
	for _, b := range s.servers {
		// The timeouts above, without a runtime timer moved per request.
		ln := httpserver.CoarseDeadlines(b.ln)
		go func() {
			if b.srv.TLSConfig != nil {
				// ServeTLS, not a tls.Listener: it offers HTTP/2 (h2) in ALPN.
				served <- b.srv.ServeTLS(ln, "", "")
			} else {
				// Plaintext is where a proxy framing requests its own way
				// can sit in front (httpserver.GuardFraming).
				served <- b.srv.Serve(httpserver.GuardFraming(b.srv, ln))
			}
		}()
	}
	pending := len(s.servers)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		pending--
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	// Together: a slow scrape must not take the main server's time.
	var drained sync.WaitGroup
	for _, b := range s.servers {
		drained.Go(func() {
			if err := b.srv.Shutdown(sctx); err != nil {
				// Requests still running past the timeout are cut; what
				// they counted is still flushed when the node closes.
				s.log.Error("draining requests timed out", "err", err)
				b.srv.Close()
			}
		})
	}
	drained.Wait()
	for ; pending > 0; pending-- {
		if err := <-served; serveErr == nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}
