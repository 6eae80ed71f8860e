package originals

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func setup(t *testing.T) (*Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "originals")
	d, err := Open(root)
	require.NoError(t, err)
	return d, root
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tmpFiles lists DIR/tmp.
func tmpFiles(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// stage stages and commits data.
func stage(t *testing.T, d *Dir, data []byte) string {
	t.Helper()
	st, err := d.Stage(bytes.NewReader(data), int64(len(data))+1)
	require.NoError(t, err)
	require.NoError(t, st.Commit())
	return st.Hash
}

func TestStage(t *testing.T) {
	data := []byte("hello, original")
	tests := []struct {
		name    string
		limit   int64
		wantErr error
	}{
		{name: "UnderLimit", limit: int64(len(data)) + 10},
		{name: "ExactlyLimit", limit: int64(len(data))},
		{name: "OneOverLimit", limit: int64(len(data)) - 1, wantErr: ErrTooLarge},
		{name: "ZeroLimit", limit: 0, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, root := setup(t)
			st, err := d.Stage(bytes.NewReader(data), tt.limit)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, st)
				assert.Empty(t, tmpFiles(t, root), "the temporary file is removed")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sum(data), st.Hash)
			assert.Equal(t, int64(len(data)), st.Size)
			assert.Len(t, tmpFiles(t, root), 1)
			got, err := io.ReadAll(st.Reader())
			require.NoError(t, err)
			assert.Equal(t, data, got)
			buf := make([]byte, 8)
			_, err = st.ReaderAt().ReadAt(buf, 7)
			require.NoError(t, err)
			assert.Equal(t, data[7:15], buf)
			st.Discard()
		})
	}

	t.Run("Empty", func(t *testing.T) {
		d, _ := setup(t)
		st, err := d.Stage(bytes.NewReader(nil), 10)
		require.NoError(t, err)
		defer st.Discard()
		assert.Equal(t, int64(0), st.Size)
		assert.Equal(t, sum(nil), st.Hash)
	})

	t.Run("ReadError", func(t *testing.T) {
		d, root := setup(t)
		boom := errors.New("boom")
		_, err := d.Stage(io.MultiReader(strings.NewReader("abc"), errReader{boom}), 100)
		require.ErrorIs(t, err, ErrRead, "a failure of the input, not of the disk")
		assert.Contains(t, err.Error(), "boom")
		assert.Empty(t, tmpFiles(t, root))
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestCommit(t *testing.T) {
	t.Run("MovesIntoPlace", func(t *testing.T) {
		d, root := setup(t)
		data := []byte("some image bytes")
		st, err := d.Stage(bytes.NewReader(data), 100)
		require.NoError(t, err)
		assert.False(t, d.Exists(st.Hash))
		require.NoError(t, st.Commit())
		st.Discard() // after Commit, a no-op
		assert.True(t, d.Exists(st.Hash))
		assert.Empty(t, tmpFiles(t, root))

		p, err := d.Path(st.Hash)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(root, st.Hash[:2], st.Hash), p)
		f, err := d.Open(st.Hash)
		require.NoError(t, err)
		defer f.Close()
		got, err := io.ReadAll(f)
		require.NoError(t, err)
		assert.Equal(t, data, got)
	})

	t.Run("SameBytesTwice", func(t *testing.T) {
		d, root := setup(t)
		data := []byte("twice")
		h1 := stage(t, d, data)
		h2 := stage(t, d, data)
		assert.Equal(t, h1, h2)
		assert.Empty(t, tmpFiles(t, root))
		entries, err := os.ReadDir(filepath.Join(root, h1[:2]))
		require.NoError(t, err)
		assert.Len(t, entries, 1)
	})

	t.Run("Discard", func(t *testing.T) {
		d, root := setup(t)
		st, err := d.Stage(strings.NewReader("discard me"), 100)
		require.NoError(t, err)
		st.Discard()
		st.Discard() // twice is fine
		assert.Empty(t, tmpFiles(t, root))
		assert.False(t, d.Exists(st.Hash))
	})
}

func TestOpenNotFound(t *testing.T) {
	d, _ := setup(t)
	_, err := d.Open(sum([]byte("never stored")))
	require.ErrorIs(t, err, ErrNotFound)
	assert.NoError(t, d.Remove(sum([]byte("never stored"))), "removing an absent original is fine")
}

func TestValidHash(t *testing.T) {
	good := sum([]byte("x"))
	assert.True(t, ValidHash(good))
	bad := []string{
		"",
		good[:63],
		good + "0",
		strings.ToUpper(good),
		"../" + good[3:],
		good[:2] + "/" + good[3:],
		"..%2f..%2fetc" + good[13:],
		"/etc/passwd",
		good[:63] + "g",
		good[:63] + "\x00",
		strings.Repeat(".", 64),
	}
	d, root := setup(t)
	// A file beside the directory that a path trick would reach.
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(root), "secret"), []byte("secret"), 0o644))
	for _, h := range bad {
		assert.False(t, ValidHash(h), "%q", h)
		_, err := d.Path(h)
		assert.ErrorIs(t, err, ErrBadHash, "%q", h)
		_, err = d.Open(h)
		assert.ErrorIs(t, err, ErrBadHash, "%q", h)
		assert.ErrorIs(t, d.Remove(h), ErrBadHash, "%q", h)
		_, err = d.Trash(h)
		assert.ErrorIs(t, err, ErrBadHash, "%q", h)
		assert.False(t, d.Exists(h), "%q", h)
	}
	for _, h := range []string{"../secret", "..%2fsecret"} {
		_, err := d.Open(h)
		assert.ErrorIs(t, err, ErrBadHash)
	}
	assert.FileExists(t, filepath.Join(filepath.Dir(root), "secret"))
}

