/**
 * Errors carry where they come from (file and line, operator, tensor) so users can act on them.
 */

export class OnnxStreamError extends Error {
  override name = 'OnnxStreamError';
}

/** A model file that cannot be read or parsed. */
export class ModelFormatError extends OnnxStreamError {
  override name = 'ModelFormatError';
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
  }
}

/** An operator that failed validation or execution. */
export class OperatorError extends OnnxStreamError {
  override name = 'OperatorError';
  constructor(
    readonly opType: string,
    readonly nodeName: string,
    message: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(`${opType} '${nodeName}'${source ? ` (${source})` : ''}: ${message}`, options);
  }
}

/** Something the engine does not implement (an operator, a data type, a non-tensor value). */
export class UnsupportedError extends OperatorError {
  override name = 'UnsupportedError';
}

/** Feeds that do not match what the model declares. */
export class InputError extends OnnxStreamError {
  override name = 'InputError';
}

/** A file access that would leave the model folder, or a missing/short weight file. */
export class WeightsError extends OnnxStreamError {
  override name = 'WeightsError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
