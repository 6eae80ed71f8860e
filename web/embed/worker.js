// svgtrace embed Worker (a classic Worker script): loads wasm_exec.js and
// svgtrace.wasm, decodes each input with createImageBitmap (EXIF orientation
// applied by the browser), or a large JPEG at reduced scale with WebCodecs'
// ImageDecoder (scaledJPEG), downscales it on an OffscreenCanvas and traces
// the pixels with globalThis.svgtrace.trace. Messages (see svgtrace.js):
//
//   in:  {type: 'init', wasmURL, wasmExecURL}
//        {type: 'trace', id, input, options}   input: Blob | ImageBitmap | ImageData
//        {type: 'cancel', id}
//   out: {type: 'ready', id: 0, version}
//        {type: 'progress', id, stage, fraction}
//        {type: 'result', id, result}
//        {type: 'error', id, error: {name, message, code}}
'use strict';

// The placeholder preset's maxside (tracecore.PlaceholderOptions), used when
// the options do not name one; null means DefaultOptions' 0, no limit.
const PLACEHOLDER_MAXSIDE = 400;

let ready = null;          // Promise of the svgtrace API, once init arrived
const jobs = new Map();    // id → {cancelled, handle}

self.onmessage = (e) => {
  const m = e.data;
  switch (m && m.type) {
    case 'init':
      ready = load(m.wasmURL, m.wasmExecURL);
      ready.then(
        (api) => self.postMessage({type: 'ready', id: 0, version: String(api.version)}),
        (err) => self.postMessage({type: 'error', id: 0, error: plainError(err, 'load')}));
      break;
    case 'trace':
      run(m.id, m.input, m.options);
      break;
    case 'cancel': {
      const job = jobs.get(m.id);
      if (job) {
        job.cancelled = true;
        if (job.handle) job.handle.cancel();
      }
      break;
    }
  }
};

async function load(wasmURL, wasmExecURL) {
  try {
    importScripts(wasmExecURL); // defines globalThis.Go
  } catch (e) {
    throw coded(`svgtrace: cannot load ${wasmExecURL}: ${e.message}`, 'load');
  }
  const go = new Go();
  let inst;
  try {
    inst = (await WebAssembly.instantiateStreaming(fetchOK(wasmURL), go.importObject)).instance;
  } catch (e) {
    if (e && e.code === 'load') throw e;
    // A server that does not send application/wasm: compile from the bytes.
    const buf = await (await fetchOK(wasmURL)).arrayBuffer();
    try {
      inst = (await WebAssembly.instantiate(buf, go.importObject)).instance;
    } catch (e2) {
      throw coded(`svgtrace: cannot instantiate ${wasmURL}: ${e2.message}`, 'load');
    }
  }
  go.run(inst); // runs main until it blocks, which installs svgtrace; never resolves
  for (let i = 0; !self.svgtrace && i < 100; i++) await new Promise((r) => setTimeout(r, 10));
  if (!self.svgtrace) throw coded('svgtrace: the wasm module did not install globalThis.svgtrace', 'load');
  return self.svgtrace;
}

async function fetchOK(url) {
  let res;
  try {
    res = await fetch(url, {credentials: 'same-origin'});
  } catch (e) {
    throw coded(`svgtrace: cannot fetch ${url}: ${e.message}`, 'load');
  }
  if (!res.ok) throw coded(`svgtrace: cannot fetch ${url}: HTTP ${res.status}`, 'load');
  return res;
}

async function run(id, input, options) {
  const job = {cancelled: false, handle: null};
  jobs.set(id, job);
  const progress = (stage, fraction) => self.postMessage({type: 'progress', id, stage, fraction});
  try {
    if (!ready) throw coded('svgtrace: the Worker was not initialised', 'internal');
    const api = await ready;
    options = parseOptions(options);
    const px = await pixels(input, maxSide(options), progress);
    if (job.cancelled) throw coded('svgtrace: the trace was aborted', 'cancelled', 'AbortError');
    // Pixels downscaled here stand for the whole image: the SVG keeps its
    // width and height (tracecore.Reduced), the viewBox is the traced size.
    const imageSize = px.imageWidth !== px.width || px.imageHeight !== px.height
      ? {width: px.imageWidth, height: px.imageHeight} : undefined;
    job.handle = api.trace(px.data, px.width, px.height, 4, options, progress, imageSize);
    const result = await job.handle;
    self.postMessage({type: 'result', id, result});
  } catch (err) {
    self.postMessage({type: 'error', id, error: plainError(err, 'internal')});
  } finally {
    jobs.delete(id);
  }
}

