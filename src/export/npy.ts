/**
 * NumPy's .npy and .npz formats, written by hand: what PyTorch reads with numpy alone.
 *
 * A .npy file is a magic string, a version, a little header (a Python dict literal naming
 * the dtype, the order and the shape) padded with spaces to a multiple of 64 bytes, then
 * the raw values, here little-endian float32 in C (row-major) order. A .npz is a zip of
 * .npy files, one per array, each named `<key>.npy`.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { zipSync } from 'fflate';

export interface NamedArray {
  shape: readonly number[];
  values: Float32Array;
}

const MAGIC = [0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0))];
/** The header's total length (magic to newline) is a multiple of this: numpy's alignment. */
const ALIGNMENT = 64;

/** The .npy bytes of one float32 array. */
export function npyBytes({ shape, values }: NamedArray): Uint8Array {
  const count = shape.reduce((product, size) => product * size, 1);
  if (count !== values.length) throw new Error(`An array of shape [${shape.join(', ')}] holds ${count} values, not ${values.length}`);
  // Python's tuple syntax: (), (5,), (3, 4)
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // magic (6) + version (2) + header length (2) + header + '\n' = a multiple of 64
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT) + '\n';
  const bytes = new Uint8Array(MAGIC.length + 4 + header.length + 4 * count);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes.set([1, 0], MAGIC.length); // version 1.0
  view.setUint16(MAGIC.length + 2, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[MAGIC.length + 4 + i] = header.charCodeAt(i);
  const start = MAGIC.length + 4 + header.length;
  for (let i = 0; i < count; i++) view.setFloat32(start + 4 * i, values[i], true);
  return bytes;
}

/** An .npz archive of named arrays (numpy.load gives them back by key). Stored, not deflated: floats barely compress. */
export function npzBytes(arrays: Readonly<Record<string, NamedArray>>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(arrays).map(([key, array]) => [`${key}.npy`, npyBytes(array)])), { level: 0 });
}
