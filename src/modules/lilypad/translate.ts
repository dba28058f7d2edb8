// Translates a Lilypad module (lilypad_module.json.tmpl: a Go template of a Bacalhau job spec) into a source
// manifest for the container engine, once and without inputs: our module id is the CID of the manifest, so the
// manifest cannot depend on them. Each template variable becomes a string input, printed as {{Name}} in the args
// or env. What is honoured, refused and ignored is listed in docs/containers.md ("Lilypad's module format").
import { InvalidManifestError } from "../../core/errors.ts";
import { parseSourceManifest } from "../../core/moduleId.ts";
import type { ModuleInput, SourceManifest } from "../../core/moduleManifest.ts";
import { LilypadTemplateError } from "./errors.ts";
import { parseGoTemplate } from "./goTemplate.ts";
import { megabytesToMiB, parseBytesMiB, parseCpu, parseImageReference, type LilypadImageReference } from "./jobSpecValues.ts";
import { renderSymbolic, type SymbolicRender } from "./renderSymbolic.ts";

export type { LilypadImageReference } from "./jobSpecValues.ts";

export interface TranslateLilypadOptions {
  /** The manifest's name (default: the image's repository's last part, e.g. "cowsay"). */
  name?: string;
  /** The manifest's version (default "v1"). */
  version?: string;
  description?: string;
  author?: string;
}

export interface LilypadTranslation {
  /** A source manifest for engine "container", checked with sourceManifestSchema; the build adds the image archive. */
  manifest: SourceManifest;
  /** The image the job spec names, by digest. */
  image: LilypadImageReference;
  /** What the translation left out or changed, one sentence each. */
  notes: string[];
}

/** The most a manifest's limits.memoryMiB may be (moduleManifest.ts). */
const MAX_MEMORY_MIB = 4096;
const MAX_TIMEOUT_MS = 24 * 3600_000;
const IGNORED_SPEC_FIELDS = new Set(["Verifier", "PublisherSpec", "Publisher", "Deal", "Annotations", "NodeSelectors", "DoNotTrack"]);
const READ_SPEC_FIELDS = new Set(["Engine", "Docker", "Network", "Resources", "Timeout", "Inputs", "Outputs"]);

type Json = Record<string, unknown>;

