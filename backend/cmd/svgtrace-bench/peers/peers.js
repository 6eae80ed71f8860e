#!/usr/bin/env node
// peers.js runs svgtrace-bench's measurements of tracecore's peers, one
// measurement per Node process, so that the harness's runner captures the
// process's peak memory (ru_maxrss) as well as the timings printed here:
//
//   node peers.js potrace [--warmup N] [--runs N] [--out FILE] [--save DIR] [--datauri] [--PARAM VALUE]... FILE...
//   node peers.js itl [--warmup N] [--runs N] [--out FILE] [--save DIR] FILE...
//   node peers.js itl-bitmap [--out FILE] [--save DIR] FILE...
//   node peers.js versions [--out FILE]
//
// potrace: node-potrace (npm potrace) through its documented API, its own
// pipeline from the image file: new Potrace(params), loadImage(file, cb),
// getSVG(). Each --PARAM VALUE is a node-potrace parameter (turdSize,
// turnPolicy, alphaMax, optCurve, optTolerance, threshold, blackOnWhite,
// color, background); a VALUE in capitals names a constant of Potrace
// (THRESHOLD_AUTO, COLOR_AUTO, TURNPOLICY_MINORITY…). --datauri also encodes
// the SVG as a data URI, as image-trace-loader does.
//
// itl: image-trace-loader's pipeline (its lib/index.js, MIT) called as a
// function instead of through webpack: the fill colour from node-vibrant's
// most populous swatch, node-potrace with the loader's defaults, SVGO 1.x
// multipass at float precision 0, then the loader's data URI encoding. Its
// dependencies are resolved from image-trace-loader's own directory, so the
// versions are the ones it depends on.
//
// itl-bitmap: the itl pipeline once, then the bitmap node-potrace traced for
// it: the luminance it computed (observed at run time in the Potrace object,
// written as a PGM) and the explicit thresholds 0…255 whose path output equals
// the automatic threshold's. svgtrace-bench thresholds the PGM (luminance ≤ t)
// to measure mismatch against the bitmap the loader really traced.
//
// Each mode does --warmup unmeasured runs of every file, then --runs measured
// rounds over the files, timing each run with process.hrtime; it writes the
// timings (milliseconds) and output sizes as JSON to --out (standard output
// if absent) and, with --save DIR, the last run's SVG and data URI as
// DIR/NAME.svg and DIR/NAME.uri. The packages come from NODE_PATH: the
// harness installs them from package-lock.json into a cache directory.
"use strict";

const fs = require("fs");
const path = require("path");

function fail(msg) {
  process.stderr.write("peers.js: " + msg + "\n");
  process.exit(2);
}

// parseArgs splits argv into the mode, the harness's options, node-potrace
// parameters and the input files.
function parseArgs(argv) {
  const [mode, ...rest] = argv;
  const opts = {warmup: 0, runs: 1, out: "", save: "", datauri: false};
  const params = {};
  const files = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith("--")) {
      files.push(a);
      continue;
    }
    const key = a.slice(2);
    if (key === "datauri") {
      opts.datauri = true;
      continue;
    }
    if (i + 1 >= rest.length) fail(`${a} needs a value`);
    const v = rest[++i];
    if (key === "warmup" || key === "runs") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) fail(`${a} ${v}: not a count`);
      opts[key] = n;
    } else if (key === "out" || key === "save") {
      opts[key] = v;
    } else {
      params[key] = v;
    }
  }
  if (opts.runs < 1) fail("--runs must be at least 1");
  return {mode, opts, params, files};
}

// paramValue turns a command-line value into a node-potrace parameter.
function paramValue(Potrace, v) {
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^[A-Z][A-Z_]*$/.test(v)) {
    if (!(v in Potrace)) fail(`Potrace has no constant ${v}`);
    return Potrace[v];
  }
  if (v !== "" && !isNaN(Number(v))) return Number(v);
  return v;
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // milliseconds

// The package directories, found through NODE_PATH.
function packageDir(name, from) {
  const opts = from ? {paths: [from]} : undefined;
  return path.dirname(require.resolve(name + "/package.json", opts));
}
function itlDir() {
  return packageDir("image-trace-loader");
}
// fromITL loads a dependency of image-trace-loader as the loader would.
function fromITL(name) {
  return require(require.resolve(name, {paths: [itlDir()]}));
}

