import { LilypadError } from "../../core/errors.ts";

/** A container module's image.json that cannot be used: not JSON, or a field the schema refuses. */
export class ImageRecipeError extends LilypadError {
  constructor(params: { where: string; reason: string }) {
    super({ code: "IMAGE_RECIPE", message: `${params.where}: ${params.reason}`, hint: "see docs/containers.md, \"Building a container module\"" });
    this.name = "ImageRecipeError";
  }
}

/** mmdebstrap or podman is not installed: names the Debian packages that provide them. */
export class ImageToolMissingError extends LilypadError {
  readonly tool: string;
  constructor(params: { tool: string; packages: string[] }) {
    super({
      code: "TOOLCHAIN_MISSING",
      message: `building a container image needs ${params.tool}, which is not installed`,
      hint: `on Debian or Ubuntu: sudo apt-get install ${params.packages.join(" ")}`,
    });
    this.name = "ImageToolMissingError";
    this.tool = params.tool;
  }
}

/** A tool of the image build ran and failed; `output` is the end of what it printed. */
export class ImageBuildError extends LilypadError {
  readonly output: string;
  constructor(params: { step: string; reason: string; output?: string }) {
    super({ code: "IMAGE_BUILD_FAILED", message: `${params.step} failed: ${params.reason}${params.output ? `\n${params.output.trimEnd()}` : ""}` });
    this.name = "ImageBuildError";
    this.output = params.output ?? "";
  }
}
