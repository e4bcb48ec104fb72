/**
 * A forward reader of protobuf wire format over a (possibly huge) model file, reading through a
 * small window so that payloads we skip are never loaded.
 */
import type { ModelFiles } from '../../files/model-files.js';

const WINDOW = 64 * 1024;

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export class WireCursor {
  #buf: Uint8Array = new Uint8Array(0);
  #bufStart = 0;
  pos: number;

  constructor(
    readonly files: ModelFiles,
    readonly path: string,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Makes bytes [pos, pos+n) available in the window and returns the window offset of pos. */
  async #ensure(n: number): Promise<number> {
    const off = this.pos - this.#bufStart;
    if (off >= 0 && off + n <= this.#buf.byteLength) return off;
    const len = Math.min(Math.max(n, WINDOW), this.end - this.pos);
    if (len < n)
      throw new Error(`unexpected end of data at byte ${this.pos} (needed ${n} bytes, ${len} left)`);
    this.#buf = await this.files.read(this.path, this.pos, len);
    this.#bufStart = this.pos;
    return 0;
  }

  async varint(): Promise<number> {
    const off = await this.#ensure(Math.min(10, this.end - this.pos));
    const b = this.#buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const byte = b[off + i];
      if (byte === undefined) throw new Error(`truncated varint at byte ${this.pos}`);
      result += (byte & 0x7f) * mul;
      if ((byte & 0x80) === 0) {
        this.pos += i + 1;
        return result;
      }
      mul *= 128;
    }
    throw new Error(`malformed varint at byte ${this.pos}`);
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  async key(): Promise<[number, number]> {
    const k = await this.varint();
    return [Math.floor(k / 8), k & 7];
  }

  /** Reads a length prefix and checks it fits. */
  async length(): Promise<number> {
    const n = await this.varint();
    if (this.pos + n > this.end)
      throw new Error(`field length ${n} at byte ${this.pos} runs past the end (${this.end})`);
    return n;
  }

  /** Copies the next n bytes. */
  async bytes(n: number): Promise<Uint8Array> {
    if (n > WINDOW) {
      const out = await this.files.read(this.path, this.pos, n);
      this.pos += n;
      return out;
    }
    const off = await this.#ensure(n);
    const out = this.#buf.slice(off, off + n);
    this.pos += n;
    return out;
  }

  async skip(wireType: number): Promise<void> {
    switch (wireType) {
      case WIRE_VARINT:
        await this.varint();
        return;
      case WIRE_I64:
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const n = await this.length();
        this.pos += n;
        return;
      }
      case WIRE_I32:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} at byte ${this.pos}`);
    }
  }
}
