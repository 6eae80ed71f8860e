// Command svgtrace traces images into SVG placeholders.
//
//	svgtrace trace [flags] FILE|DIR|-...   trace images to SVG (see svgtrace help trace)
//	svgtrace version                       print the version
package main

import (
	"os"

	"github.com/svgtrace/svgtrace/backend/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