/** Translates a lilypad_module.json.tmpl, or throws LilypadTemplateError saying what is not supported and where. */
export function translateLilypadTemplate(text: string, options: TranslateLilypadOptions = {}): LilypadTranslation {
  const rendered = renderSymbolic(parseGoTemplate(text), text);
  const notes = [...rendered.notes];
  const refuse = (reason: string, hint?: string): never => {
    throw new LilypadTemplateError({ reason, hint });
  };
  const object = (value: unknown, where: string): Json | undefined => {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return refuse(`${where} is not a JSON object`);
    return value as Json;
  };
  const fixed = (value: unknown, where: string): string | number | boolean => {
    if (typeof value === "string" && rendered.hasVariable(value)) {
      return refuse(`${where} depends on the variables ${rendered.variablesIn(value).map((n) => `.${n}`).join(", ")}: only the program's arguments and environment can`);
    }
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return refuse(`${where} is not a string, number or boolean`);
    return value;
  };
  const fixedString = (value: unknown, where: string): string => {
    const v = fixed(value, where);
    if (typeof v !== "string") return refuse(`${where} is not a string`);
    return v;
  };
  const fixedNumber = (value: unknown, where: string): number => {
    const v = fixed(value, where);
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return refuse(`${where} is not a non-negative number`);
    return v;
  };
  const ignore = (where: string, why: string): void => {
    notes.push(`${where} is ignored: ${why}`);
  };
  checkNoVariableInKeys(rendered.json, "the job spec", rendered, refuse);

  const top = object(rendered.json, "the rendered template")!;
  for (const key of Object.keys(top)) if (key !== "machine" && key !== "job") ignore(key, "not part of a Lilypad module");
  const machine = object(top.machine, "machine") ?? {};
  const job = object(top.job, "job") ?? refuse("the module has no job");
  for (const key of Object.keys(machine)) if (!["cpu", "ram", "gpu"].includes(key)) ignore(`machine.${key}`, "only cpu, ram and gpu are read");
  for (const key of Object.keys(job)) {
    if (key === "APIVersion" || key === "Metadata") ignore(`job.${key}`, "Bacalhau's bookkeeping");
    else if (key !== "Spec") ignore(`job.${key}`, "not part of a job spec");
  }
  const spec = object(job.Spec, "job.Spec") ?? refuse("the job has no Spec");

  for (const key of Object.keys(spec)) {
    if (IGNORED_SPEC_FIELDS.has(key)) ignore(`job.Spec.${key}`, ignoredWhy(key));
    else if (key === "Wasm") refuse("job.Spec.Wasm: Bacalhau's wasm engine is not read; a WASI module is a wasm module of ours (lilypad module init)");
    else if (!READ_SPEC_FIELDS.has(key)) refuse(`job.Spec.${key} is not supported`, "docs/containers.md lists the job spec fields a Lilypad module may use");
  }
  if (spec.Engine !== undefined && fixed(spec.Engine, "job.Spec.Engine") !== "Docker") {
    refuse(`job.Spec.Engine is ${JSON.stringify(spec.Engine)}: only "Docker" jobs translate (to the container engine)`);
  }
  const network = object(spec.Network, "job.Spec.Network");
  if (network) {
    const type = network.Type === undefined ? "None" : fixed(network.Type, "job.Spec.Network.Type");
    if (type !== "None") refuse(`job.Spec.Network.Type is ${JSON.stringify(type)}: our containers run with no network, so only "None" is accepted`);
    for (const key of Object.keys(network)) if (key !== "Type") ignore(`job.Spec.Network.${key}`, "the container has no network");
  }
  const inputs = spec.Inputs;
  if (inputs !== undefined && !(Array.isArray(inputs) && inputs.length === 0)) {
    refuse("job.Spec.Inputs: storage the job fetches by URL or CID before it runs is not supported", "take data as a module input: a file input is placed under /inputs");
  }
  const outputs = spec.Outputs;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) refuse("job.Spec.Outputs is not a list");
    for (const [k, output] of (outputs as unknown[]).entries()) {
      const o = object(output, `job.Spec.Outputs[${k}]`)!;
      const path = fixed(o.Path, `job.Spec.Outputs[${k}].Path`);
      if (path !== "/outputs" && path !== "/outputs/") refuse(`job.Spec.Outputs[${k}].Path is ${JSON.stringify(path)}: the only output folder is /outputs`);
    }
  }

  const docker = object(spec.Docker, "job.Spec.Docker") ?? refuse("job.Spec.Docker is missing: a Docker job names its image there");
  for (const key of Object.keys(docker)) {
    if (!["Image", "Entrypoint", "Parameters", "EnvironmentVariables", "WorkingDirectory"].includes(key)) refuse(`job.Spec.Docker.${key} is not supported`);
  }
  const image = parseImageReference(fixedString(docker.Image, "job.Spec.Docker.Image"));
  if (docker.WorkingDirectory !== undefined && fixed(docker.WorkingDirectory, "job.Spec.Docker.WorkingDirectory") !== "") {
    refuse("job.Spec.Docker.WorkingDirectory is not supported: the container runs in its image's working directory", "set WORKDIR in the image instead");
  }
  const list = (value: unknown, where: string): unknown[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) return refuse(`${where} is not a list`);
    return value;
  };
  const argument = (value: unknown, where: string): string => {
    if (typeof value !== "string") return refuse(`${where} is not a string`);
    return rendered.placeholders(value, where);
  };
  const entrypoint = list(docker.Entrypoint, "job.Spec.Docker.Entrypoint").map((v, k) => argument(v, `job.Spec.Docker.Entrypoint[${k}]`));
  const parameters = list(docker.Parameters, "job.Spec.Docker.Parameters").map((v, k) => argument(v, `job.Spec.Docker.Parameters[${k}]`));
  if (entrypoint.length === 0 && parameters.length > 0) {
    refuse("job.Spec.Docker.Parameters without an Entrypoint: they would follow the image's own entrypoint, which a manifest cannot name", "give the command in Entrypoint");
  }
  const env: Record<string, string> = {};
  for (const [k, entry] of list(docker.EnvironmentVariables, "job.Spec.Docker.EnvironmentVariables").entries()) {
    const where = `job.Spec.Docker.EnvironmentVariables[${k}]`;
    if (typeof entry !== "string") refuse(`${where} is not a string`);
    const s = entry as string;
    const eq = s.indexOf("=");
    if (eq <= 0) refuse(`${where} is not NAME=value`);
    const key = s.slice(0, eq);
    if (rendered.hasVariable(key)) refuse(`${where}: the name of an environment variable cannot depend on a variable`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) refuse(`${where}: ${JSON.stringify(key)} is not an environment variable name (letters, digits and '_')`);
    if (Object.hasOwn(env, key)) refuse(`${where}: ${key} is set twice`);
    env[key] = rendered.placeholders(s.slice(eq + 1), where);
  }

  // Resources: what the machine section asks of a provider and what Bacalhau's Resources ask of the container; the
  // job needs both, so the larger of each is taken.
  const resources = object(spec.Resources, "job.Spec.Resources") ?? {};
  for (const key of Object.keys(resources)) if (!["CPU", "Memory", "Disk", "GPU"].includes(key)) ignore(`job.Spec.Resources.${key}`, "only CPU, Memory, Disk and GPU are read");
  const larger = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const nonEmpty = (value: unknown, where: string): string | undefined => {
    if (value === undefined) return undefined;
    const s = fixed(value, where);
    return String(s).trim() === "" ? undefined : String(s);
  };
  const cpuText = nonEmpty(resources.CPU, "job.Spec.Resources.CPU");
  const memoryText = nonEmpty(resources.Memory, "job.Spec.Resources.Memory");
  const diskText = nonEmpty(resources.Disk, "job.Spec.Resources.Disk");
  const gpuText = nonEmpty(resources.GPU, "job.Spec.Resources.GPU");
  const machineCpu = machine.cpu === undefined ? undefined : fixedNumber(machine.cpu, "machine.cpu") / 1000;
  const machineRam = machine.ram === undefined ? undefined : megabytesToMiB(fixedNumber(machine.ram, "machine.ram"));
  const machineGpu = machine.gpu === undefined ? undefined : fixedNumber(machine.gpu, "machine.gpu");
  let gpuSpec: number | undefined;
  if (gpuText !== undefined) {
    if (!/^\s*[0-9]+\s*$/.test(gpuText)) refuse(`job.Spec.Resources.GPU: ${JSON.stringify(gpuText)} is not a number of GPUs`);
    gpuSpec = Number(gpuText);
  }
  const cpu = larger(machineCpu || undefined, cpuText === undefined ? undefined : parseCpu(cpuText, "job.Spec.Resources.CPU") || undefined);
  const ramMiB = larger(machineRam || undefined, memoryText === undefined ? undefined : parseBytesMiB(memoryText, "job.Spec.Resources.Memory") || undefined);
  const gpu = larger(machineGpu, gpuSpec);
  if (gpu !== undefined && !Number.isInteger(gpu)) refuse(`machine.gpu: ${gpu} is not a whole number of GPUs`);
  const diskMiB = diskText === undefined ? undefined : parseBytesMiB(diskText, "job.Spec.Resources.Disk");
  const memoryMiB = Math.min(ramMiB ?? 256, MAX_MEMORY_MIB);
  if (ramMiB !== undefined && ramMiB > MAX_MEMORY_MIB) {
    notes.push(`the job asks for ${ramMiB} MiB of memory; the container's memory limit is capped at ${MAX_MEMORY_MIB} MiB (resources.ramMiB keeps the request)`);
  }

  let timeoutMs: number | undefined;
  if (spec.Timeout !== undefined) {
    const seconds = fixedNumber(spec.Timeout, "job.Spec.Timeout");
    if (seconds === 0) notes.push("job.Spec.Timeout is 0: the manifest's default timeout applies");
    else {
      timeoutMs = Math.min(Math.ceil(seconds * 1000), MAX_TIMEOUT_MS);
      if (seconds * 1000 > MAX_TIMEOUT_MS) notes.push(`job.Spec.Timeout of ${seconds} s is capped at 24 hours`);
    }
  }

  const used = new Set<string>();
  for (const s of [...entrypoint, ...parameters, ...Object.values(env)]) for (const [, name] of s.matchAll(/\{\{([^}]*)\}\}/g)) used.add(name!);
  const manifestInputs: ModuleInput[] = rendered.variables.map((v) => {
    if (!used.has(v.name)) notes.push(`.${v.name} reaches neither the program's arguments nor its environment: it is an input that changes nothing`);
    return {
      name: v.name,
      type: "string",
      description: "",
      required: v.required,
      maxLength: 1000,
      ...(v.default === undefined ? {} : { default: v.default }),
    };
  });

  const draft = {
    manifestVersion: 1,
    name: options.name ?? defaultName(image.name),
    version: options.version ?? "v1",
    description: options.description ?? `Lilypad module ${image.name}${image.tag ? `:${image.tag}` : ""}, translated from its lilypad_module.json.tmpl`,
    author: options.author ?? "unknown",
    engine: "container",
    inputs: manifestInputs,
    invocation: { args: [...entrypoint, ...parameters], env },
    resources: { ...(cpu === undefined ? {} : { cpu }), ...(ramMiB === undefined ? {} : { ramMiB }), ...(gpu === undefined ? {} : { gpu }), ...(diskMiB === undefined ? {} : { diskMiB }) },
    limits: { memoryMiB, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
    deterministic: true,
    pricing: "per-run",
  };
  let manifest: SourceManifest;
  try {
    manifest = parseSourceManifest(draft, "translated from lilypad_module.json.tmpl");
  } catch (e) {
    if (e instanceof InvalidManifestError) throw new LilypadTemplateError({ reason: `the translated manifest is invalid: ${e.issues.join("; ")}`, cause: e });
    throw e;
  }
  return { manifest, image, notes };
}

function ignoredWhy(key: string): string {
  switch (key) {
    case "Verifier":
      return "a challenged job is judged by re-running it (docs/containers.md)";
    case "PublisherSpec":
    case "Publisher":
      return "results are stored by CID like every job's";
    case "Deal":
      return "each job is one run under its own deal";
    default:
      return "scheduling hints that do not change the run";
  }
}

/** The image repository's last part, made a manifest name (a-z, 0-9, '.', '_', '-'). */
function defaultName(repository: string): string {
  const last = repository.slice(repository.lastIndexOf("/") + 1).toLowerCase();
  const name = last.replace(/[^a-z0-9._-]/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 64);
  return name || "lilypad-module";
}

function checkNoVariableInKeys(value: unknown, where: string, rendered: SymbolicRender, refuse: (reason: string) => never): void {
  if (Array.isArray(value)) value.forEach((v, k) => checkNoVariableInKeys(v, `${where}[${k}]`, rendered, refuse));
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (rendered.hasVariable(key)) refuse(`a key of ${where} depends on a variable`);
      checkNoVariableInKeys(v, `${where}.${key}`, rendered, refuse);
    }
  }
}
