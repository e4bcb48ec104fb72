/**
 * @onnxstream/stable-diffusion: Stable Diffusion pipelines on @onnxstream/core. This first piece is the
 * k-diffusion noise schedule OnnxStream uses for SD 1.5, SDXL and Turbo (scaled-linear betas
 * 0.00085 -> 0.012 over 1000 training steps, sigmas = sqrt((1 - alphaBar) / alphaBar)).
 */

/** The 1000 training sigmas of the scaled-linear schedule, ascending in timestep. */
export function trainingSigmas(betaStart = 0.00085, betaEnd = 0.012, steps = 1000): Float64Array {
  const sigmas = new Float64Array(steps);
  let alphaBar = 1;
  const a = Math.sqrt(betaStart);
  const b = Math.sqrt(betaEnd);
  for (let i = 0; i < steps; i++) {
    const beta = (a + ((b - a) * i) / (steps - 1)) ** 2;
    alphaBar *= 1 - beta;
    sigmas[i] = Math.sqrt((1 - alphaBar) / alphaBar);
  }
  return sigmas;
}
