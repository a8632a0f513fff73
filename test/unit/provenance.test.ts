import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUILD_TYPE, provenanceDisagrees, provenanceMismatch, provenanceOf, PROVENANCE_PREDICATE_TYPE } from "../../core/provenance";
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL, BUILD_INPUTS_LABEL } from "../../core/recipe";
import { provenanceIn, signingTools } from "../../core/signature";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const BASE_DIGEST = `sha256:${"b".repeat(64)}`;
const INPUTS = `sha256:${"c".repeat(64)}`;

function recipe(buildInputs = INPUTS) {
    return {
        buildArgs: { git_hash: COMMIT, SOURCE_DATE_EPOCH: "1795773600" },
        contextHash: "d".repeat(64),
        labels: {
            [BUILD_INPUTS_LABEL]: buildInputs,
            [BASE_NAME_LABEL]: "127.0.0.1:5000/pinned/python:3.11.2-bookworm",
            [BASE_DIGEST_LABEL]: BASE_DIGEST,
        },
    };
}

const inputs = {
    release: "2026-11-27-001",
    commit: COMMIT,
    commitTime: "2026-11-27T10:00:00Z",
    sourceUrl: "https://git.example/team/app.git",
    recipePath: "app/Dockerfile",
    recipe: recipe(),
    builder: "buildah 1.28.2",
};

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

    it("reads the SLSA predicate out of cosign verify-attestation's envelopes, ignoring other types and other lines", () => {
        const envelope = (predicateType: string, predicate: unknown) =>
            JSON.stringify({
                payloadType: "application/vnd.in-toto+json",
                payload: Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v0.1", predicateType, predicate })).toString(
                    "base64",
                ),
                signatures: [{ sig: "x" }],
            });
        const p = provenanceOf(inputs);
        const out = [
            "Verification for … --",
            envelope("https://spdx.dev/Document", { spdxVersion: "SPDX-2.3" }),
            envelope(PROVENANCE_PREDICATE_TYPE, p),
            "not json",
        ].join("\n");
        assert.deepStrictEqual(provenanceIn(out), p);
        assert.strictEqual(provenanceIn(envelope("https://spdx.dev/Document", {})), undefined);
    });
});

describe("the release signing key", () => {
    let cache: string;
    let saved: string | undefined;
    beforeEach(() => {
        saved = process.env.PINNED_CACHE;
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-signing-test-"));
        process.env.PINNED_CACHE = cache;
    });
    afterEach(() => {
        if (saved === undefined) delete process.env.PINNED_CACHE;
        else process.env.PINNED_CACHE = saved;
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("is the embedded environment's when nothing is set", () => {
        fs.writeFileSync(
            path.join(cache, "signing.env"),
            "COSIGN=/c/cosign\nCOSIGN_VERSION=v2.6.5\nSYFT=/c/syft\nSYFT_VERSION=v1.57.2\nSIGNING_KEY=/k/cosign.key\nSIGNING_PUBLIC_KEY=/k/cosign.pub\nSIGNING_PASSWORD_FILE=/k/password\n",
        );
        assert.deepStrictEqual(signingTools({ PINNED_CACHE: cache }), {
            cosign: "/c/cosign",
            syft: "/c/syft",
            publicKey: "/k/cosign.pub",
            key: "/k/cosign.key",
            passwordFile: "/k/password",
        });
    });

    it("a team's public key alone (a pull-request job) checks images and signs nothing: no private key is taken from elsewhere", () => {
        fs.writeFileSync(
            path.join(cache, "signing.env"),
            "COSIGN=/c/cosign\nCOSIGN_VERSION=v2.6.5\nSYFT=/c/syft\nSYFT_VERSION=v1.57.2\nSIGNING_KEY=/k/cosign.key\nSIGNING_PUBLIC_KEY=/k/cosign.pub\nSIGNING_PASSWORD_FILE=/k/password\n",
        );
        const tools = signingTools({ PINNED_CACHE: cache, PINNED_SIGNING_PUBLIC_KEY: "/team/cosign.pub" });
        assert.strictEqual(tools?.publicKey, "/team/cosign.pub");
        assert.strictEqual(tools?.key, undefined);
    });

    it("a team's key pair replaces the embedded one, password file included", () => {
        fs.writeFileSync(
            path.join(cache, "signing.env"),
            "COSIGN=/c/cosign\nCOSIGN_VERSION=v2.6.5\nSYFT=/c/syft\nSYFT_VERSION=v1.57.2\nSIGNING_KEY=/k/cosign.key\nSIGNING_PUBLIC_KEY=/k/cosign.pub\nSIGNING_PASSWORD_FILE=/k/password\n",
        );
        const tools = signingTools({
            PINNED_CACHE: cache,
            PINNED_SIGNING_KEY: "/team/cosign.key",
            PINNED_SIGNING_PUBLIC_KEY: "/team/cosign.pub",
        });
        assert.strictEqual(tools?.key, "/team/cosign.key");
        assert.strictEqual(tools?.passwordFile, undefined, "the embedded password does not go with the team's key");
    });

    it("there is none without a public key", () => {
        assert.strictEqual(signingTools({ PINNED_CACHE: cache }), undefined);
    });
});
