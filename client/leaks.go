package client

import (
	"context"
	"net/http"
)

// LeakReport is the answer of POST /v1/keys/report-leak: Status is always
// LeakReceived, whatever the key was.
type LeakReport struct {
	Status string `json:"status"`
}

// LeakReceived is the status of every leak report.
const LeakReceived = "received"

// ReportLeak reports key as found published (POST /v1/keys/report-leak).
// It needs no credential: whoever finds a key may report it, and the
// server revokes it if it is an active key. The answer is the same
// whatever key was given, so nil says only that the report was received.
func (c *Client) ReportLeak(ctx context.Context, key string) error {
	body := struct {
		Key string `json:"key"`
	}{key}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/keys/report-leak", body: body, public: true, want: http.StatusAccepted}, nil)
	return err
}
