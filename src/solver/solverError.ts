import { httpStatusOf, type SolverErrorCode } from "../core/api/solverErrors.ts";
import { LilypadError } from "../core/errors.ts";

/** A request the solver refuses; its code comes from the protocol's list, and HTTP answers carry it with the message. */
export class SolverError extends LilypadError {
  declare readonly code: SolverErrorCode;
  /** The HTTP status to answer with. */
  readonly status: number;

  constructor(code: SolverErrorCode, message: string) {
    super({ code, message });
    this.name = "SolverError";
    this.status = httpStatusOf(code);
  }
}
