/**
 * PDQ, the 256-bit perceptual image hash that industry hash-sharing programmes exchange, computed
 * from an image's luminance. Follows the published algorithm (facebook/ThreatExchange, pdq/): two
 * X-then-Y passes of a box filter (Jarosz) with windows derived from the image size, decimation to
 * 64×64, the 16×16 lowest non-constant DCT coefficients, each thresholded against their median.
 * Hashes of the same picture after resizing, re-encoding or light edits differ in few bits; the hex
 * form is the reference's, so lists from other implementations compare bit for bit.
 */

export interface PdqHash {
  /** 64 lowercase hex digits, in the reference implementation's order. */
  hex: string;
  /** 0..100: how much gradient detail the image has; below about 50 a hash matches too easily. */
  quality: number;
  /**
   * The hash the picture would have turned or mirrored each of the eight ways (`original` is `hex`),
   * derived from the same coefficients: a rotated or mirrored copy of a banned picture has, in one of
   * these, the banned picture's own hash.
   */
  orientations: Readonly<Record<Orientation, string>>;
}

/**
 * The eight ways a picture maps onto a rectangle: turned clockwise by 90, 180 or 270 degrees,
 * mirrored left to right (`mirror`), upside down (`flip`), about its main diagonal (`transpose`) or
 * its other diagonal (`transverse`).
 */
export const ORIENTATIONS = [
  "original",
  "rotate90",
  "rotate180",
  "rotate270",
  "mirror",
  "flip",
  "transpose",
  "transverse",
] as const;
export type Orientation = (typeof ORIENTATIONS)[number];

/** The reference's window divisor: two passes of a window of 1/128 of a side cover one of 64 cells. */
const WINDOW_DIVISOR = 128;
const PASSES = 2;
const CELLS = 64;
const COEFFS = 16;

/**
 * Rows 1..16 of the 64-point DCT-II basis (row 0, the average, carries no shape). Built per call to
 * keep this module free of state; it is 1,024 cosines, next to nothing beside the filter.
 */
function dctMatrix(): Float64Array {
  const d = new Float64Array(COEFFS * CELLS);
  const scale = Math.sqrt(2 / CELLS);
  for (let i = 0; i < COEFFS; i++) {
    for (let j = 0; j < CELLS; j++) d[i * CELLS + j] = scale * Math.cos((Math.PI / 2 / CELLS) * (i + 1) * (2 * j + 1));
  }
  return d;
}

/** Each pass's window: half of one output cell's share of the side, rounded up. */
function windowSize(dimension: number): number {
  return Math.floor((dimension + WINDOW_DIVISOR - 1) / WINDOW_DIVISOR);
}

/**
 * A running-sum box filter along one row of `length` values, with the window
 * shrinking at both ends exactly as the reference does (its outputs are centred a half-sample
 * right for even windows, and the bits depend on that).
 */
function box1d(input: Float64Array, output: Float64Array, start: number, length: number, window: number): void {
  const half = Math.floor((window + 2) / 2);
  const lead = half - 1;
  const rising = window - half + 1;
  const full = length - window;
  const trailing = half - 1;
  let left = start;
  let right = start;
  let out = start;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < lead; i++) {
    sum += input[right] as number;
    count++;
    right++;
  }
  for (let i = 0; i < rising; i++) {
    sum += input[right] as number;
    count++;
    output[out] = sum / count;
    right++;
    out++;
  }
  for (let i = 0; i < full; i++) {
    sum += input[right] as number;
    sum -= input[left] as number;
    output[out] = sum / count;
    left++;
    right++;
    out++;
  }
  for (let i = 0; i < trailing; i++) {
    sum -= input[left] as number;
    count--;
    output[out] = sum / count;
    left++;
    out++;
  }
}

/**
 * box1d down every column at once, a row at a time: the same additions in the same order for each
 * column (so the same bits), but reading memory in order instead of a row's length apart. Written
 * out in plain loops (no helpers closing over the cursors) so that the cursors stay in registers.
 */
function boxColumns(input: Float64Array, output: Float64Array, width: number, height: number, window: number): void {
  const half = Math.floor((window + 2) / 2);
  const lead = half - 1;
  const rising = window - half + 1;
  const full = height - window;
  const sums = new Float64Array(width);
  let right = 0;
  let left = 0;
  let out = 0;
  let count = 0;
  for (let i = 0; i < lead; i++) {
    for (let x = 0; x < width; x++) sums[x] = (sums[x] as number) + (input[right + x] as number);
    right += width;
    count++;
  }
  for (let i = 0; i < rising; i++) {
    for (let x = 0; x < width; x++) sums[x] = (sums[x] as number) + (input[right + x] as number);
    right += width;
    count++;
    for (let x = 0; x < width; x++) output[out + x] = (sums[x] as number) / count;
    out += width;
  }
  for (let i = 0; i < full; i++) {
    for (let x = 0; x < width; x++) {
      const sum = (sums[x] as number) + (input[right + x] as number) - (input[left + x] as number);
      sums[x] = sum;
      output[out + x] = sum / count;
    }
    right += width;
    left += width;
    out += width;
  }
  for (let i = 0; i < lead; i++) {
    for (let x = 0; x < width; x++) sums[x] = (sums[x] as number) - (input[left + x] as number);
    left += width;
    count--;
    for (let x = 0; x < width; x++) output[out + x] = (sums[x] as number) / count;
    out += width;
  }
}

