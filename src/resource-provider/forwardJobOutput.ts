// The provider's side of live job output: what the sandbox's tail hears (tailJobOutput) goes to the solver as
// `job.output` messages, bounded so that a chatty job cannot flood the solver: at most one message per stream per
// interval, each at most MAX_OUTPUT_CHUNK characters, and at most `maxChars` per job in all. What is past the bound
// is not lost: the result holds the whole output, and `lilypad jobs logs` prints it from there once it is posted.
import type { Hex } from "viem";
import { MAX_OUTPUT_CHUNK, type JobLogMessage, type JobOutputMessage } from "../core/api/solverProtocol.ts";
import type { OutputStream } from "../sandbox/tailJobOutput.ts";

/** Characters of a job's output forwarded live, both streams together (the solver keeps more: MAX_OUTPUT_CHARS). */
export const MAX_LIVE_OUTPUT_CHARS = 64 * 1024;
/** How often buffered output is sent (ms). */
const FLUSH_MS = 500;

export interface ForwardJobOutputParameters {
  dealId: Hex;
  send: (message: JobOutputMessage | JobLogMessage) => void;
  maxChars?: number;
  flushMs?: number;
}

export interface OutputForwarder {
  /** What the sandbox's tail hears. */
  onOutput: (stream: OutputStream, data: Uint8Array) => void;
  /** Sends what is buffered (within the bounds) and stops. */
  close: () => void;
}

export function forwardJobOutput(params: ForwardJobOutputParameters): OutputForwarder {
  const maxChars = params.maxChars ?? MAX_LIVE_OUTPUT_CHARS;
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const buffered = { stdout: "", stderr: "" };
  /** Characters sent or buffered so far: the bound applies to both. */
  let taken = 0;
  let truncated = false;
  let closed = false;

  const flush = (all: boolean) => {
    for (const stream of ["stdout", "stderr"] as const) {
      while (buffered[stream].length > 0) {
        const data = buffered[stream].slice(0, MAX_OUTPUT_CHUNK);
        buffered[stream] = buffered[stream].slice(data.length);
        params.send({ type: "job.output", dealId: params.dealId, stream, data });
        if (!all) break;
      }
    }
  };
  const timer = setInterval(() => flush(false), params.flushMs ?? FLUSH_MS);
  timer.unref();

  return {
    onOutput(stream, bytes) {
      if (closed || truncated) return;
      const text = decoders[stream].decode(bytes, { stream: true });
      const room = maxChars - taken;
      buffered[stream] += text.slice(0, room);
      taken += Math.min(text.length, room);
      if (text.length > room) {
        truncated = true;
        // Said once, after what fits: whoever follows the job knows the rest comes with the result.
        flush(true);
        params.send({ type: "job.log", dealId: params.dealId, line: `output past ${maxChars} characters is not shown live; it is all in the result` });
      }
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush(true);
    },
  };
}