func TestTrash(t *testing.T) {
	t.Run("Purge", func(t *testing.T) {
		d, root := setup(t)
		h := stage(t, d, []byte("purge me"))
		tr, err := d.Trash(h)
		require.NoError(t, err)
		require.NotNil(t, tr)
		assert.False(t, d.Exists(h))
		_, err = d.Open(h)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Len(t, tmpFiles(t, root), 1, "moved aside into tmp")
		tr.Purge()
		assert.Empty(t, tmpFiles(t, root))
		assert.False(t, d.Exists(h))
	})

	t.Run("Restore", func(t *testing.T) {
		d, root := setup(t)
		data := []byte("restore me")
		h := stage(t, d, data)
		tr, err := d.Trash(h)
		require.NoError(t, err)
		require.NoError(t, tr.Restore())
		assert.True(t, d.Exists(h))
		assert.Empty(t, tmpFiles(t, root))
		f, err := d.Open(h)
		require.NoError(t, err)
		defer f.Close()
		got, err := io.ReadAll(f)
		require.NoError(t, err)
		assert.Equal(t, data, got)
	})

	t.Run("Absent", func(t *testing.T) {
		d, root := setup(t)
		tr, err := d.Trash(sum([]byte("never stored")))
		require.NoError(t, err)
		assert.Nil(t, tr)
		assert.Empty(t, tmpFiles(t, root), "no placeholder left behind")
		// Both are no-ops on nil.
		tr.Purge()
		assert.NoError(t, tr.Restore())
	})
}

func TestRemove(t *testing.T) {
	d, _ := setup(t)
	h := stage(t, d, []byte("remove me"))
	require.NoError(t, d.Remove(h))
	assert.False(t, d.Exists(h))
	require.NoError(t, d.Remove(h))
}

func TestOpenRemovesStaleTemp(t *testing.T) {
	d, root := setup(t)
	h := stage(t, d, []byte("kept"))
	tmp := filepath.Join(root, "tmp")
	stale := filepath.Join(tmp, "upload-stale")
	fresh := filepath.Join(tmp, "upload-fresh")
	require.NoError(t, os.WriteFile(stale, []byte("crash leftover"), 0o644))
	require.NoError(t, os.WriteFile(fresh, []byte("in progress elsewhere"), 0o644))
	old := time.Now().Add(-staleTemp - time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	d2, err := Open(root)
	require.NoError(t, err)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "a recent temporary file may be another process's upload")
	assert.True(t, d2.Exists(h), "originals are untouched")
	_ = d
}

func TestOpenCreates(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b", "originals")
	_, err := Open(root)
	require.NoError(t, err)
	assert.DirExists(t, filepath.Join(root, "tmp"))

	// A root that is a file cannot be opened.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Open(file)
	assert.Error(t, err)
}