/**
 * The rows (or columns) box1d averages into output `at` with `window` over `length` values: the
 * window, shrunk at the ends and set off centre exactly as box1d's running sum sets it.
 */
function span(at: number, window: number, length: number): [number, number] {
  const half = Math.floor((window + 2) / 2);
  return [Math.max(0, at - (window - half)), Math.min(length - 1, at + half - 1)];
}

/**
 * The Jarosz filter (PASSES X-then-Y box passes) followed by decimation to CELLS×CELLS samples.
 * Every pass but the last runs over the whole image; the last is computed only where decimation
 * samples it (a few thousand window sums instead of two more passes over every pixel), with the
 * same windows as the full pass, so the samples are those of filtering everything.
 */
function blurAndDecimate(a: Float64Array, b: Float64Array, width: number, height: number): Float64Array {
  const alongRows = windowSize(width);
  const alongCols = windowSize(height);
  for (let pass = 0; pass < PASSES - 1; pass++) {
    for (let y = 0; y < height; y++) box1d(a, b, y * width, width, alongRows);
    boxColumns(b, a, width, height, alongCols);
  }
  const out = new Float64Array(CELLS * CELLS);
  for (let i = 0; i < CELLS; i++) {
    const [top, bottom] = span(Math.floor(((i + 0.5) * height) / CELLS), alongCols, height);
    for (let j = 0; j < CELLS; j++) {
      const [left, right] = span(Math.floor(((j + 0.5) * width) / CELLS), alongRows, width);
      let column = 0;
      for (let y = top; y <= bottom; y++) {
        let row = 0;
        for (let x = left, at = y * width + left; x <= right; x++, at++) row += a[at] as number;
        column += row / (right - left + 1);
      }
      out[i * CELLS + j] = column / (bottom - top + 1);
    }
  }
  return out;
}

/** The reference's heuristic: the sum of quantised neighbour differences, scaled to 0..100. */
function quality(cells: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < CELLS - 1; i++) {
    for (let j = 0; j < CELLS; j++) {
      const d = (((cells[i * CELLS + j] as number) - (cells[(i + 1) * CELLS + j] as number)) * 100) / 255;
      sum += Math.abs(Math.trunc(d));
    }
  }
  for (let i = 0; i < CELLS; i++) {
    for (let j = 0; j < CELLS - 1; j++) {
      const d = (((cells[i * CELLS + j] as number) - (cells[i * CELLS + j + 1] as number)) * 100) / 255;
      sum += Math.abs(Math.trunc(d));
    }
  }
  return Math.min(100, Math.trunc(sum / 90));
}

/** D·A·Dᵀ restricted to the 16×16 block the hash uses. */
function dct16(cells: Float64Array): Float64Array {
  const d = dctMatrix();
  const t = new Float64Array(COEFFS * CELLS);
  for (let i = 0; i < COEFFS; i++) {
    for (let j = 0; j < CELLS; j++) {
      let s = 0;
      for (let k = 0; k < CELLS; k++) s += (d[i * CELLS + k] as number) * (cells[k * CELLS + j] as number);
      t[i * CELLS + j] = s;
    }
  }
  const b = new Float64Array(COEFFS * COEFFS);
  for (let i = 0; i < COEFFS; i++) {
    for (let j = 0; j < COEFFS; j++) {
      let s = 0;
      for (let k = 0; k < CELLS; k++) s += (t[i * CELLS + k] as number) * (d[j * CELLS + k] as number);
      b[i * COEFFS + j] = s;
    }
  }
  return b;
}

function medianOf(coeffs: Float64Array): number {
  return Float64Array.from(coeffs).sort()[(coeffs.length >> 1) - 1] as number;
}

/**
 * Bit k (k = row·16 + column) is set when coefficient k exceeds the median, taken as the lower
 * middle value as the reference does. The reference prints sixteen 16-bit words, last word first.
 */
function toHex(coeffs: Float64Array, median = medianOf(coeffs)): string {
  const words = new Uint16Array(16);
  for (let k = 0; k < coeffs.length; k++) if ((coeffs[k] as number) > median) words[k >> 4]! |= 1 << (k & 15);
  let hex = "";
  for (let w = 15; w >= 0; w--) hex += (words[w] as number).toString(16).padStart(4, "0");
  return hex;
}

