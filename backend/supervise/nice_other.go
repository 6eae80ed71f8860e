//go:build !linux

package supervise

// LowerPriority does nothing outside Linux.
func LowerPriority(n int) error { return nil }
