// Command edge is svgtrace's stateless trace endpoint for the edge: the
// handler of wasm/edge/edgeapi (POST /trace with an image's bytes, options
// in the query; GET / for usage) served on Cloudflare Workers by
// github.com/syumai/workers, or natively for local use.
//
// On Workers it is built with standard Go for GOOS=js GOARCH=wasm, beside
// syumai's JavaScript glue (make edge writes both into wasm/edge/build;
// wrangler.toml deploys that directory). Each request starts a fresh Go
// instance from the compiled module, so nothing survives from one request
// to the next; docs/edge.md has the sizes and start-up times.
//
// Natively,
//
//	go run ./wasm/edge [-addr 127.0.0.1:9900]
//
// serves the same handler with net/http on the loopback interface by
// default (-addr, or SVGTRACE_EDGE_ADDR, to change it). Unlike
// workers.Serve's native fallback, which listens on every interface and
// exits 0 without a word when its port is taken, it fails with a message
// and exit status 1 when it cannot listen (TestMainBusyPort).
//
// # Guarantees
//
//   - The answers are edgeapi's on both platforms: the same handler, and
//     tracecore's byte-identical output, so the Worker's SVG equals the
//     native one for the same bytes and options (TestWorkerd runs the
//     real bundle under workerd, Cloudflare's runtime, and compares).
//   - It imports tracecore, tracecore/imageio, edgeapi, syumai/workers
//     (js/wasm only) and the standard library: nothing of backend/.
package main