/**
 * How each orientation moves the coefficients. Mirroring a side of n samples maps each DCT basis
 * function of frequency k onto itself times (-1)^k, so it negates the odd frequencies along that
 * axis (the even indices here, which start at frequency 1); turning about a diagonal swaps the axes.
 * Each orientation is a transposition (or none) followed by mirrors of the result's rows or columns:
 * a turn clockwise by 90 degrees is a transposition then a left-to-right mirror.
 */
const MOVES: Record<Orientation, { transpose: boolean; flipRows: boolean; flipColumns: boolean }> = {
  original: { transpose: false, flipRows: false, flipColumns: false },
  rotate90: { transpose: true, flipRows: false, flipColumns: true },
  rotate180: { transpose: false, flipRows: true, flipColumns: true },
  rotate270: { transpose: true, flipRows: true, flipColumns: false },
  mirror: { transpose: false, flipRows: false, flipColumns: true },
  flip: { transpose: false, flipRows: true, flipColumns: false },
  transpose: { transpose: true, flipRows: false, flipColumns: false },
  transverse: { transpose: true, flipRows: true, flipColumns: true },
};

/**
 * The hashes of all eight orientations from one set of coefficients: each is a permutation and sign
 * change of the 16×16 block, thresholded against its own median (negating values moves the median).
 * Equal to hashing the turned picture, up to where the 64×64 sampling falls on a side that does
 * not divide evenly.
 */
function orientationHexes(coeffs: Float64Array): Record<Orientation, string> {
  const moved = new Float64Array(COEFFS * COEFFS);
  const out = {} as Record<Orientation, string>;
  // The median depends only on which values are negated, not where they go: a transposed block
  // mirrored along its rows holds the values of the block mirrored along its columns. Four sign
  // patterns, four sorts.
  const medians = new Map<number, number>();
  for (const o of ORIENTATIONS) {
    const { transpose, flipRows, flipColumns } = MOVES[o];
    for (let i = 0; i < COEFFS; i++) {
      for (let j = 0; j < COEFFS; j++) {
        const v = coeffs[transpose ? j * COEFFS + i : i * COEFFS + j] as number;
        const negate = (flipRows && (i & 1) === 0) !== (flipColumns && (j & 1) === 0);
        moved[i * COEFFS + j] = negate ? -v : v;
      }
    }
    const pattern = transpose ? Number(flipColumns) * 2 + Number(flipRows) : Number(flipRows) * 2 + Number(flipColumns);
    let median = medians.get(pattern);
    if (median === undefined) {
      median = medianOf(moved);
      medians.set(pattern, median);
    }
    out[o] = toHex(moved, median);
  }
  return out;
}

/**
 * The PDQ hash of an image given as `width`×`height` luminance values (0..255, row-major). The
 * input is not modified. Images larger than 512 pixels a side should be shrunk to fit first, as the
 * reference does before hashing: the filter windows assume it only loosely, but the reference hashes
 * were made that way.
 */
export function pdqFromLuma(luma: Float64Array | Float32Array, width: number, height: number): PdqHash {
  checkSize(luma, width, height);
  return hashInPlace(new Float64Array(luma), width, height);
}

/**
 * pdqFromLuma for a caller that has no further use of `luma`: the hash is computed in that buffer
 * (its contents are overwritten) and in `scratch` when given (at least as long; its contents are
 * ignored), which spares allocating and copying an image's worth of samples.
 */
export function pdqFromLumaInPlace(luma: Float64Array, width: number, height: number, scratch?: Float64Array): PdqHash {
  checkSize(luma, width, height);
  if (scratch !== undefined && scratch.length < luma.length) throw new RangeError("scratch is shorter than luma");
  return hashInPlace(luma, width, height, scratch);
}

function checkSize(luma: Float64Array | Float32Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError("width and height must be positive integers");
  if (luma.length !== width * height) throw new RangeError("luma must hold width × height values");
}

function hashInPlace(a: Float64Array, width: number, height: number, scratch?: Float64Array): PdqHash {
  // The filter writes every sample of its output before reading it: the scratch need not be cleared.
  const b = scratch ?? new Float64Array(a.length);
  const cells = blurAndDecimate(a, b, width, height);
  const orientations = orientationHexes(dct16(cells));
  return { hex: orientations.original, quality: quality(cells), orientations };
}

const PDQ_HEX = /^[0-9a-f]{64}$/;

/** Whether `s` is a PDQ hash in its canonical form: exactly 64 lowercase hex digits. */
export function isPdqHex(s: string): boolean {
  return PDQ_HEX.test(s);
}

/** Set bits of a 32-bit value. */
export function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** The number of bits (0..256) in which two PDQ hashes differ. Throws on a malformed hash. */
export function hammingDistance(aHex: string, bHex: string): number {
  if (!isPdqHex(aHex) || !isPdqHex(bHex)) throw new RangeError("a PDQ hash is 64 lowercase hex digits");
  let n = 0;
  for (let i = 0; i < 64; i += 8) {
    n += popcount32(Number.parseInt(aHex.slice(i, i + 8), 16) ^ Number.parseInt(bHex.slice(i, i + 8), 16));
  }
  return n;
}
