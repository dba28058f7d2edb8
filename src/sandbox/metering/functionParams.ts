// How many parameters each function the module defines takes: a function's locals are numbered after its
// parameters, so the pass needs this to name the local it adds to every body.
import type { WasmReader } from "./wasmReader.ts";
import { skipValType } from "./wasmTypes.ts";

const FUNC_TYPE = 0x60;

/**
 * Parameter counts of the defined functions, in code-section order, from the type and function sections. Types
 * other than plain function types (the GC proposal's recursive groups and structs) are refused, as the pass
 * refuses GC everywhere else.
 */
export function definedFunctionParams(types: WasmReader | undefined, functions: WasmReader | undefined): number[] {
  const paramsOfType: number[] = [];
  if (types !== undefined) {
    for (let i = types.u32(); i > 0; i--) {
      const at = types.pos;
      const form = types.byte();
      if (form !== FUNC_TYPE) throw types.unsupported(`type form 0x${form.toString(16)} (GC types)`, at);
      const params = types.u32();
      for (let p = 0; p < params; p++) skipValType(types);
      for (let r = types.u32(); r > 0; r--) skipValType(types);
      paramsOfType.push(params);
    }
    types.expectEnd("type section");
  }
  const result: number[] = [];
  if (functions !== undefined) {
    for (let i = functions.u32(); i > 0; i--) {
      const at = functions.pos;
      const params = paramsOfType[functions.u32()];
      if (params === undefined) throw functions.invalid("function names a type that does not exist", at);
      result.push(params);
    }
    functions.expectEnd("function section");
  }
  return result;
}
