// The module manifest: the one definition of what a module is. Its id is the CID of its canonical JSON, so a
// published module version can never change under a user. `npm run build:schema` (scripts/build-schema.ts)
// writes the JSON Schema generated from this zod schema for module authors.
import { z } from "zod";

const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");

/** Input names are what users type after -i, e.g. -i Message=hello. */
const inputName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "1-64 characters of A-Z, a-z, 0-9 or '_', starting with a letter");

/** A CIDv1 in its default base32 string form. */
export const cidStringSchema = z.string().regex(/^b[a-z2-7]{20,}$/, "a CIDv1 in base32 (starts with 'b')");

/** Whether `pattern` compiles the way moduleInputs.ts checks a value against it: anchored, with the u flag. */
function compilesAsPattern(pattern: string): boolean {
  try {
    new RegExp(`^(?:${pattern})$`, "u");
    return true;
  } catch {
    return false;
  }
}

const inputCommon = {
  name: inputName,
  description: z.string().max(500).default(""),
  required: z.boolean().default(false),
};

export const moduleInputSchema = z.discriminatedUnion("type", [
  z.object({
    ...inputCommon,
    type: z.literal("string"),
    default: z.string().optional(),
    maxLength: z.number().int().positive().max(1_000_000).default(1000),
    pattern: z.string().refine(compilesAsPattern, "not a valid regular expression (JavaScript syntax, with the u flag)").optional(),
    enum: z.array(z.string()).min(1).optional(),
  }),
  z.object({
    ...inputCommon,
    type: z.literal("integer"),
    default: z.number().int().optional(),
    min: z.number().int().default(Number.MIN_SAFE_INTEGER),
    max: z.number().int().default(Number.MAX_SAFE_INTEGER),
  }),
  z.object({
    ...inputCommon,
    type: z.literal("number"),
    default: z.number().optional(),
    min: z.number().default(-Number.MAX_VALUE),
    max: z.number().default(Number.MAX_VALUE),
  }),
  z.object({ ...inputCommon, type: z.literal("boolean"), default: z.boolean().optional() }),
  z.object({
    ...inputCommon,
    type: z.literal("file"),
    /** The file is placed at /inputs/<fileName> (default: the input's name). */
    fileName: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).optional(),
    maxBytes: z.number().int().positive().max(1 << 30).default(16 << 20),
  }),
]);
export type ModuleInput = z.output<typeof moduleInputSchema>;

/** docker and bacalhau are refused with a pointer to container, which runs OCI images (docs/containers.md). */
export const moduleEngineSchema = z.enum(["wasm", "js", "container", "docker", "bacalhau"]);
export type ModuleEngine = z.infer<typeof moduleEngineSchema>;

/**
 * Whether the protocol meters an engine's runs exactly: instructions counted and memory and output limited by code
 * rewritten into the module, so that every honest run of a job counts and stops identically. Only wasm. The js
 * engine's limits are watchdogs on the host (wall clock, sampled resident memory) and it counts nothing, so its
 * modules are priced per run and no stop of theirs is a result (src/core/sandboxLimits.ts).
 */
export function isExactlyMetered(engine: ModuleEngine): boolean {
  return engine === "wasm";
}

/** An OCI image ID: the sha256 digest of the image's config, which names every layer by its digest in turn. */
export const imageIdSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, "an image ID: sha256: and 64 lowercase hex digits");

/**
 * The artifact of a packaged module: for wasm the .wasm file; for js a directory holding `entry` and its model
 * files; for container an OCI image archive (`podman save --format oci-archive`), whose image must load as `image`.
 */
const artifactSchema = z.object({
  cid: cidStringSchema,
  entry: z.string().regex(/^[A-Za-z0-9._/-]{1,200}$/).optional(),
  image: imageIdSchema.optional(),
});

