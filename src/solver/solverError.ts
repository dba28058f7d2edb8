import { LilypadError } from "../core/errors.ts";

/** A request the solver refuses; `code` is stable, and HTTP answers carry it with the message. */
export class SolverError extends LilypadError {
  /** The HTTP status to answer with. */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super({ code, message });
    this.name = "SolverError";
    this.status = status;
  }
}
