/**
 * A small WebAssembly binary writer: enough of the format (https://webassembly.github.io/spec/core/binary/)
 * for our matrix-product and convolution kernels, which are generated at start-up in the
 * variant the browser can run (with or without relaxed-SIMD fused multiply-add).
 *
 * Why write bytes rather than text: a WAT assembler (wabt) is megabytes of WASM itself, and
 * a build step would put a generated binary in the repository; the kernels need about forty
 * instructions, each a byte or two.
 */

export type ValueType = 'i32' | 'f32' | 'f64' | 'v128';
const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128. */
export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer. */
export function signed(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

/** Names here are ASCII, whose UTF-8 is their character codes. */
const utf8 = (text: string) => [...text].map((char) => char.charCodeAt(0));
const vector = (items: number[][]) => [...unsigned(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...unsigned(content.length), ...content];

/** Plain opcodes (one byte, no immediates). */
const OPCODE = {
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_u': 0x6e, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'f64.mul': 0xa2, 'f32.demote_f64': 0xb6, 'f64.convert_i32_s': 0xb7, 'f64.promote_f32': 0xbb,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96, 'f32.max': 0x97, 'f32.reinterpret_i32': 0xbe, select: 0x1b,
} as const;

/** SIMD opcodes (prefix 0xfd); the relaxed ones need the relaxed-SIMD proposal (Chrome 114+). */
const SIMD = {
  'v128.load': 0x00, 'v128.load32_splat': 0x09, 'v128.store': 0x0b, 'f32x4.splat': 0x13, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5, 'f32x4.mul': 0xe6, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.bitselect': 0x52,
  'f32x4.sqrt': 0xe3, 'f32x4.div': 0xe7, 'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'i32x4.splat': 0x11, 'i32x4.shl': 0xab, 'i32x4.shr_u': 0xad, 'i32x4.sub': 0xb1, 'f32x4.convert_i32x4_s': 0xfa,
  'f64x2.splat': 0x14, 'f32x4.demote_f64x2_zero': 0x5e, 'f64x2.promote_low_f32x4': 0x5f, 'f64x2.add': 0xf0, 'f64x2.mul': 0xf2, 'f64x2.div': 0xf3,
  'i32x4.eq': 0x37, 'v128.not': 0x4d, 'i32x4.add': 0xae, 'i32x4.mul': 0xb5, 'i32x4.shr_s': 0xac, 'i32x4.abs': 0xa0, 'i32x4.lt_s': 0x39, 'i32x4.bitmask': 0xa4, 'v128.xor': 0x51, 'f64x2.convert_low_i32x4_s': 0xfe,
} as const;

/** A label of an enclosing block or loop, for br. */
export interface Label {
  readonly depth: number;
}

/** A local or parameter: its index, or the name it was given. */
export type Variable = number | string;

/**
 * One function's body, written as a stack machine. Its parameters are i32s (addresses, sizes
 * and strides), named; locals are numbered after them and may be named too.
 */
export class FunctionWriter {
  readonly code: number[] = [];
  readonly params: ValueType[];
  private readonly localTypes: ValueType[] = [];
  private readonly names = new Map<string, number>();
  private depth = 0;

  constructor(readonly name: string, paramNames: readonly string[]) {
    this.params = paramNames.map(() => 'i32');
    paramNames.forEach((param, index) => this.names.set(param, index));
  }

  /** A new local of `type`; its index. A name given twice names the same local. */
  local(type: ValueType, name?: string): number {
    if (name && this.names.has(name)) return this.names.get(name) as number;
    this.localTypes.push(type);
    const index = this.params.length + this.localTypes.length - 1;
    if (name) this.names.set(name, index);
    return index;
  }

  private index(variable: Variable): number {
    if (typeof variable === 'number') return variable;
    const index = this.names.get(variable);
    if (index === undefined) throw new Error(`no local named ${variable} in ${this.name}`);
    return index;
  }

  get(variable: Variable): this { return this.emit(0x20, ...unsigned(this.index(variable))); }
  set(variable: Variable): this { return this.emit(0x21, ...unsigned(this.index(variable))); }
  tee(variable: Variable): this { return this.emit(0x22, ...unsigned(this.index(variable))); }
  i32(value: number): this { return this.emit(0x41, ...signed(value)); }
  op(name: keyof typeof OPCODE): this { return this.emit(OPCODE[name]); }
  simd(name: keyof typeof SIMD): this { return this.emit(0xfd, ...unsigned(SIMD[name])); }
  /** A SIMD load or store: [address] (and [value] for a store) on the stack; alignment hint 4 bytes. */
  memory(name: 'v128.load' | 'v128.load32_splat' | 'v128.store', offset = 0): this {
    return this.simd(name).emit(2, ...unsigned(offset));
  }
  /** f32 load/store with a byte offset (alignment hint 4 bytes). */
  f32Load(offset = 0): this { return this.emit(0x2a, 2, ...unsigned(offset)); }
  f32Store(offset = 0): this { return this.emit(0x38, 2, ...unsigned(offset)); }
  /** i32 load and store with a byte offset (alignment hint 4 bytes). */
  i32Load(offset = 0): this { return this.emit(0x28, 2, ...unsigned(offset)); }
  i32Store(offset = 0): this { return this.emit(0x36, 2, ...unsigned(offset)); }
  /** f64 load with a byte offset (alignment hint 8 bytes). */
  f64Load(offset = 0): this { return this.emit(0x2b, 3, ...unsigned(offset)); }
  /** memory.copy [dest, source, bytes] and memory.fill [dest, byte, bytes] (bulk memory). */
  memoryCopy(): this { return this.emit(0xfc, 10, 0, 0); }
  memoryFill(): this { return this.emit(0xfc, 11, 0); }
  /** An f32 constant (its four bytes little-endian, as WebAssembly stores them). */
  f32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.emit(0x43, ...bytes);
  }
  /** An f64 constant (its eight bytes little-endian). */
  f64(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.emit(0x44, ...bytes);
  }
  /** f32x4.extract_lane: one lane of the vector on the stack, as an f32. */
  extractLane(lane: number): this { return this.emit(0xfd, ...unsigned(0x1f), lane); }
  /** i32x4.extract_lane: one lane of the vector on the stack, as an i32. */
  extractIntLane(lane: number): this { return this.emit(0xfd, ...unsigned(0x1b), lane); }
  /** i32x4.replace_lane: [vector, i32] -> the vector with lane `lane` replaced. */
  replaceIntLane(lane: number): this { return this.emit(0xfd, ...unsigned(0x1c), lane); }
  /** v128.load32_lane and v128.load64_lane: [address, vector] -> the vector with lane `lane` loaded from the address (alignment hint 4 and 8 bytes). */
  loadLane(bits: 32 | 64, lane: number, offset = 0): this { return this.emit(0xfd, ...unsigned(bits === 32 ? 0x56 : 0x57), bits === 32 ? 2 : 3, ...unsigned(offset), lane); }
  /** i8x16.shuffle: the bytes `lanes` (0-15 of the first vector on the stack, 16-31 of the second) of the two. */
  shuffle(lanes: readonly number[]): this { return this.emit(0xfd, ...unsigned(0x0d), ...lanes); }
  /** The all-zero vector. */
  zeroVector(): this { return this.emit(0xfd, ...unsigned(0x0c), ...new Array(16).fill(0)); }

  block(body: (end: Label) => void): this { return this.structured(0x02, body); }
  /** A loop: br to its label goes back to the top. */
  loop(body: (top: Label) => void): this { return this.structured(0x03, body); }
  /** if [condition] then body. */
  when(body: () => void): this { return this.structured(0x04, () => body()); }
  /** if [condition] then `whenTrue` else `whenFalse`. */
  ifElse(whenTrue: () => void, whenFalse: () => void): this {
    this.emit(0x04, 0x40);
    this.depth += 1;
    whenTrue();
    this.emit(0x05);
    whenFalse();
    this.depth -= 1;
    return this.emit(0x0b);
  }
  br(label: Label): this { return this.emit(0x0c, ...unsigned(this.depth - label.depth)); }
  brIf(label: Label): this { return this.emit(0x0d, ...unsigned(this.depth - label.depth)); }

  /** `while (condition) body`, the condition written by `test` (it leaves an i32). */
  whileLoop(test: () => void, body: () => void): this {
    return this.block((end) => this.loop((top) => {
      test();
      this.op('i32.eqz').brIf(end);
      body();
      this.br(top);
    }));
  }

  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private structured(opcode: number, body: (label: Label) => void): this {
    this.emit(opcode, 0x40); // no result
    this.depth += 1;
    body({ depth: this.depth });
    this.depth -= 1;
    return this.emit(0x0b);
  }

  /** The body as the code section holds it: locals grouped by type, the code, end. */
  encodeBody(): number[] {
    // runs of locals of one type: [count, type]
    const groups: number[][] = [];
    let run = 0;
    this.localTypes.forEach((type, i) => {
      run += 1;
      if (this.localTypes[i + 1] !== type) {
        groups.push([...unsigned(run), VALUE_TYPE[type]]);
        run = 0;
      }
    });
    const body = [...vector(groups), ...this.code, 0x0b];
    return [...unsigned(body.length), ...body];
  }
}

/**
 * A module of functions with no results that work on one imported memory, env.memory
 * (shared when the backend's heap is a SharedArrayBuffer, as in TF.js's threaded build).
 */
export function encodeModule(functions: FunctionWriter[], sharedMemory: boolean): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((p) => [VALUE_TYPE[p]])), ...vector([])]);
  // limits: shared memories need a maximum; 65536 pages (4 GiB) admits any heap
  const limits = sharedMemory ? [0x03, ...unsigned(0), ...unsigned(65536)] : [0x00, ...unsigned(0)];
  const name = (text: string) => [...unsigned(utf8(text).length), ...utf8(text)];
  const memoryImport = [...name('env'), ...name('memory'), 0x02, ...limits];
  const exports = functions.map((f, index) => [...name(f.name), 0x00, ...unsigned(index)]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, index) => unsigned(index)))),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map((f) => f.encodeBody()))),
  ]);
}
