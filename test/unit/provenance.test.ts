import * as assert from "assert";
import { BUILD_TYPE, provenanceDisagrees, provenanceMismatch, provenanceOf } from "../../core/provenance";
import { COMMIT, INPUTS, inputs, recipe } from "../support/provenanceInputs";

describe("provenance (SLSA v1) of a release image", () => {
    it("names the commit, the recipe, the base by digest, the build args, the build inputs and the builder with its version", () => {
        const p = provenanceOf(inputs);
        assert.strictEqual(p.buildDefinition.buildType, BUILD_TYPE);
        assert.deepStrictEqual(p.buildDefinition.externalParameters, {
            release: "2026-11-27-001",
            recipe: "app/Dockerfile",
            buildArgs: { git_hash: COMMIT, SOURCE_DATE_EPOCH: "1795773600" },
            buildInputs: INPUTS,
            contextHash: "d".repeat(64),
        });
        assert.deepStrictEqual(p.buildDefinition.resolvedDependencies, [
            { uri: "git+https://git.example/team/app.git", digest: { gitCommit: COMMIT } },
            { uri: "oci://127.0.0.1:5000/pinned/python:3.11.2-bookworm", digest: { sha256: "b".repeat(64) } },
        ]);
        assert.deepStrictEqual(p.runDetails.builder, { id: "urn:pinned:builder:buildah", version: { buildah: "1.28.2" } });
    });

    it("is the same for the same build (no clock in it)", () => {
        assert.deepStrictEqual(provenanceOf(inputs), provenanceOf({ ...inputs }));
    });

    it("vouches for reuse only with this build's type and inputs, saying why not otherwise", () => {
        const wanted = provenanceOf(inputs);
        assert.strictEqual(provenanceMismatch(JSON.parse(JSON.stringify(wanted)), wanted), undefined);
        const other = provenanceOf({ ...inputs, recipe: recipe(`sha256:${"e".repeat(64)}`) });
        assert.match(provenanceMismatch(other, wanted) ?? "", /names other build inputs \(sha256:e+\) than this build \(sha256:c+\)/);
        assert.match(provenanceMismatch({ buildDefinition: { buildType: "x" } }, wanted) ?? "", /build type x/);
        assert.match(provenanceMismatch(undefined, wanted) ?? "", /no build definition/);
        assert.match(provenanceMismatch("not an object", wanted) ?? "", /no build definition/);
    });

    it("pinned verify: the provenance must name the release's commit and builder", () => {
        const p = provenanceOf(inputs);
        assert.strictEqual(provenanceDisagrees(p, COMMIT, "buildah 1.28.2"), undefined);
        assert.match(
            provenanceDisagrees(p, "f".repeat(40), "buildah 1.28.2") ?? "",
            new RegExp(`names commit ${COMMIT}, not the release's f{40}`),
        );
        assert.match(provenanceDisagrees(p, COMMIT, "buildah 1.33.0") ?? "", /names builder buildah 1\.28\.2, not buildah 1\.33\.0/);
        assert.match(provenanceDisagrees({}, COMMIT, "buildah 1.28.2") ?? "", /no build definition/);
    });
});
