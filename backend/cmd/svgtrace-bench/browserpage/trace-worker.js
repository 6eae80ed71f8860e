// The benchmark's own Worker (a classic script): loads svgtrace.wasm with
// wasm_exec.js, as the embed module's worker.js does, and times
// svgtrace.trace, the wasm API, on the pixels it is sent.
//
//   in:  {pixels: Uint8ClampedArray, width, height, warmup, runs}
//   out: {ms: [...], svgBytes, timings} or {error}; timings are the stats
//        of the fastest run, by stage
'use strict';

importScripts('/wasm_exec.js');

const ready = (async () => {
  const go = new Go();
  const {instance} = await WebAssembly.instantiateStreaming(fetch('/svgtrace.wasm'), go.importObject);
  go.run(instance);
  for (let i = 0; !self.svgtrace && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  if (!self.svgtrace) throw new Error('the wasm module did not install globalThis.svgtrace');
  return self.svgtrace;
})();

self.onmessage = async (e) => {
  const {pixels, width, height, warmup, runs} = e.data;
  try {
    const api = await ready;
    let bytes = 0, timings = null, best = Infinity;
    for (let i = 0; i < warmup; i++) await api.trace(pixels, width, height, 4);
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await api.trace(pixels, width, height, 4);
      const t = performance.now() - t0;
      ms.push(t);
      bytes = r.stats.svgBytes;
      if (t < best) { best = t; timings = r.stats.timings; }
    }
    self.postMessage({ms, svgBytes: bytes, timings});
  } catch (err) {
    self.postMessage({error: String(err && err.message || err)});
  }
};
