// Type declarations of @svgtrace/embed (svgtrace.js).

/** The version of this module. */
export const VERSION: string;

export interface TracerConfig {
  /** The Worker script (same origin as the page). Default: worker.js beside svgtrace.js. */
  workerURL?: string | URL;
  /** svgtrace.wasm. Default: beside svgtrace.js. */
  wasmURL?: string | URL;
  /** The Go toolchain's wasm_exec.js matching the wasm. Default: beside svgtrace.js. */
  wasmExecURL?: string | URL;
  /** How long loading may take, in ms, before createTracer rejects with code "load". Default 30000. */
  timeout?: number;
}

/**
 * Trace options by tracecore's JSON names, over the placeholder preset
 * (maxside 400, threshold "auto", color "auto", …). A null field takes
 * tracecore's DefaultOptions value. Unknown names are rejected with code
 * "invalid_options".
 */
export interface TraceOptions {
  turdsize?: number | null;
  turnpolicy?: 'black' | 'white' | 'left' | 'right' | 'minority' | 'majority' | 'random' | null;
  alphamax?: number | null;
  opticurve?: boolean | null;
  opttolerance?: number | null;
  threshold?: number | 'auto' | null;
  invert?: boolean | null;
  precision?: number | null;
  color?: string | null;
  background?: string | null;
  maxside?: number | null;
  maxpixels?: number | null;
  steps?: number | null;
  fillstrategy?: string | null;
  thresholds?: number[] | null;
  opaque?: boolean | null;
  /** The colour opaque paints the enclosed white regions, #rgb or #rrggbb (needs opaque; default white). */
  fillcolor?: string | null;
}

/**
 * A progress report: "decode" (the Worker's own: createImageBitmap, or a
 * large JPEG decoded at reduced scale, and downscaling) then tracecore's stages: prepare, decompose, polygon, smooth,
 * optimize (repeated per layer when posterizing), each from 0 to 1.
 */
export type Stage = 'decode' | 'prepare' | 'decompose' | 'polygon' | 'smooth' | 'optimize' | (string & {});

export interface TraceCallOptions {
  onProgress?: (stage: Stage, fraction: number) => void;
  /** Aborting rejects the call at once with an AbortError (code "cancelled") and stops the trace. */
  signal?: AbortSignal;
}

export interface TraceStats {
  width: number;
  height: number;
  traceWidth: number;
  traceHeight: number;
  paths: number;
  segments: number;
  svgBytes: number;
  dataURIBytes: number;
  gzipBytes: number;
  threshold: number | 'auto';
  color: string;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

export interface TraceResult {
  /** The canonical SVG: width and height are the image's size, the viewBox the traced size. */
  svg: string;
  /** The SVG as a URL-encoded data:image/svg+xml URI, ready for an img src. */
  dataURI: string;
  /** The image's size (after EXIF orientation). */
  width: number;
  height: number;
  stats: TraceStats;
}

export type ErrorCode =
  | 'invalid_options' | 'invalid_input' | 'too_large' | 'cancelled' | 'callback'
  | 'corrupt' | 'unsupported' | 'internal' | 'load' | 'decode' | 'closed';

/** Every rejection is a TraceError; an aborted call's name is "AbortError". */
export interface TraceError extends Error {
  code: ErrorCode;
}

export interface Tracer {
  /** The wasm module's version (svgtrace.version). */
  readonly version: string;
  /**
   * Traces an encoded image (File or Blob, decoded by the browser with EXIF
   * orientation), an ImageBitmap (transferred to the Worker: unusable
   * afterwards) or an ImageData (traced as is, byte for byte as native
   * tracecore would).
   */
  trace(input: Blob | ImageBitmap | ImageData, options?: TraceOptions | string | null, call?: TraceCallOptions): Promise<TraceResult>;
  /** Terminates the Worker; calls in flight reject with code "closed". */
  close(): void;
}

export function createTracer(config?: TracerConfig): Promise<Tracer>;
