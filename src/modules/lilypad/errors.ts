import { LilypadError } from "../../core/errors.ts";

/** Where in a template something is: 1-based line and column (columns count UTF-16 code units). */
export interface TemplatePosition {
  line: number;
  column: number;
}

/**
 * A Lilypad module template (`lilypad_module.json.tmpl`) that cannot be translated into a manifest: a template
 * construct outside the subset we read, or a job spec field we refuse. `position` is set when the problem is at a
 * place in the template text.
 */
export class LilypadTemplateError extends LilypadError {
  readonly position: TemplatePosition | undefined;
  constructor(params: { reason: string; position?: TemplatePosition; hint?: string; cause?: unknown }) {
    const where = params.position ? ` at line ${params.position.line}, column ${params.position.column}` : "";
    super({ code: "LILYPAD_TEMPLATE", message: `cannot translate the Lilypad module template${where}: ${params.reason}`, hint: params.hint, cause: params.cause });
    this.name = "LilypadTemplateError";
    this.position = params.position;
  }
}