// parseOptions returns options as an object (the wasm takes JSON text too,
// but the Worker reads maxside from it).
function parseOptions(options) {
  if (options == null || options === '') return undefined;
  if (typeof options === 'string') {
    try {
      return JSON.parse(options);
    } catch (e) {
      throw coded(`svgtrace: options are not JSON: ${e.message}`, 'invalid_options');
    }
  }
  return options;
}

function maxSide(options) {
  if (!options || !('maxside' in options) || options.maxside === undefined) return PLACEHOLDER_MAXSIDE;
  const n = options.maxside;
  return typeof n === 'number' && n > 0 ? n : 0; // null: no limit; the wasm rejects the invalid
}

// pixels returns the RGBA pixels to trace: {data, width, height} and the
// size of the image they stand for, {imageWidth, imageHeight}.
async function pixels(input, maxside, progress) {
  if (input instanceof ImageData) {
    // Pixels as they are: the wasm downscales them itself, exactly as native
    // tracecore does (area averaging), for byte-identical output.
    return {data: input.data, width: input.width, height: input.height, imageWidth: input.width, imageHeight: input.height};
  }
  progress('decode', 0);
  if (input instanceof Blob) {
    const px = await scaledJPEG(input, maxside);
    if (px) {
      progress('decode', 1);
      return px;
    }
  }
  let bitmap = input;
  if (!(input instanceof ImageBitmap)) {
    try {
      bitmap = await createImageBitmap(input, {imageOrientation: 'from-image'});
    } catch (e) {
      throw coded(`svgtrace: the browser cannot decode the image: ${e.message}`, 'decode');
    }
  }
  try {
    const W = bitmap.width, H = bitmap.height;
    const [w, h] = targetSize(W, H, maxside);
    const data = draw(bitmap, w, h);
    progress('decode', 1);
    return {data, width: w, height: h, imageWidth: W, imageHeight: H};
  } finally {
    bitmap.close();
  }
}

// draw returns the RGBA pixels of src (an ImageBitmap or a VideoFrame, as
// shown: oriented) drawn at w×h with the canvas's best smoothing, an
// area-like average when it shrinks, as tracecore's own downscale is.
function draw(src, w, h) {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}

// A large JPEG shrunk to a placeholder need not be decoded at full size:
// libjpeg decodes at n/8 of it (n = 1…8) with a reduced inverse DCT, whose
// 1/8 is each 8×8 block's average (its DC coefficient), and Chromium's
// WebCodecs ImageDecoder asks for that when given a desired size. Of a
// progressive JPEG, most of the decoding time goes to the AC scans even
// then; at 1/8 only the leading DC scans matter, so only they are decoded:
// the file cut after them and ended with EOI, which libjpeg decodes as a
// progressive image whose later scans have not arrived. picos.jpg (3264×2448,
// progressive, 1.8 MB; its DC scan the first 118 KB) decodes and shrinks to
// 400×300 in ~30 ms so, ~110 ms with createImageBitmap (Chromium 156, 2
// cores); a baseline JPEG of it at 1/8 in ~25 ms, ~75 ms.
//
// scaledJPEG is that path: the pixels as pixels() returns them, or null
// when it does not apply or anything about it fails (no ImageDecoder, not a
// JPEG it knows, no smaller scale to use, the decoder's frame not of the
// size and orientation the header says), and pixels() decodes the whole
// image as before, with its errors.
async function scaledJPEG(blob, maxside) {
  if (maxside <= 0 || typeof ImageDecoder !== 'function' || typeof OffscreenCanvas !== 'function') return null;
  let dec = null, frame = null;
  try {
    const head = new Uint8Array(await blob.slice(0, JPEG_HEAD_BYTES).arrayBuffer());
    const hdr = jpegHeader(head);
    if (!hdr) return null;
    const turned = hdr.orientation >= 5; // shown turned a quarter: width and height swap
    const W = turned ? hdr.height : hdr.width, H = turned ? hdr.width : hdr.height;
    const [w, h] = targetSize(W, H, maxside);
    const n = jpegScale(hdr.width, hdr.height, turned ? h : w, turned ? w : h);
    if (n > JPEG_MAX_SCALE) return null;
    let data = null;
    if (n === 1 && hdr.progressive) {
      // The head holds the DC scans of most photos (picos.jpg's end at
      // 118 KB); only when it does not is more read.
      let bytes = head, end = jpegDCEnd(head, hdr);
      const limit = Math.floor(blob.size * JPEG_DC_SHARE);
      if (end < 0 && hdr.scan > 0 && limit > head.length) {
        bytes = new Uint8Array(await blob.slice(0, limit).arrayBuffer());
        end = jpegDCEnd(bytes, hdr);
      }
      if (end > 0) {
        data = new Uint8Array(end + 2);
        data.set(bytes.subarray(0, end));
        data[end] = 0xff; // EOI
        data[end + 1] = 0xd9;
      }
    }
    if (!data) data = new Uint8Array(await blob.arrayBuffer());
    // libjpeg's scaled size rounds up (jdiv_round_up); Chromium picks the
    // largest scale whose pixels fit the desired area, so this one.
    const sw = Math.ceil(hdr.width * n / 8), sh = Math.ceil(hdr.height * n / 8);
    dec = new ImageDecoder({data, type: 'image/jpeg', desiredWidth: sw, desiredHeight: sh});
    frame = (await dec.decode()).image;
    // The frame shows oriented (displayWidth/Height and drawImage apply its
    // rotation and flip); a browser that read another orientation, or
    // decoded at another scale, would trace another picture than
    // createImageBitmap's.
    if (frame.displayWidth !== (turned ? sh : sw) || frame.displayHeight !== (turned ? sw : sh)) return null;
    return {data: draw(frame, w, h), width: w, height: h, imageWidth: W, imageHeight: H};
  } catch (e) {
    return null;
  } finally {
    if (frame) frame.close();
    if (dec) dec.close();
  }
}

