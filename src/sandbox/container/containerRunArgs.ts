// The `podman run` argument list of one container job: every flag of the table in docs/containers.md, as an array
// (never a shell line), so that inputs, however hostile, reach the container as single literal arguments.
import { availableParallelism } from "node:os";
import type { ModuleManifest } from "../../core/moduleManifest.ts";
import { fillTemplate, type ResolvedInputs } from "../../core/moduleInputs.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { JOB_LABEL } from "./podman.ts";

/** The user every job runs as: nobody, who owns nothing in the image. */
export const CONTAINER_USER = "65534:65534";
const PIDS_LIMIT = 256;
const TMP_MIB = 64;
const OPEN_FILES = 4096;

/**
 * The environment every run gets on top of the manifest's, so that honest runs on different machines give the same
 * bytes (docs/containers.md, "Judging"). It wins over the manifest's.
 */
export function determinismEnv(seed: Uint8Array): Record<string, string> {
  return {
    SOURCE_DATE_EPOCH: "0",
    TZ: "UTC",
    LANG: "C.UTF-8",
    PYTHONHASHSEED: "0",
    OMP_NUM_THREADS: "1",
    OPENBLAS_NUM_THREADS: "1",
    MKL_NUM_THREADS: "1",
    LILYPAD_SEED: Buffer.from(seed).toString("hex"),
  };
}

export interface ContainerRunArgsParameters {
  manifest: ModuleManifest;
  image: string;
  inputs: ResolvedInputs;
  /** The unique name of this job's container. */
  name: string;
  /** Host folders mounted at /inputs (read-only) and /outputs. */
  inputsDir: string;
  outputsDir: string;
  seed: Uint8Array;
  gpu: boolean;
  /** Whether the job has stdin (podman then keeps the container's stdin open). */
  stdin: boolean;
}

/** The arguments after `podman --runtime runc`. */
export function containerRunArgs(p: ContainerRunArgsParameters): string[] {
  const { manifest } = p;
  const { memoryMiB, outputBytes } = manifest.limits;
  const env = {
    ...Object.fromEntries(Object.entries(manifest.invocation.env).map(([k, v]) => [k, fillTemplate(v, p.inputs)])),
    ...determinismEnv(p.seed),
  };
  const [entrypoint, ...command] = manifest.invocation.args.map((a) => fillTemplate(a, p.inputs));
  return [
    "run",
    "--pull", "never",
    "--name", p.name,
    "--label", `${JOB_LABEL}=1`,
    // A fixed host name: podman's default is the container's random ID, which a module could print.
    "--hostname", "lilypad",
    "--network", "none",
    "--read-only",
    // podman's --read-only would also mount writable /run and /var/tmp; only /tmp is writable (docs/containers.md).
    "--read-only-tmpfs=false",
    // runc gives the tmpfs the mode of the image's /tmp (1777 in any usual image), not this mode=.
    "--tmpfs", `/tmp:rw,nosuid,nodev,size=${TMP_MIB}m,mode=1777`,
    "--cap-drop", "all",
    "--security-opt", "no-new-privileges",
    "--user", CONTAINER_USER,
    "--memory", `${memoryMiB}m`,
    "--memory-swap", `${memoryMiB}m`,
    // podman refuses more CPUs than the host has; a provider that took the job offered them, so it gets them all.
    "--cpus", String(Math.min(manifest.resources.cpu, availableParallelism())),
    "--pids-limit", String(PIDS_LIMIT),
    "--ulimit", `nofile=${OPEN_FILES}:${OPEN_FILES}`,
    "--ulimit", `nproc=${OPEN_FILES}:${OPEN_FILES}`,
    // One file past the output limit fails at once (SIGXFSZ) instead of filling the disk between watchdog looks;
    // the file ends one byte over the limit, which the host then reports.
    "--ulimit", `fsize=${outputBytes + 1}:${outputBytes + 1}`,
    // stdout and stderr reach the host through the attached client only: no log copy in podman's storage.
    "--log-driver", "none",
    "--mount", bindMount(p.inputsDir, "/inputs", true),
    "--mount", bindMount(p.outputsDir, "/outputs", false),
    ...(p.gpu ? ["--device", "nvidia.com/gpu=all"] : []),
    ...(p.stdin ? ["--interactive"] : []),
    ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    // A JSON array, so that podman takes the entrypoint literally instead of parsing it.
    ...(entrypoint === undefined ? [] : ["--entrypoint", JSON.stringify([entrypoint])]),
    p.image,
    ...command,
  ];
}

/** A --mount value; the host path is the job's own folder, refused if it holds the option syntax's separators. */
function bindMount(source: string, target: string, readOnly: boolean): string {
  if (/[,=\n]/.test(source)) {
    throw new InvalidArgumentError({ argument: "jobDir", message: `a job folder for a container may not hold ',', '=' or a newline: ${source}` });
  }
  return `type=bind,source=${source},destination=${target}${readOnly ? ",ro=true" : ""}`;
}
