//go:build !linux

package main

import (
	"os"
	"syscall"
)

// maxRSS is unknown off Linux: ru_maxrss units differ between systems.
func maxRSS(*os.ProcessState) int64 { return -1 }

func childAttr() *syscall.SysProcAttr { return nil }
