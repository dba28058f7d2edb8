import type { Address, Hex } from "viem";
import { getAddress, isAddress, isHex } from "viem/utils";
import { z } from "zod";

/** A checksummed EVM address; accepts any case on input. */
export const addressSchema = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), { message: "must be a 0x-prefixed 20-byte hex address" })
  .transform((s) => getAddress(s) as Address);

/** A 0x-prefixed 32-byte hex value. */
export const bytes32Schema = z
  .string()
  .refine((s) => isHex(s, { strict: true }) && s.length === 66, { message: "must be 0x-prefixed 32-byte hex" })
  .transform((s) => s.toLowerCase() as Hex);

/** 0x-prefixed hex bytes of any length. */
export const hexSchema = z
  .string()
  .refine((s) => isHex(s, { strict: true }) && s.length % 2 === 0, { message: "must be 0x-prefixed hex bytes" })
  .transform((s) => s.toLowerCase() as Hex);

/** An unsigned integer of `bits` bits, as a bigint (accepts bigint, safe integer or decimal string). */
export const uintSchema = (bits: number) =>
  z
    .union([z.bigint(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d+$/)])
    .transform((v) => BigInt(v))
    .refine((v) => v >= 0n && v < 1n << BigInt(bits), { message: `must fit in uint${bits}` });

/** An unsigned integer of at most 32 bits, as a number. */
export const smallUintSchema = (bits: 8 | 16 | 32) => z.number().int().min(0).max(2 ** bits - 1);
