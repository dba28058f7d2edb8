// The code section: every function body is metered (see meterFunctionBody.ts for what is counted); the order and
// number of bodies, and so every function index, stay the same.
import { ByteWriter } from "./byteWriter.ts";
import { meterFunctionBody, type MeteringTarget } from "./meterFunctionBody.ts";
import type { WasmReader } from "./wasmReader.ts";

export interface MeterCodeSectionResult {
  payload: Uint8Array;
  functions: number;
  charges: number;
  instructions: number;
}

/** `params`: how many parameters each body's function takes, in order. */
export function meterCodeSection(reader: WasmReader, target: MeteringTarget, params: readonly number[]): MeterCodeSectionResult {
  const at = reader.pos;
  const functions = reader.u32();
  if (functions !== params.length) throw reader.invalid(`the code section has ${functions} bodies for ${params.length} functions`, at);
  // The rewritten section is the original plus the charges: about 1.5x for typical compiler output.
  const out = new ByteWriter(Math.ceil((reader.end - reader.pos) * 1.6) + 64);
  const body = new ByteWriter(4096);
  out.u32(functions);
  let charges = 0;
  let instructions = 0;
  for (let i = 0; i < functions; i++) {
    const size = reader.u32();
    body.reset();
    const metered = meterFunctionBody({ body: reader.region(size), out: body, target, params: params[i]! });
    charges += metered.charges;
    instructions += metered.instructions;
    out.u32(body.length);
    out.bytes(body.view());
  }
  reader.expectEnd("code section");
  return { payload: out.toBytes(), functions, charges, instructions };
}
