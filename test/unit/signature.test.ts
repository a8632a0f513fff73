import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROVENANCE_PREDICATE_TYPE, provenanceOf } from "../../core/provenance";
import { provenanceIn, signingTools } from "../../core/signature";
import { inputs } from "../support/provenanceInputs";

describe("provenance read out of cosign's attestations", () => {
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
