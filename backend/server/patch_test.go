package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/hub"
	"github.com/svgtrace/svgtrace/backend/server"
	"github.com/svgtrace/svgtrace/backend/store"
)

// maxText is the upload's bound on a title or alt text (maxFieldBytes),
// which PATCH shares.
const maxText = 64 << 10

// patch sends PATCH /api/images/{id} with body and, if given, the
// Authorization header auth.
func (e *env) patch(t *testing.T, id, body, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, e.srv.URL+"/api/images/"+id, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return e.do(t, req)
}

// patched requires a 200 to the PATCH and returns the image it answers.
func (e *env) patched(t *testing.T, id, body string) apiImage {
	t.Helper()
	resp, got := e.patch(t, id, body, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", got)
	var img apiImage
	require.NoError(t, json.Unmarshal(got, &img))
	return img
}

// updatedEvents returns the image.updated events' payloads of image id, in
// order.
func (e *env) updatedEvents(t *testing.T, id string) []apiImage {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(),
		`SELECT payload FROM events WHERE type = ? AND image_id = ? ORDER BY id`, store.EventImageUpdated, id)
	require.NoError(t, err)
	defer rows.Close()
	var out []apiImage
	for rows.Next() {
		var payload string
		require.NoError(t, rows.Scan(&payload))
		var p struct{ Image apiImage }
		require.NoError(t, json.Unmarshal([]byte(payload), &p), "%s", payload)
		out = append(out, p.Image)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestPatch(t *testing.T) {
	e := setup(t)
	data := pngImage(t, 32, 24, 1)
	up := e.upload(t, file("a.png", data), field("title", "Title"), field("alt", "Alt"))[0]
	svg := e.trace(t, up, data)

	// Run in order: each row starts from the text the previous one left.
	for _, tc := range []struct {
		name, body         string
		wantTitle, wantAlt string
		event              bool // an image.updated event is written
	}{
		{name: "AltOnly", body: `{"alt":"Two apples"}`, wantTitle: "Title", wantAlt: "Two apples", event: true},
		{name: "TitleOnly", body: `{"title":"Fruit"}`, wantTitle: "Fruit", wantAlt: "Two apples", event: true},
		{name: "Both", body: `{"title":"Fruits","alt":"Two apples and a pear"}`, wantTitle: "Fruits", wantAlt: "Two apples and a pear", event: true},
		{name: "SameValues", body: `{"title":"Fruits","alt":"Two apples and a pear"}`, wantTitle: "Fruits", wantAlt: "Two apples and a pear"},
		{name: "SameAltOnly", body: `{"alt":"Two apples and a pear"}`, wantTitle: "Fruits", wantAlt: "Two apples and a pear"},
		{name: "EmptyObject", body: `{}`, wantTitle: "Fruits", wantAlt: "Two apples and a pear"},
		{name: "ClearAlt", body: `{"alt":""}`, wantTitle: "Fruits", wantAlt: "", event: true},
		{name: "Unicode", body: `{"alt":"Zwei Äpfel \u00e0 la \"table\" 🍎"}`, wantTitle: "Fruits", wantAlt: `Zwei Äpfel à la "table" 🍎`, event: true},
		{name: "AtTheLimit", body: `{"alt":"` + strings.Repeat("a", maxText) + `"}`, wantTitle: "Fruits", wantAlt: strings.Repeat("a", maxText), event: true},
		{name: "Back", body: `{"alt":"Two apples and a pear"}`, wantTitle: "Fruits", wantAlt: "Two apples and a pear", event: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.updatedEvents(t, up.ID)
			got := e.patched(t, up.ID, tc.body)
			assert.Equal(t, tc.wantTitle, got.Title)
			assert.Equal(t, tc.wantAlt, got.Alt)
			assert.Equal(t, e.image(t, up.ID), got, "the answer is the image as GET shows it")
			assert.Equal(t, svg, got.SVG)
			assert.Nil(t, got.Created, "created is in upload answers only")

			evs := e.updatedEvents(t, up.ID)
			if !tc.event {
				assert.Equal(t, before, evs, "a PATCH that changes nothing writes no event")
				return
			}
			require.Len(t, evs, len(before)+1, "one image.updated event")
			ev := evs[len(evs)-1]
			assert.Equal(t, up.ID, ev.ID)
			assert.Equal(t, tc.wantTitle, ev.Title)
			assert.Equal(t, tc.wantAlt, ev.Alt)
			assert.Equal(t, store.StatusTraced, ev.Status, "the image as it is when changed")
			assert.Empty(t, ev.SVG, "as image.added carries it: lists' form, no markup")
		})
	}
	assert.Equal(t, 1, e.events(t, store.EventImageAdded), "a change adds no image")

	t.Run("Refused", func(t *testing.T) {
		want := e.image(t, up.ID)
		events := e.count(t, `SELECT count(*) FROM events`)
		for _, tc := range []struct {
			name, id, body string
			status         int
			code           string
		}{
			{name: "UnknownField", body: `{"alt":"x","caption":"y"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "OtherImageField", body: `{"status":"traced"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Number", body: `{"alt":3}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Bool", body: `{"title":true}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Null", body: `{"alt":null}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Array", body: `{"alt":["x"]}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "OneGoodOneBad", body: `{"title":"ok","alt":1}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "TopLevelArray", body: `[{"alt":"x"}]`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "TopLevelNull", body: `null`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "NotJSON", body: `alt=x`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Empty", body: ``, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "Trailing", body: `{"alt":"x"}{"alt":"y"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "AltTooLong", body: `{"alt":"` + strings.Repeat("a", maxText+1) + `"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "TitleTooLong", body: `{"title":"` + strings.Repeat("é", maxText/2+1) + `"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "BodyTooLong", body: `{"alt":"` + strings.Repeat(`\u0000`, 3*maxText) + `"}`, status: http.StatusBadRequest, code: server.CodeBadRequest},
			{name: "NoSuchImage", id: "nosuchimage", body: `{"alt":"x"}`, status: http.StatusNotFound, code: server.CodeNotFound},
			{name: "NoSuchImageNoChange", id: "nosuchimage", body: `{}`, status: http.StatusNotFound, code: server.CodeNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := tc.id
				if id == "" {
					id = up.ID
				}
				resp, body := e.patch(t, id, tc.body, "")
				requireError(t, resp, body, tc.status, tc.code)
				assert.Equal(t, want, e.image(t, up.ID), "nothing changed")
				assert.Equal(t, events, e.count(t, `SELECT count(*) FROM events`), "no event")
			})
		}
	})

	t.Run("SameLimitAsUpload", func(t *testing.T) {
		// The upload refuses the alt text PATCH refuses, and takes the one
		// it takes.
		resp, body := e.post(t, file("b.png", pngImage(t, 20, 20, 2)), field("alt", strings.Repeat("a", maxText+1)))
		requireError(t, resp, body, http.StatusBadRequest, server.CodeBadRequest)
		e.upload(t, file("b.png", pngImage(t, 20, 20, 2)), field("alt", strings.Repeat("a", maxText)))
	})
}

// TestPatchToken: with --token, PATCH needs it exactly as DELETE does, and
// a PATCH without it is refused before its body or image is looked at.
func TestPatchToken(t *testing.T) {
	const token = "sekrit"
	e := setup(t, func(c *server.Config) { c.Token = token })
	img, _, err := e.db.InsertImage(context.Background(), nil, store.Image{ContentHash: sha([]byte("a")),
		OptionsKey: "{}", MIME: "image/png", Bytes: 1, Width: 1, Height: 1, Alt: "Old"})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, auth string
		ok         bool
	}{
		{name: "None"},
		{name: "Wrong", auth: "Bearer sekriT"},
		{name: "Prefix", auth: "Bearer sekri"},
		{name: "Empty", auth: "Bearer "},
		{name: "NotBearer", auth: "Basic " + token},
		{name: "Right", auth: "Bearer " + token, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			del, delBody := e.request(t, http.MethodDelete, "/api/images/nosuchimage", http.Header{"Authorization": {tc.auth}})
			resp, body := e.patch(t, img.ID, `{"alt":"New `+tc.name+`"}`, tc.auth)
			if !tc.ok {
				requireError(t, del, delBody, http.StatusUnauthorized, server.CodeUnauthorized)
				requireError(t, resp, body, http.StatusUnauthorized, server.CodeUnauthorized)
				resp, body = e.patch(t, "nosuchimage", `not json`, tc.auth)
				requireError(t, resp, body, http.StatusUnauthorized, server.CodeUnauthorized)
				assert.Equal(t, "Old", e.image(t, img.ID).Alt)
				assert.Zero(t, e.events(t, store.EventImageUpdated))
				return
			}
			requireError(t, del, delBody, http.StatusNotFound, server.CodeNotFound)
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			assert.Equal(t, "New Right", e.image(t, img.ID).Alt)
			assert.Equal(t, 1, e.events(t, store.EventImageUpdated))
		})
	}
}

// TestHubImageUpdated: a PATCH reaches a connected client as
// image.updated, and a client resuming from before it gets it replayed,
// from the hub's memory and, from a hub started after the change, from the
// database.
func TestHubImageUpdated(t *testing.T) {
	db, tmp := openDB(t)
	e := serve(t, db, tmp)
	up := e.upload(t, file("a.png", pngImage(t, 40, 30, 1)), field("title", "a.png"), field("alt", "Old"))[0]
	var added int64
	require.NoError(t, db.QueryRow(`SELECT id FROM events WHERE type = ? AND image_id = ?`, store.EventImageAdded, up.ID).Scan(&added))

	live := e.dial(t, nil)
	live.send(hub.Hello{Header: hdr(hub.TypeHello)})
	welcome := live.next(hub.TypeWelcome)
	live.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: int64(welcome["lastEventId"].(float64))})

	e.patched(t, up.ID, `{"alt":"New"}`)
	var eventID int64
	require.NoError(t, db.QueryRow(`SELECT id FROM events WHERE type = ? AND image_id = ?`, store.EventImageUpdated, up.ID).Scan(&eventID))
	requireUpdated := func(t *testing.T, m map[string]any) {
		t.Helper()
		assert.Equal(t, up.ID, m["imageId"])
		assert.EqualValues(t, eventID, m["eventId"])
		img, ok := m["image"].(map[string]any)
		require.True(t, ok, "image.updated carries the image: %v", m)
		assert.Equal(t, up.ID, img["id"])
		assert.Equal(t, "New", img["alt"])
		assert.Equal(t, "a.png", img["title"], "a field not given keeps its value")
	}
	t.Run("Live", func(t *testing.T) { requireUpdated(t, live.next(hub.TypeImageUpdated)) })

	// A second server on the same database: its hub starts after the
	// change, so a resume from before it reads the events table.
	later := serve(t, db, tmp)
	for _, tc := range []struct {
		name string
		e    *env
	}{{"ResumeFromMemory", e}, {"ResumeFromDatabase", later}} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.e.dial(t, nil)
			// Wait until the hub has read where the events table ends
			// (welcome says so): before, a hub just started would serve
			// the resume from its empty memory.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				c.send(hub.Hello{Header: hdr(hub.TypeHello)})
				if int64(c.next(hub.TypeWelcome)["lastEventId"].(float64)) >= eventID {
					break
				}
				require.False(t, time.Now().After(deadline), "the hub never read the events table")
			}
			c.send(hub.Resume{Header: hdr(hub.TypeResume), LastEventID: added})
			requireUpdated(t, c.next(hub.TypeImageUpdated))
		})
	}

	// A PATCH that changes nothing sends nothing: the next message after
	// it is the following change's.
	e.patched(t, up.ID, `{"alt":"New"}`)
	e.patched(t, up.ID, `{"title":"Renamed"}`)
	m := live.next(hub.TypeImageUpdated)
	assert.Greater(t, m["eventId"].(float64), float64(eventID))
	assert.Equal(t, "Renamed", m["image"].(map[string]any)["title"])
	assert.Equal(t, "New", m["image"].(map[string]any)["alt"])
}