// encodeSvgDataUri is image-trace-loader's (lib/index.js, after
// https://codepen.io/tigt/post/optimizing-svgs-in-data-uris).
function encodeSvgDataUri(svg) {
  const uriPayload = encodeURIComponent(svg)
    .replace(/%0A/g, "")
    .replace(/%20/g, " ")
    .replace(/%3D/g, "=")
    .replace(/%3A/g, ":")
    .replace(/%2F/g, "/")
    .replace(/%22/g, "'");
  return "data:image/svg+xml," + uriPayload;
}

function load(trace, file) {
  return new Promise((resolve, reject) => trace.loadImage(file, (err) => (err ? reject(err) : resolve(trace))));
}

// potraceRun is one run of node-potrace's pipeline from the file.
async function potraceRun(Potrace, file, params, datauri) {
  const t0 = now();
  const trace = new Potrace(params);
  await load(trace, file);
  const t1 = now();
  // getSVG traces (node-potrace traces on the first call for the loaded
  // image) and writes the SVG.
  const svg = trace.getSVG();
  const t2 = now();
  const uri = datauri ? encodeSvgDataUri(svg) : "";
  const t3 = now();
  const stages = {load: t1 - t0, trace: t2 - t1};
  if (datauri) stages.uri = t3 - t2;
  return {svg, uri, stages, total: t3 - t0};
}

// itlParams are image-trace-loader's defaults (lib/index.js, no options).
function itlParams(Potrace) {
  return {
    turnPolicy: Potrace.TURNPOLICY_MINORITY,
    turdSize: 100,
    alphaMax: 1,
    optCurve: true,
    optTolerance: 0.2,
    threshold: Potrace.THRESHOLD_AUTO,
    blackOnWhite: true,
    background: Potrace.COLOR_TRANSPARENT,
  };
}

// extractMostProminentColor is the loader's: the hex colour of node-vibrant's
// swatch with the largest population.
function extractMostProminentColor(Vibrant, filePath) {
  return new Vibrant(filePath).getPalette().then((palette) => {
    let mostProminentColor = "";
    let highestPopulation = 0;
    Object.keys(palette).forEach((key) => {
      if (palette[key] === null) return;
      const population = palette[key].getPopulation();
      if (population > highestPopulation) {
        mostProminentColor = palette[key].getHex();
        highestPopulation = population;
      }
    });
    return mostProminentColor;
  });
}

// itlRun is one run of image-trace-loader's pipeline on the file, with the
// loader's default options (COLOR_AUTO: node-vibrant picks the fill).
async function itlRun(mods, file) {
  const {Vibrant, Potrace, SVGO} = mods;
  const t0 = now();
  const color = await extractMostProminentColor(Vibrant, file);
  const t1 = now();
  const raw = await load(new Potrace({...itlParams(Potrace), color}), file).then((t) => t.getSVG());
  const t2 = now();
  const svgo = new SVGO({multipass: true, floatPrecision: 0});
  const svg = (await svgo.optimize(raw)).data;
  const t3 = now();
  const uri = encodeSvgDataUri(svg);
  const t4 = now();
  return {svg, uri, stages: {colour: t1 - t0, trace: t2 - t1, svgo: t3 - t2, uri: t4 - t3}, total: t4 - t0};
}

function itlModules() {
  return {
    Vibrant: fromITL("node-vibrant"),
    Potrace: fromITL("potrace").Potrace,
    SVGO: fromITL("svgo"),
  };
}

function baseName(file) {
  return path.basename(file).replace(/\.[^.]*$/, "");
}

