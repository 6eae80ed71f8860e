package originals

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// staleTemp is the age past which a temporary upload file is a crash's
// leftover: an upload of the largest allowed size over a slow link takes
// minutes, never a day.
const staleTemp = 24 * time.Hour

var (
	// ErrTooLarge is returned by Stage when the input is longer than the limit.
	ErrTooLarge = errors.New("originals: too large")
	// ErrNotFound is returned by Open when no original has the hash.
	ErrNotFound = errors.New("originals: not found")
	// ErrBadHash is returned for a name that is not 64 lower-case hex digits.
	ErrBadHash = errors.New("originals: malformed hash")
	// ErrRead wraps Stage's failure to read its input (a client that went
	// away mid-upload, a malformed multipart body), as opposed to a failure
	// of the disk.
	ErrRead = errors.New("originals: reading the upload failed")
)

// Dir is a directory of originals: DIR/ab/abcdef… (the first two hex digits
// of the hash spread the files over 256 subdirectories, so no directory grows
// past a few thousand entries for a million images) and DIR/tmp for uploads
// in progress.
type Dir struct {
	root string
}

// Open opens (creating) the originals directory root and removes temporary
// files left by a crash.
func Open(root string) (*Dir, error) {
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("originals: open %s: %w", root, err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("originals: open %s: %w", root, err)
	}
	for _, e := range entries {
		// Another process sharing the directory may be staging an upload
		// right now; only files older than any upload can take are stale.
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
	return &Dir{root: root}, nil
}

// ValidHash reports whether h is 64 lower-case hex digits, the only names
// originals have.
func ValidHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Path returns where the original with hash h is (or would be) stored.
func (d *Dir) Path(h string) (string, error) {
	if !ValidHash(h) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, h)
	}
	return filepath.Join(d.root, h[:2], h), nil
}

// Open opens the original with hash h for reading.
func (d *Dir) Open(h string) (*os.File, error) {
	p, err := d.Path(h)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	if err != nil {
		return nil, fmt.Errorf("originals: open %s: %w", h, err)
	}
	return f, nil
}

// Remove deletes the original with hash h; an absent one is not an error.
func (d *Dir) Remove(h string) error {
	p, err := d.Path(h)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("originals: remove %s: %w", h, err)
	}
	return nil
}

// Staged is an upload copied to a temporary file: its hash and size are
// known, and it can be read (to check it is an image) before Commit moves it
// into place or Discard throws it away.
type Staged struct {
	Hash string // sha256 of the bytes, lower-case hex
	Size int64
	f    *os.File
	dir  *Dir
}

// Stage copies r into a temporary file, at most limit bytes (ErrTooLarge if
// r holds more), hashing as it goes, and fsyncs it. The caller must Commit
// or Discard the result.
func (d *Dir) Stage(r io.Reader, limit int64) (*Staged, error) {
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("originals: stage: %w", err)
	}
	s := &Staged{f: f, dir: d}
	h := sha256.New()
	src := &readErr{r: r}
	// One byte past the limit tells "exactly limit" from "more".
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(src, limit+1))
	if src.err != nil {
		err = fmt.Errorf("%w: %v", ErrRead, src.err)
	} else if err == nil && n > limit {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	} else if err != nil {
		err = fmt.Errorf("originals: stage: %w", err)
	} else if err = f.Sync(); err != nil {
		err = fmt.Errorf("originals: stage: %w", err)
	}
	if err != nil {
		s.Discard()
		return nil, err
	}
	s.Hash = hex.EncodeToString(h.Sum(nil))
	s.Size = n
	return s, nil
}

// readErr remembers the error its reader returned, other than io.EOF.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// ReaderAt returns the staged bytes for reading, from any offset.
func (s *Staged) ReaderAt() io.ReaderAt { return s.f }

// Reader returns a reader of the staged bytes from the start.
func (s *Staged) Reader() io.Reader { return io.NewSectionReader(s.f, 0, s.Size) }

// Commit moves the staged file to its content-addressed name. If that name
// exists already (the same bytes were uploaded before), the existing file is
// kept: it holds the same bytes.
func (s *Staged) Commit() error {
	final, _ := s.dir.Path(s.Hash) // a hash Stage computed is valid
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		s.Discard()
		return fmt.Errorf("originals: commit %s: %w", s.Hash, err)
	}
	tmp := s.f.Name()
	s.f.Close()
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("originals: commit %s: %w", s.Hash, err)
	}
	// The rename is durable only once the directory is synced.
	if dir, err := os.Open(filepath.Dir(final)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// Discard removes the staged file. It is safe to call more than once and
// after a failed Commit.
func (s *Staged) Discard() {
	s.f.Close()
	// After a successful Commit the temporary name no longer exists and
	// this does nothing.
	os.Remove(s.f.Name())
}

// Trashed is an original moved aside by Trash: Purge removes it for good,
// Restore puts it back. Both are no-ops on a nil *Trashed.
type Trashed struct {
	final, aside string
}

// Trash moves the original with hash h aside, to be purged once the
// transaction that deleted its last image commits, or restored if that
// transaction fails: the file is never gone while a committed image needs
// it. It returns nil, nil when there is no such file.
func (d *Dir) Trash(h string) (*Trashed, error) {
	final, err := d.Path(h)
	if err != nil {
		return nil, err
	}
	aside, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "trash-"+h[:8]+"-*")
	if err != nil {
		return nil, fmt.Errorf("originals: trash %s: %w", h, err)
	}
	aside.Close()
	if err := os.Rename(final, aside.Name()); err != nil {
		os.Remove(aside.Name())
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("originals: trash %s: %w", h, err)
	}
	return &Trashed{final: final, aside: aside.Name()}, nil
}

// Purge removes the trashed file.
func (t *Trashed) Purge() {
	if t != nil {
		os.Remove(t.aside)
	}
}

// Restore moves the trashed file back to its name.
func (t *Trashed) Restore() error {
	if t == nil {
		return nil
	}
	if err := os.Rename(t.aside, t.final); err != nil {
		return fmt.Errorf("originals: restore %s: %w", filepath.Base(t.final), err)
	}
	return nil
}

// Exists reports whether the original with hash h is stored.
func (d *Dir) Exists(h string) bool {
	p, err := d.Path(h)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}
