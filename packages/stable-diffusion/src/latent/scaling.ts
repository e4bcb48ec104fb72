/**
 * VAE latent scaling factors. The UNet works on `vae.encode(img) * factor`; the decoder therefore gets
 * `latent / factor` (OnnxStream multiplies by 5.48998 for SD 1.5 and 7.67754 for SDXL/Turbo,
 * reference section 7.8).
 */

/** SD 1.x/2.x VAE scaling factor. */
export const SD15_VAE_SCALING_FACTOR = 0.18215;
/** SDXL (base and Turbo) VAE scaling factor. */
export const SDXL_VAE_SCALING_FACTOR = 0.13025;

/** Returns a new latent divided by the scaling factor, ready for the VAE decoder. */
export function unscaleLatent(latent: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(latent.length);
  const inv = 1 / factor;
  for (let i = 0; i < latent.length; i++) out[i] = latent[i] * inv;
  return out;
}
