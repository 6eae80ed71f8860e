package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTwoServersOneDatabase runs two `svgtrace serve` processes on one
// database and data directory. A WebSocket client of the first sees what is
// uploaded to the second, added and traced, each event once and in order;
// reconnecting to the second server with the last event id it saw, it gets
// the events since, none twice.
func TestTwoServersOneDatabase(t *testing.T) {
	data := t.TempDir()
	a := startServer(t, serveOpts{workers: 1, data: data})
	b := startServer(t, serveOpts{workers: 1, data: data})

	ws := dialWS(t, a.URL)
	send(t, ws, map[string]any{"v": 1, "type": "hello"})
	welcome := readType(t, ws, "welcome")
	send(t, ws, map[string]any{"v": 1, "type": "resume", "lastEventId": welcome["lastEventId"]})

	img := b.upload(t, filePart("one.png", shapePNG(t, 1)))[0]
	added := readType(t, ws, "image.added")
	assert.Equal(t, img.ID, added["imageId"])
	traced := readType(t, ws, "traced")
	assert.Equal(t, img.ID, traced["imageId"])
	assert.Contains(t, traced["svg"], "<svg")
	last := traced["eventId"].(float64)
	ws.Close()

	// More happens while the client is away; it resumes on the other server.
	more := b.upload(t, filePart("two.png", shapePNG(t, 2)), filePart("three.png", shapePNG(t, 3)))
	b.waitTraced(t, traceWithin, more[0].ID, more[1].ID)
	ws2 := dialWS(t, b.URL)
	send(t, ws2, map[string]any{"v": 1, "type": "resume", "lastEventId": last})
	seen := map[float64]bool{}
	var addedIDs []string
	tracedIDs := map[string]bool{}
	prev := last
	for len(addedIDs) < 2 || len(tracedIDs) < 2 {
		m := readAny(t, ws2)
		id := m["eventId"].(float64)
		require.Greater(t, id, prev, "events in order, none repeated")
		require.False(t, seen[id])
		seen[id], prev = true, id
		switch m["type"] {
		case "image.added":
			addedIDs = append(addedIDs, m["imageId"].(string))
		case "traced":
			tracedIDs[m["imageId"].(string)] = true
		}
	}
	assert.ElementsMatch(t, []string{more[0].ID, more[1].ID}, addedIDs)
}

func dialWS(t *testing.T, base string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	return ws
}

func send(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	require.NoError(t, ws.WriteJSON(v))
}

func readAny(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(traceWithin))
	_, data, err := ws.ReadMessage()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// readType reads until a message of type typ, skipping others.
func readType(t *testing.T, ws *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for {
		if m := readAny(t, ws); m["type"] == typ {
			return m
		}
	}
}