const manifestFields = z.object({
    manifestVersion: z.literal(1),
    name: identifier,
    version: identifier,
    description: z.string().max(2000),
    author: z.string().min(1).max(200),
    /**
     * wasm: a WASI command module, metered. js: an ES module run by Node in its own process (AI runtimes that are
     * JavaScript plus WebAssembly), priced per run. container: an OCI image run by podman with no network, priced
     * per run (docs/containers.md). docker and bacalhau are refused, naming container.
     */
    engine: moduleEngineSchema,
    artifact: artifactSchema,
    inputs: z.array(moduleInputSchema).max(64).default([]),
    /**
     * How inputs reach the program. `{{Name}}` in args, env values and stdin is replaced by the input's value;
     * file inputs are placed under /inputs.
     */
    invocation: z
      .object({
        args: z.array(z.string().max(4096)).max(256).default([]),
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4096)).default({}),
        stdin: z.string().max(1 << 20).optional(),
      })
      .default({ args: [], env: {} }),
    /** What the job asks of the resource provider. */
    resources: z
      .object({
        cpu: z.number().positive().max(256).default(1),
        ramMiB: z.number().int().positive().max(1 << 20).default(256),
        gpu: z.number().int().nonnegative().max(16).default(0),
        diskMiB: z.number().int().nonnegative().max(1 << 24).default(64),
      })
      .default({ cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 64 }),
    /** Hard limits the sandbox enforces. */
    limits: z
      .object({
        memoryMiB: z.number().int().positive().max(4096).default(64),
        /** Instruction budget as a decimal string (it can exceed 2^53). */
        instructions: z.string().regex(/^[1-9][0-9]{0,19}$/).default("10000000000"),
        timeoutMs: z.number().int().positive().max(24 * 3600_000).default(60_000),
        outputBytes: z.number().int().positive().max(1 << 30).default(64 << 20),
      })
      .default({ memoryMiB: 64, instructions: "10000000000", timeoutMs: 60_000, outputBytes: 64 << 20 }),
    /** Same inputs, same output bytes: required for mediation by re-execution. */
    deterministic: z.boolean(),
    /** metered: price per million instructions plus a base price. per-run: the base price only. */
    pricing: z.enum(["metered", "per-run"]),
  });

/**
 * What an author writes in a module folder's manifest.json. The build stores the artifact and fills in
 * `artifact.cid` itself, so the author may leave `artifact` out (a js module still names its `entry`) or keep any
 * value there, such as the docs' "bafkrei..." or the placeholder in the shipped manifests: it is ignored.
 */
const sourceArtifactSchema = z.object({
  cid: z.string().max(200).optional(),
  entry: artifactSchema.shape.entry,
  image: z.string().max(200).optional(),
});
const sourceManifestFields = manifestFields.extend({ artifact: sourceArtifactSchema.optional() });
export const sourceManifestSchema = sourceManifestFields.superRefine(checkManifest);
export type SourceManifest = z.output<typeof sourceManifestSchema>;

/** The placeholder the shipped manifests carry; any other value an author leaves in artifact.cid is ignored too. */
export const PLACEHOLDER_ARTIFACT_CID = "bafkreiplaceholderplaceholderplaceholderplaceholderplaceholde";

/** The rules that span fields, for packaged and source manifests alike. */
function checkManifest(m: z.output<typeof sourceManifestFields>, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  for (const input of m.inputs) {
    if (names.has(input.name)) ctx.addIssue({ code: "custom", message: `duplicate input "${input.name}"`, path: ["inputs"] });
    names.add(input.name);
  }
  if (m.engine === "wasm" && m.pricing !== "metered") {
    ctx.addIssue({ code: "custom", message: "wasm modules are metered", path: ["pricing"] });
  }
  if (!isExactlyMetered(m.engine) && m.pricing === "metered") {
    ctx.addIssue({ code: "custom", message: `${m.engine} modules are not metered exactly, so they are priced per run`, path: ["pricing"] });
  }
  if (m.engine === "docker" || m.engine === "bacalhau") {
    ctx.addIssue({ code: "custom", message: `the ${m.engine} engine is not supported: use "container", which runs an OCI image archive named by CID (docs/containers.md)`, path: ["engine"] });
  }
  if (m.engine === "js" && !m.artifact?.entry) {
    ctx.addIssue({ code: "custom", message: "js modules name their entry file", path: ["artifact", "entry"] });
  }
  const placeholders = [...m.invocation.args, ...Object.values(m.invocation.env), m.invocation.stdin ?? ""].join(" ");
  for (const [, used] of placeholders.matchAll(/\{\{([^}]*)\}\}/g)) {
    if (!names.has(used!)) ctx.addIssue({ code: "custom", message: `placeholder {{${used}}} names no input`, path: ["invocation"] });
  }
}

/** A packaged module's manifest: what its id hashes, naming its real artifact by CID. */
export const moduleManifestSchema = manifestFields.superRefine((m, ctx) => {
  checkManifest(m, ctx);
  if (m.engine === "container" && !m.artifact.image) {
    ctx.addIssue({ code: "custom", message: "container modules name the image ID their archive loads as", path: ["artifact", "image"] });
  }
  if (m.engine !== "container" && m.artifact.image !== undefined) {
    ctx.addIssue({ code: "custom", message: "only container modules name an image", path: ["artifact", "image"] });
  }
});
export type ModuleManifest = z.output<typeof moduleManifestSchema>;
export type ModuleManifestInput = z.input<typeof moduleManifestSchema>;

