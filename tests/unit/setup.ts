/** Before every unit test file (vitest.config.ts). */
import { checkKernelArguments } from '../../src/core/wasm-simd/kernels';

// a kernel called with an address that is not one fails at the call, not somewhere later
checkKernelArguments(true);
