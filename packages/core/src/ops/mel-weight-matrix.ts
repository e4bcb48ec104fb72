import { encodeNumbers, scalarOf } from '../tensor/convert.js';
import { dataTypeFromOnnx } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/**
 * MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters whose corners are
 * num_mel_bins + 2 points evenly spaced on the mel scale between the edge frequencies, each
 * snapped down to a spectrogram bin.
 */
export const MelWeightMatrix: OpDef = {
  type: 'MelWeightMatrix',
  infer(ctx) {
    const [mel, dft] = ctx.inputs.map((m) => m?.value && scalarOf(m.value));
    return [
      {
        type: dataTypeFromOnnx(ctx.attrs.int('output_datatype', 1)),
        dims: [dft === undefined ? null : Math.floor(dft / 2) + 1, mel ?? null],
      },
    ];
  },
  run(ctx) {
    const [mels, dftLength, sampleRate, lower, upper] = [0, 1, 2, 3, 4].map((i) => scalarOf(input(ctx, i)));
    check(
      mels > 0 && dftLength > 0 && sampleRate > 0,
      'num_mel_bins, dft_length and sample_rate must be positive',
    );
    check(0 <= lower && lower <= upper, () => `edge frequencies ${lower}..${upper} are not ordered`);
    const outType = dataTypeFromOnnx(ctx.attrs.int('output_datatype', 1));
    const bins = Math.floor(dftLength / 2) + 1;
    const lowMel = hzToMel(lower);
    const step = (hzToMel(upper) - lowMel) / (mels + 2);
    const corners = new Int32Array(mels + 2);
    for (let i = 0; i < mels + 2; i++) {
      corners[i] = Math.floor(((dftLength + 1) * melToHz(i * step + lowMel)) / sampleRate);
    }
    const out = new Float64Array(bins * mels);
    for (let m = 0; m < mels; m++) {
      const [left, center, right] = [corners[m], corners[m + 1], corners[m + 2]];
      check(
        center < bins && right <= bins,
        () => `mel filter ${m} reaches bin ${right}, beyond the ${bins} spectrogram bins`,
      );
      if (center === left) out[center * mels + m] = 1;
      else for (let j = left; j <= center; j++) out[j * mels + m] = (j - left) / (center - left);
      for (let j = center; j < right; j++) out[j * mels + m] = (right - j) / (right - center);
    }
    return [new Tensor(outType, encodeNumbers(outType, out) as never, [bins, mels])];
  },
};
