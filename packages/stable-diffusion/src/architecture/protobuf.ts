/**
 * A minimal protobuf wire-format writer, enough for the ONNX messages the model writer emits
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto). Field numbers
 * are those of onnx.proto. Messages are built bottom-up: a nested message is encoded first and then
 * written as a length-delimited field.
 */

const utf8 = new TextEncoder();

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  #rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      let v = value;
      while (v >= 0x80) {
        this.#byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.#byte(v);
      return;
    }
    // Negative int64 values are written as their 64-bit two's complement (10 bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#rawVarint(field * 8 + wire);
  }

  /** varint field (int32, int64, enum). */
  varint(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#rawVarint(value);
    return this;
  }

  /** 32-bit float field. */
  float(field: number, value: number): this {
    this.#tag(field, 5);
    this.#reserve(4);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#len, 4).setFloat32(0, value, true);
    this.#len += 4;
    return this;
  }

  /** Length-delimited field (bytes, or an encoded message). */
  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, 2);
    this.#rawVarint(data.byteLength);
    this.#reserve(data.byteLength);
    this.#buf.set(data, this.#len);
    this.#len += data.byteLength;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