// measure runs run(file) --warmup times for each file unmeasured, then
// --runs rounds over the files, and collects the timings of each file.
async function measure(files, opts, run) {
  const results = files.map((file) => ({name: baseName(file), file, total: [], stages: {}}));
  const last = new Array(files.length);
  for (let w = 0; w < opts.warmup; w++) {
    for (let i = 0; i < files.length; i++) last[i] = await run(files[i]);
  }
  for (let r = 0; r < opts.runs; r++) {
    for (let i = 0; i < files.length; i++) {
      const got = await run(files[i]);
      const res = results[i];
      res.total.push(got.total);
      for (const [k, v] of Object.entries(got.stages)) (res.stages[k] = res.stages[k] || []).push(v);
      last[i] = got;
    }
  }
  for (let i = 0; i < files.length; i++) {
    const res = results[i];
    res.svgBytes = Buffer.byteLength(last[i].svg);
    res.uriBytes = Buffer.byteLength(last[i].uri);
    if (opts.save) {
      res.svg = path.join(opts.save, res.name + ".svg");
      fs.writeFileSync(res.svg, last[i].svg);
      if (last[i].uri) {
        res.uri = path.join(opts.save, res.name + ".uri");
        fs.writeFileSync(res.uri, last[i].uri);
      }
    }
  }
  return results;
}

// itlBitmap finds the bitmap node-potrace traced for image-trace-loader's
// settings: the luminance it computed and every explicit threshold whose
// path output is the automatic threshold's.
async function itlBitmap(mods, file, save) {
  const {Potrace} = mods;
  const params = itlParams(Potrace);
  const auto = await load(new Potrace(params), file);
  const want = auto.getPathTag();
  // Observed at run time: the Potrace object keeps the image's luminance,
  // one byte a pixel, as _luminanceData {width, height, data}.
  const lum = auto._luminanceData;
  if (!lum || !lum.data || lum.data.length !== lum.width * lum.height) {
    throw new Error("node-potrace keeps no _luminanceData of width×height bytes");
  }
  const res = {width: lum.width, height: lum.height, thresholds: []};
  // setParameters with a new threshold re-traces the loaded image, which
  // saves decoding it 256 times (verified to match fresh instances).
  const probe = await load(new Potrace({...params, threshold: 0}), file);
  for (let t = 0; t < 256; t++) {
    probe.setParameters({threshold: t});
    if (probe.getPathTag() === want) res.thresholds.push(t);
  }
  if (save) {
    res.pgm = path.join(save, baseName(file) + ".lum.pgm");
    const header = Buffer.from(`P5\n${lum.width} ${lum.height}\n255\n`);
    fs.writeFileSync(res.pgm, Buffer.concat([header, Buffer.from(lum.data.buffer, lum.data.byteOffset, lum.data.length)]));
  }
  return res;
}

function version(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
}

async function main() {
  const {mode, opts, params, files} = parseArgs(process.argv.slice(2));
  let out;
  switch (mode) {
    case "potrace": {
      if (files.length === 0) fail("potrace: no input files");
      const {Potrace} = require("potrace");
      const p = {};
      for (const [k, v] of Object.entries(params)) p[k] = paramValue(Potrace, v);
      out = {files: await measure(files, opts, (f) => potraceRun(Potrace, f, p, opts.datauri))};
      break;
    }
    case "itl": {
      if (files.length === 0) fail("itl: no input files");
      const mods = itlModules();
      out = {files: await measure(files, opts, (f) => itlRun(mods, f))};
      break;
    }
    case "itl-bitmap": {
      if (files.length === 0) fail("itl-bitmap: no input files");
      const mods = itlModules();
      const results = await measure(files, {...opts, warmup: 0, runs: 1}, (f) => itlRun(mods, f));
      for (let i = 0; i < files.length; i++) Object.assign(results[i], await itlBitmap(mods, files[i], opts.save));
      out = {files: results};
      break;
    }
    case "versions": {
      const potraceDir = packageDir("potrace");
      const itl = itlDir();
      out = {
        node: process.version,
        potrace: version(potraceDir),
        jimp: version(packageDir("jimp", potraceDir)),
        "image-trace-loader": version(itl),
        "itl-potrace": version(packageDir("potrace", itl)),
        svgo: version(packageDir("svgo", itl)),
        "node-vibrant": version(packageDir("node-vibrant", itl)),
      };
      break;
    }
    default:
      fail(`unknown mode ${JSON.stringify(mode)}: want potrace, itl, itl-bitmap or versions`);
  }
  const json = JSON.stringify(out) + "\n";
  if (opts.out) fs.writeFileSync(opts.out, json);
  else process.stdout.write(json);
}

main().catch((err) => {
  process.stderr.write("peers.js: " + (err && err.stack ? err.stack : String(err)) + "\n");
  process.exit(1);
});
