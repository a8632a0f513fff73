import * as assert from "assert";
import { runCli as run } from "../support/runCli";

describe("the top-level usage", () => {
    it("help lists every command", async () => {
        const r = await run(["--help"]);
        assert.strictEqual(r.code, 0);
        for (const command of ["env", "lint", "tag", "up", "preview", "rollback", "status", "releases"]) {
            assert.match(r.out, new RegExp(`^  ${command} `, "m"), command);
        }
    });

    it("the top-level usage lists each command's synopsis, as its --help shows it, and its summary", async () => {
        assert.strictEqual(
            (await run(["--help"])).out,
            `usage: pinned COMMAND [ARGS]

commands:
  env up|status|down|shell [PART...]
                               the embedded local environment (engine, registry, …)
  lint [--strict] DOCKERFILE...
                               check a recipe for unpinned inputs
  base [--commit] update [DOCKERFILE]
                               re-pin the recipe's base images to the registry's current digests
  tag REF                      print the container tag for a git ref
  release                      tag HEAD as the next release of today and deploy it
  up [--release R]             build (once) and deploy a release by digest
  preview [--release R] [--markdown]
                               what an up would change: the engine's preview, digests, policy
  rollback [--to R]            redeploy an earlier release's digest (no build)
  status                       live Deployment vs the recorded digest (drift)
  releases [--json]            every release: commit, digest, deployed at, verified, live
  verify R                     rebuild release R and compare it with its recorded digest
  registry-password --release R [--pull]
                               set R's registry password from stdin, bound to its registry

Run "pinned COMMAND --help" for details.
`,
        );
    });
});
