package hub_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/store"
)

// TestResumeBeforeRun: a client that resumes before the hub has started
// following the events table (a server just starting) gets the stored
// events from the database at once, and an event stored just before Run
// starts reaches it when Run starts, not at some later event.
func TestResumeBeforeRun(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "file:"+filepath.Join(t.TempDir(), "svgtrace.db"), "")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, store.Migrate(ctx, db))
	appendDeleted := func(id string) {
		t.Helper()
		_, err := store.AppendEvent(ctx, db, id, store.EventImageDeleted, nil)
		require.NoError(t, err)
	}
	for _, id := range []string{"a", "b", "c"} {
		appendDeleted(id)
	}

	h := hub.New(hub.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	// The welcome says where the events end, though the hub does not
	// follow them yet.
	require.NoError(t, ws.WriteJSON(hub.Hello{Header: hub.Header{V: hub.Version, Type: hub.TypeHello}}))
	var welcome hub.Welcome
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, ws.ReadJSON(&welcome))
	require.Equal(t, hub.TypeWelcome, welcome.Type)
	require.EqualValues(t, 3, welcome.LastEventID)
	require.NoError(t, ws.WriteJSON(hub.Resume{Header: hub.Header{V: hub.Version, Type: hub.TypeResume}}))

	// next returns the image id of the next image.deleted, within 10 s.
	next := func() string {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, data, err := ws.ReadMessage()
			require.NoError(t, err)
			var m struct {
				Type    string `json:"type"`
				ImageID string `json:"imageId"`
			}
			require.NoError(t, json.Unmarshal(data, &m))
			if m.Type == hub.TypeImageDeleted {
				return m.ImageID
			}
		}
	}
	for _, want := range []string{"a", "b", "c"} {
		require.Equal(t, want, next(), "before Run")
	}

	appendDeleted("d") // stored while the hub is not following yet
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	require.Equal(t, "d", next(), "when Run starts")
	appendDeleted("e") // followed by Run
	require.Equal(t, "e", next(), "after Run started")
}
