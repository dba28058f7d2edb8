// Test helpers: WAT to wasm with wabt, instrumenting and instantiating, and reading the metering globals.
import wabtInit from "wabt";
import { instrumentModule, type InstrumentModuleResult } from "../../../src/sandbox/metering/instrumentModule.ts";

const wabt = await wabtInit();

/** Every proposal wabt knows that the metering pass claims to handle. */
export const ALL_FEATURES = {
  exceptions: true,
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  function_references: true,
} as const;

/**
 * Assembles WAT text to a binary (features: wabt's defaults plus `features`). It is not validated here (wabt's
 * validator ignores some feature flags); the engine validates it when a test instantiates it.
 */
export function wat(text: string, features: Record<string, boolean> = {}): Uint8Array<ArrayBuffer> {
  const module = wabt.parseWat("test.wat", text, features);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** Disassembles a binary to WAT (for failure messages and structural checks). */
export function disassemble(bytes: Uint8Array, features: Record<string, boolean> = ALL_FEATURES): string {
  const module = wabt.readWasm(bytes, { readDebugNames: false, ...features });
  try {
    return module.toText({});
  } finally {
    module.destroy();
  }
}

export const HUGE_BUDGET = (1n << 63n) - 1n;

export function instrument(wasm: Uint8Array, instructionBudget = HUGE_BUDGET, maxMemoryPages = 1024, exactOnTrap = false): InstrumentModuleResult {
  return instrumentModule({ wasm, instructionBudget, maxMemoryPages, exactOnTrap });
}

/** A metered instance with typed access to its counter, flag and exports. */
export interface Metered {
  exports: WebAssembly.Exports;
  /** Instructions counted so far. */
  count(): bigint;
  /** Whether the budget stopped the run. */
  exhausted(): boolean;
  /** Sets the counter back to 0 (and clears the flag) between calls. */
  reset(): void;
  /** Calls an exported function, returning its result. */
  call(name: string, ...args: (number | bigint)[]): unknown;
  /** Calls an exported function and returns the instructions it executed (resetting the counter first). */
  countOf(name: string, ...args: (number | bigint)[]): bigint;
}

export async function meter(
  wasm: Uint8Array,
  options: { budget?: bigint; maxMemoryPages?: number; imports?: WebAssembly.Imports; exactOnTrap?: boolean } = {},
): Promise<Metered> {
  const result = instrument(wasm, options.budget ?? HUGE_BUDGET, options.maxMemoryPages ?? 1024, options.exactOnTrap);
  // Compiling first turns an invalid output into a CompileError that says what is wrong.
  const module = new WebAssembly.Module(result.wasm);
  const instance = await WebAssembly.instantiate(module, options.imports ?? {});
  const counter = instance.exports.__lilypad_instructions as WebAssembly.Global;
  const flag = instance.exports.__lilypad_exhausted as WebAssembly.Global;
  const call = (name: string, ...args: (number | bigint)[]): unknown => {
    const f = instance.exports[name];
    if (typeof f !== "function") throw new Error(`no exported function ${name}`);
    return (f as (...a: (number | bigint)[]) => unknown)(...args);
  };
  const reset = (): void => {
    counter.value = 0n;
    flag.value = 0;
  };
  return {
    exports: instance.exports,
    count: () => BigInt.asUintN(64, counter.value as bigint),
    exhausted: () => flag.value === 1,
    reset,
    call,
    countOf(name, ...args) {
      reset();
      call(name, ...args);
      return BigInt.asUintN(64, counter.value as bigint);
    },
  };
}

/** Instantiates a binary as is (the uninstrumented reference). */
export async function plain(wasm: Uint8Array, imports: WebAssembly.Imports = {}): Promise<WebAssembly.Exports> {
  const { instance } = await WebAssembly.instantiate(new Uint8Array(wasm), imports);
  return instance.exports;
}