// How much of a Blob scaledJPEG reads for the header: the segments before
// the first scan, which hold the frame header and the EXIF orientation.
// An APP1 segment holds at most 64 KiB, so 128 KiB reaches past the EXIF
// segment whatever precedes it in practice (tracecore/imageio's
// exifScanLimit).
const JPEG_HEAD_BYTES = 128 << 10;

// The largest scale, in eighths, scaledJPEG decodes at: above 1/2 the
// scaled decode saves little (entropy decoding costs the same at every
// scale) and the pixels would be resampled twice, by libjpeg and the canvas.
const JPEG_MAX_SCALE = 4;

// The most of a progressive JPEG read to find the end of its leading DC
// scans, as a share of the file: they are a few per cent of it (6.6 % of
// picos.jpg); DC scans that run past a quarter of it are not worth cutting.
const JPEG_DC_SHARE = 1 / 4;

// jpegHeader parses the segments of a JPEG from its start in bytes up to
// its first scan: {width, height (as stored), components (their ids),
// progressive, orientation (EXIF, 1–8), scan (the first SOS's offset, -1
// when past bytes)}, or null when bytes is no JPEG of Huffman-coded
// baseline, extended or progressive DCT (SOF0–2) with 1 or 3 components,
// or its frame header is not within bytes. The orientation is read as
// tracecore/imageio reads it: IFD0's Orientation of the first Exif APP1
// segment, 1 when missing or malformed.
function jpegHeader(bytes) {
  const b = bytes, n = b.length;
  if (n < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const hdr = {width: 0, height: 0, components: [], progressive: false, orientation: 1, scan: -1};
  let exifSeen = false;
  let p = 2;
  for (;;) {
    if (p >= n || b[p] !== 0xff) break;
    while (p + 1 < n && b[p + 1] === 0xff) p++; // fill bytes before the code
    if (p + 1 >= n) break;
    const code = b[p + 1];
    if (code === 0xda) { // SOS: the header ends
      hdr.scan = p;
      break;
    }
    if (code === 0xd9 || code === 0x00) return null; // EOI before a scan, or no marker
    if (code === 0x01 || code >= 0xd0 && code <= 0xd8) { // no length: TEM, RSTn, SOI
      p += 2;
      continue;
    }
    if (p + 4 > n) break;
    const len = (b[p + 2] << 8) | b[p + 3]; // counts itself, not the marker
    if (len < 2) return null;
    const seg = p + 4, end = p + 2 + len;
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) { // SOFn
      if (code > 0xc2) return null; // lossless, hierarchical or arithmetic-coded
      if (end > n || len < 8) return null;
      const nc = b[seg + 5];
      if (nc !== 1 && nc !== 3 || len < 8 + 3 * nc) return null;
      hdr.height = (b[seg + 1] << 8) | b[seg + 2];
      hdr.width = (b[seg + 3] << 8) | b[seg + 4];
      for (let i = 0; i < nc; i++) hdr.components.push(b[seg + 6 + 3 * i]);
      hdr.progressive = code === 0xc2;
    } else if (code === 0xe1 && !exifSeen && end <= n && len >= 8 &&
        b[seg] === 0x45 && b[seg + 1] === 0x78 && b[seg + 2] === 0x69 && b[seg + 3] === 0x66 && b[seg + 4] === 0 && b[seg + 5] === 0) {
      exifSeen = true; // "Exif\0\0": only the first counts
      hdr.orientation = tiffOrientation(b.subarray(seg + 6, end));
    }
    p = end;
  }
  // A height of 0 is defined later by a DNL marker: not for this path.
  return hdr.width > 0 && hdr.height > 0 ? hdr : null;
}

