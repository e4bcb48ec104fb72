/**
 * Discrete Fourier transforms of any length for DFT and STFT: an iterative radix-2 FFT for powers
 * of two and Bluestein's chirp-z algorithm (a power-of-two convolution) for other lengths, so a
 * length-n transform costs O(n log n). A plan is built once and reused for every line.
 */

/** In-place radix-2 FFT of power-of-two length; `sign` -1 is the forward transform, +1 the unscaled inverse. */
function fftPow2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (sign * 2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const half = len >> 1;
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** An unscaled DFT of fixed length n: X[k] = sum_j x[j] e^(sign 2 pi i jk / n). */
export class DftPlan {
  readonly n: number;
  readonly #sign: number;
  /** Bluestein: padded length, chirp e^(sign i pi k^2 / n), and the FFT of the conjugate chirp filter. */
  readonly #m: number;
  readonly #chirpRe?: Float64Array;
  readonly #chirpIm?: Float64Array;
  readonly #filterRe?: Float64Array;
  readonly #filterIm?: Float64Array;
  readonly #re: Float64Array;
  readonly #im: Float64Array;

  constructor(n: number, inverse: boolean) {
    this.n = n;
    this.#sign = inverse ? 1 : -1;
    if (isPow2(n) || n <= 1) {
      this.#m = n;
    } else {
      let m = 1;
      while (m < 2 * n - 1) m <<= 1;
      this.#m = m;
      const cr = new Float64Array(n);
      const ci = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        // k^2 mod 2n keeps the angle small and exact.
        const a = (this.#sign * Math.PI * ((k * k) % (2 * n))) / n;
        cr[k] = Math.cos(a);
        ci[k] = Math.sin(a);
      }
      const fr = new Float64Array(m);
      const fi = new Float64Array(m);
      fr[0] = cr[0];
      fi[0] = -ci[0];
      for (let k = 1; k < n; k++) {
        fr[k] = fr[m - k] = cr[k];
        fi[k] = fi[m - k] = -ci[k];
      }
      fftPow2(fr, fi, -1);
      this.#chirpRe = cr;
      this.#chirpIm = ci;
      this.#filterRe = fr;
      this.#filterIm = fi;
    }
    this.#re = new Float64Array(this.#m);
    this.#im = new Float64Array(this.#m);
  }

  /** Transforms (re, im) of length n in place. */
  run(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    if (n <= 1) return;
    if (this.#m === n) {
      fftPow2(re, im, this.#sign);
      return;
    }
    const m = this.#m;
    const cr = this.#chirpRe!;
    const ci = this.#chirpIm!;
    const fr = this.#filterRe!;
    const fi = this.#filterIm!;
    const ar = this.#re;
    const ai = this.#im;
    ar.fill(0);
    ai.fill(0);
    for (let k = 0; k < n; k++) {
      ar[k] = re[k] * cr[k] - im[k] * ci[k];
      ai[k] = re[k] * ci[k] + im[k] * cr[k];
    }
    fftPow2(ar, ai, -1);
    for (let k = 0; k < m; k++) {
      const t = ar[k] * fr[k] - ai[k] * fi[k];
      ai[k] = ar[k] * fi[k] + ai[k] * fr[k];
      ar[k] = t;
    }
    fftPow2(ar, ai, 1);
    for (let k = 0; k < n; k++) {
      const r = ar[k] / m;
      const i = ai[k] / m;
      re[k] = r * cr[k] - i * ci[k];
      im[k] = r * ci[k] + i * cr[k];
    }
  }
}
