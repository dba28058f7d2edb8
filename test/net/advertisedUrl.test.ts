// What a role advertises: the public URL it is told, never the address it binds; every interface needs one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "../../src/core/errors.ts";
import { advertisedUrlFor, parsePublicUrl } from "../../src/net/advertisedUrl.ts";

describe("advertisedUrlFor", () => {
  it("advertises the public URL when given, whatever it binds", () => {
    assert.equal(advertisedUrlFor({ host: "0.0.0.0", publicUrl: "https://rp.example.org/" })("http://127.0.0.1:8550"), "https://rp.example.org");
    assert.equal(advertisedUrlFor({ host: "10.0.0.5", publicUrl: "http://203.0.113.7:8550" })("http://10.0.0.5:8550"), "http://203.0.113.7:8550");
    assert.equal(parsePublicUrl("https://example.org/lilypad/"), "https://example.org/lilypad");
  });

  it("advertises the address it listens on when bound to one interface and told nothing", () => {
    assert.equal(advertisedUrlFor({ host: "127.0.0.1", publicUrl: undefined })("http://127.0.0.1:41234"), "http://127.0.0.1:41234");
    assert.equal(advertisedUrlFor({ host: undefined, publicUrl: undefined })("http://127.0.0.1:1"), "http://127.0.0.1:1");
  });

  it("refuses every interface without a public URL, and a public URL that is not a base http(s) URL", () => {
    for (const host of ["0.0.0.0", "::", "[::]"]) {
      assert.throws(() => advertisedUrlFor({ host, publicUrl: undefined }), (error: unknown) => error instanceof InvalidArgumentError && /--public-url/.test(error.hint ?? "") && /every interface/.test(error.message));
    }
    for (const bad of ["rp.example.org", "ftp://rp.example.org", "https://user:pw@rp.example.org", "https://rp.example.org/?a=1", "https://rp.example.org/#x"]) {
      assert.throws(() => advertisedUrlFor({ host: "0.0.0.0", publicUrl: bad }), InvalidArgumentError, bad);
    }
  });
});