// tiffOrientation returns the Orientation tag (0x0112) of IFD0 of the TIFF
// structure t, 1 when there is none or it is malformed (tracecore/imageio's
// tiffOrientation). Every offset is checked against t's length.
function tiffOrientation(t) {
  if (t.length < 8) return 1;
  let le;
  if (t[0] === 0x49 && t[1] === 0x49) le = true;       // "II"
  else if (t[0] === 0x4d && t[1] === 0x4d) le = false; // "MM"
  else return 1;
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  if (v.getUint16(2, le) !== 42) return 1;
  const ifd = v.getUint32(4, le);
  if (ifd < 8 || ifd + 2 > t.length) return 1;
  const count = v.getUint16(ifd, le);
  for (let i = 0; i < count && ifd + 2 + 12 * i + 12 <= t.length; i++) {
    const e = ifd + 2 + 12 * i;
    if (v.getUint16(e, le) !== 0x0112) continue;
    const SHORT = 3;
    if (v.getUint16(e + 2, le) !== SHORT || v.getUint32(e + 4, le) !== 1) return 1;
    const o = v.getUint16(e + 8, le); // a single SHORT: the value field's first two bytes
    return o >= 1 && o <= 8 ? o : 1;
  }
  return 1;
}

// jpegScale returns the smallest n of libjpeg's n/8 scales (1…8) at which
// the stored width×height is at least tw×th, so that the decoded pixels are
// only ever shrunk to the traced size.
function jpegScale(width, height, tw, th) {
  for (let n = 1; n < 8; n++) {
    if (Math.ceil(width * n / 8) >= tw && Math.ceil(height * n / 8) >= th) return n;
  }
  return 8;
}

// jpegDCEnd returns where the leading DC scans of the progressive JPEG in
// bytes end (the offset of the marker after the last one's data) when they
// hold the DC coefficients (first pass: Ss = Se = 0, Ah = 0) of every
// component of the frame, else -1: when a scan with AC coefficients, a DC
// refinement or the end of the image comes first, or the scans run past
// bytes.
function jpegDCEnd(bytes, hdr) {
  const b = bytes, n = b.length;
  const seen = new Set();
  let p = hdr.scan, end = -1;
  while (p >= 0 && p + 4 <= n && b[p] === 0xff) {
    const code = b[p + 1];
    if (code === 0xff) { // a fill byte
      p++;
      continue;
    }
    const len = (b[p + 2] << 8) | b[p + 3];
    if (code !== 0xda) { // tables (DHT, DQT, DRI), COM, APPn between scans; EOI
      if (code === 0xd9 || len < 2) return -1;
      p += 2 + len;
      continue;
    }
    if (p + 2 + len > n) return -1;
    const ns = b[p + 4], s = p + 5 + 2 * ns;
    if (len !== 6 + 2 * ns) return -1;
    if (b[s] !== 0 || b[s + 1] !== 0 || (b[s + 2] >> 4) !== 0) break; // not a first DC pass: done
    for (let i = 0; i < ns; i++) seen.add(b[p + 5 + 2 * i]);
    // The entropy-coded data runs to the next marker: 0xFF and a code other
    // than 0x00 (a stuffed 0xFF byte), RST0–7 or 0xFF (fill).
    let i = p + 2 + len;
    for (;;) {
      i = b.indexOf(0xff, i);
      if (i < 0 || i + 1 >= n) return -1;
      const c = b[i + 1];
      if (c === 0x00 || c >= 0xd0 && c <= 0xd7) i += 2;
      else if (c === 0xff) i++;
      else break;
    }
    p = end = i;
  }
  return end > 0 && hdr.components.every((id) => seen.has(id)) ? end : -1;
}

// targetSize is tracecore's (targetSize in tracecore/scale.go): the longer
// side maxside, the shorter rounded to nearest and at least 1, or the size
// itself when it fits. The wasm, told the image's size, traces at the same
// size, so the pixels drawn here are traced as they are.
function targetSize(w, h, maxside) {
  if (maxside <= 0 || Math.max(w, h) <= maxside) return [w, h];
  const short = (s, long) => Math.max(1, Math.floor((s * maxside + Math.floor(long / 2)) / long));
  return w >= h ? [maxside, short(h, w)] : [short(w, h), maxside];
}

function coded(message, code, name = 'Error') {
  const e = new Error(message);
  e.name = name;
  e.code = code;
  return e;
}

// plainError is what crosses postMessage: name, message and code.
function plainError(err, code) {
  return {
    name: (err && err.name) || 'Error',
    message: (err && err.message) || String(err),
    code: (err && err.code) || code,
  };
}
