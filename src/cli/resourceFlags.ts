// `lilypad resource-provider --cpu --ram --gpu --disk`: what the provider offers, detected unless a flag says
// otherwise. The flags are checked with zod; sizes take MiB, or a unit (512M, 16G, 2T, 16GiB).
import type { Command } from "commander";
import { z } from "zod";
import { InvalidArgumentError } from "../core/errors.ts";
import type { FreeCapacity } from "../core/market/marketOrders.ts";
import type { DetectedResources } from "../resource-provider/detectResources.ts";

const UNIT_MIB: Record<string, number> = { "": 1, m: 1, mib: 1, g: 1024, gib: 1024, t: 1024 * 1024, tib: 1024 * 1024 };

/** A size in MiB: "4096", "512M", "16G", "16GiB", "2T". */
export const sizeMiBSchema = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*(m|mib|g|gib|t|tib)?$/i, { message: "must be a size in MiB, or with a unit: 512M, 16G, 2T" })
  .transform((text) => {
    const [, number = "", unit = ""] = /^([\d.]+)\s*([a-z]*)$/i.exec(text) ?? [];
    return Math.floor(Number(number) * (UNIT_MIB[unit.toLowerCase()] ?? Number.NaN));
  });

/** The four flags as commander hands them over: strings, or absent. */
export interface ResourceFlags {
  cpu?: string;
  ram?: string;
  gpu?: string;
  disk?: string;
}

export const resourceFlagsSchema = z.object({
  cpu: z.coerce
    .number({ message: "must be a number of CPU cores" })
    .positive({ message: "must be a number of CPU cores above 0 (fractions allowed)" })
    .max(1 << 16, { message: "is more than 65536 cores" })
    .optional(),
  ram: sizeMiBSchema.pipe(z.number().int().min(1, { message: "must be at least 1 MiB" }).max(2 ** 30)).optional(),
  gpu: z.coerce
    .number({ message: "must be a whole number of GPUs" })
    .int({ message: "must be a whole number of GPUs" })
    .nonnegative({ message: "must be a whole number of GPUs" })
    .max(1024, { message: "is more than 1024 GPUs" })
    .optional(),
  disk: sizeMiBSchema.pipe(z.number().int().nonnegative().max(2 ** 40)).optional(),
});

/** Adds the four flags to a command. */
export function addResourceFlags(command: Command): Command {
  return command
    .option("--cpu <cores>", "CPU cores offered (default: this machine's, os.availableParallelism)")
    .option("--ram <size>", "memory offered, MiB or with a unit: 8G (default: total memory less max(1 GiB, 1/8))")
    .option("--gpu <n>", "GPUs offered (default: those nvidia-smi lists, else 0)")
    .option("--disk <size>", "disk offered, MiB or with a unit: 100G (default: free space of $LILYPAD_HOME/work less max(1 GiB, 5%))");
}

export type ResourceOverrides = z.output<typeof resourceFlagsSchema>;

/** The flags checked and converted (sizes to MiB). Throws InvalidArgumentError naming the flag. */
export function parseResourceFlags(flags: ResourceFlags): ResourceOverrides {
  const given: ResourceFlags = {};
  for (const key of ["cpu", "ram", "gpu", "disk"] as const) if (flags[key] !== undefined) given[key] = flags[key];
  const parsed = resourceFlagsSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const flag = key === "cpu" || key === "ram" || key === "gpu" || key === "disk" ? key : undefined;
  const argument = flag ? `--${flag}` : "--cpu/--ram/--gpu/--disk";
  throw new InvalidArgumentError({ argument, message: `${argument} ${flag ? `"${given[flag] ?? ""}" ` : ""}${issue?.message ?? "is not valid"}` });
}

/** What the provider offers: each flag given, else what was detected. */
export function offeredResources(detected: DetectedResources, overrides: ResourceOverrides): FreeCapacity {
  return {
    cpu: overrides.cpu ?? detected.offer.cpu,
    ramMiB: overrides.ram ?? detected.offer.ramMiB,
    gpu: overrides.gpu ?? detected.offer.gpu,
    diskMiB: overrides.disk ?? detected.offer.diskMiB,
  };
}

/** Two lines for the provider's start: what it offers, and what it found. */
export function describeOffer(offer: FreeCapacity, detected: DetectedResources): string {
  const gpus = detected.gpus.length
    ? detected.gpus.map((g) => (g.memoryMiB === undefined ? g.name : `${g.name} ${g.memoryMiB} MiB`)).join(", ")
    : `none: ${detected.gpuNote ?? "not found"}`;
  return (
    `offering cpu ${offer.cpu}, ram ${offer.ramMiB} MiB, gpu ${offer.gpu}, disk ${offer.diskMiB} MiB\n` +
    `  detected: ${detected.cpus} CPUs; ${detected.totalRamMiB} MiB memory (${detected.ramReserveMiB} MiB kept for the system); ` +
    `${detected.freeDiskMiB} MiB free at ${detected.diskPath} (${detected.diskReserveMiB} MiB kept free); GPUs: ${gpus}\n`
  );
}
