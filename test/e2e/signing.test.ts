import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { localBuilder } from "../../core/builder";
import { readGitSource } from "../../core/git/gitSource";
import { BUILD_INPUTS_LABEL, recipeBuild } from "../../core/recipe";
import { signingTools, SigningTools, verifySignature } from "../../core/signature";
import { parseImageDigest } from "../../core/imageDigest";
import { docker, LocalEnv, registryDigest, requireLocalEnv } from "./support/localEnv";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-27-001";
const B = "2026-12-04-001";
const REPOSITORY = `pinned/e2e-signing-${process.pid}`;

/** cosign as a user runs it, with the release public key and the registry's credentials in a Docker config of its own. */
function cosign(env: LocalEnv, signing: SigningTools, args: string[]): { status: number | null; output: string; shown: string } {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cosign-"));
    try {
        const auth = Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64");
        fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ auths: { [env.registry.server]: { auth } } }), { mode: 0o600 });
        const r = spawnSync(
            signing.cosign,
            [...args.slice(0, 1), "--key", signing.publicKey, "--insecure-ignore-tlog=true", ...args.slice(1)],
            {
                encoding: "utf8",
                // An SBOM attestation is megabytes of base64 (5.3 MB for the example app).
                maxBuffer: 256 * 1024 * 1024,
                env: { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: home, TUF_ROOT: path.join(home, "tuf") },
            },
        );
        return {
            status: r.status,
            output: `${r.stdout}\n${r.stderr}`,
            shown: `${r.stderr}${r.error ? `\n${r.error.message}` : ""}`.slice(-3000),
        };
    } finally {
        fs.rmSync(home, { recursive: true, force: true });
    }
}

/** The statement of the last attestation of `type` cosign verified. */
function attested(
    output: string,
    predicateType: string,
): { subject: Array<{ digest: { sha256: string } }>; predicate: Record<string, never> } {
    const statements = output
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(Buffer.from((JSON.parse(l) as { payload: string }).payload, "base64").toString("utf8")))
        .filter((s: { predicateType: string }) => s.predicateType === predicateType);
    assert.ok(statements.length > 0, `no ${predicateType} attestation in:\n${output.slice(-3000)}`);
    return statements[statements.length - 1];
}

/**
 * Release images carry the release key's signature, a provenance and an
 * SBOM; an image under a release's tag is reused only with them. Against
 * the real registry, buildah and cosign; manifests are rendered (no
 * cluster needed).
 */
describe("signed releases: only the pipeline's own builds are reused", function () {
    this.timeout(30 * 60 * 1000);
    let env: LocalEnv;
    let project: ReleaseProject;
    let signing: SigningTools;
    let commitA: string;
    let digestA: string;

    before(async () => {
        env = requireLocalEnv();
        const tools = signingTools(process.env);
        assert.ok(tools?.key, "the embedded release key exists; run: npx pinned env up signing");
        signing = tools;
        project = await ReleaseProject.create(env, REPOSITORY, { render: true });
        commitA = await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        digestA = String(project.stackConfig(A)["pinned:imageDigest"]);
    });
    after(() => project?.remove());

    it("pinned up signs the release image; its provenance (commit, recipe, base, builder) and SBOM verify with the release public key", () => {
        const verified = cosign(env, signing, ["verify", digestA]);
        assert.strictEqual(verified.status, 0, verified.shown);

        const provenance = cosign(env, signing, ["verify-attestation", "--type", "slsaprovenance1", digestA]);
        assert.strictEqual(provenance.status, 0, provenance.shown);
        const statement = attested(provenance.output, "https://slsa.dev/provenance/v1");
        assert.strictEqual(`sha256:${statement.subject[0].digest.sha256}`, digestA.slice(digestA.indexOf("@") + 1));
        const definition = (statement.predicate as unknown as { buildDefinition: Record<string, never> }).buildDefinition as unknown as {
            externalParameters: { release: string; recipe: string; buildArgs: Record<string, string> };
            resolvedDependencies: Array<{ uri: string; digest: Record<string, string> }>;
            internalParameters: { builder: string };
        };
        assert.strictEqual(definition.externalParameters.release, A);
        assert.strictEqual(definition.externalParameters.recipe, "app/Dockerfile");
        assert.strictEqual(definition.externalParameters.buildArgs.git_hash, commitA);
        assert.deepStrictEqual(definition.resolvedDependencies[0].digest, { gitCommit: commitA });
        assert.strictEqual(`sha256:${definition.resolvedDependencies[1].digest.sha256}`, env.baseRef.slice(env.baseRef.indexOf("@") + 1));
        assert.strictEqual(definition.internalParameters.builder, localBuilder(process.env)?.label);

        const verified2 = project.pinned(["verify", A]);
        assert.strictEqual(verified2.status, 0, verified2.output);
        assert.match(
            verified2.output,
            /checking the release key's signature and the provenance of \S+ \(\d+s\): signed; the provenance names this commit and builder/,
        );

        const sbom = cosign(env, signing, ["verify-attestation", "--type", "spdxjson", digestA]);
        assert.strictEqual(sbom.status, 0, sbom.shown);
        assert.match(JSON.stringify(attested(sbom.output, "https://spdx.dev/Document").predicate), /"python3"/);
    });

    it("an image with other code, pushed under the next release's tag with the label that release computes, is rebuilt, not deployed, and the run says why", async () => {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        await project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        // What an attacker with push access computes: B's build-inputs label.
        const source = await readGitSource(project.dir, process.env);
        const label = recipeBuild({
            appDir: path.join(project.dir, "app"),
            release: B,
            commit: source.commit,
            commitTime: source.commitTime,
            sourceUrl: source.remoteUrl,
            builder: localBuilder(process.env)?.label,
        }).labels[BUILD_INPUTS_LABEL];
        const context = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-substitute-"));
        const tagB = `${env.registry.server}/${REPOSITORY}:${B}`;
        try {
            fs.writeFileSync(
                path.join(context, "Dockerfile"),
                `FROM ${digestA}\nRUN echo substituted > /tmp/substituted\nLABEL ${BUILD_INPUTS_LABEL}="${label}"\n`,
            );
            docker(env, ["build", "--quiet", "--tag", tagB, context]);
            docker(env, ["push", "--quiet", tagB]);
        } finally {
            fs.rmSync(context, { recursive: true, force: true });
        }
        const substituted = await registryDigest(env, REPOSITORY, B);
        assert.ok(substituted);
        assert.notStrictEqual(
            cosign(env, signing, ["verify", `${env.registry.server}/${REPOSITORY}@${substituted}`]).status,
            0,
            "the substitute is unsigned",
        );

        const up = project.up(B, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        assert.match(
            up.output,
            new RegExp(`found \\S+@${substituted}, but it is not signed by the release key \\(cosign: [^)]+\\): building`),
        );
        const digestB = String(project.stackConfig(B)["pinned:imageDigest"]);
        assert.notStrictEqual(digestB, `${env.registry.server}/${REPOSITORY}@${substituted}`, "the substitute is not what B deploys");
        assert.strictEqual(project.renderedDeployment(B)?.spec.template.spec.containers[0].image, digestB);
        assert.strictEqual(
            await registryDigest(env, REPOSITORY, B),
            digestB.slice(digestB.indexOf("@") + 1),
            "the tag now names the signed build",
        );
        assert.strictEqual(cosign(env, signing, ["verify", digestB]).status, 0);
    });

    it("a signed verdict is kept under the signature and attestation manifests: the next check runs no cosign, a new signature is checked again, an unsigned image every time", async () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-verdicts-"));
        const log = path.join(cache, "cosign.log");
        const counting = path.join(cache, "cosign");
        fs.writeFileSync(counting, `#!/bin/sh\necho "$1" >> ${log}\nexec ${signing.cosign} "$@"\n`, { mode: 0o755 });
        const runs = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
        const tools = { ...signing, cosign: counting };
        const creds = { registry: env.registry.server, username: env.registry.username, password: env.registry.password };
        const verdictEnv = { ...process.env, PINNED_CACHE: cache };
        try {
            const first = await verifySignature(parseImageDigest(digestA), creds, tools, verdictEnv);
            assert.ok(first.ok, JSON.stringify(first));
            assert.deepStrictEqual(runs(), ["verify", "verify-attestation"]);
            const again = await verifySignature(parseImageDigest(digestA), creds, tools, verdictEnv);
            assert.deepStrictEqual(again, first, "the kept verdict, provenance included");
            assert.deepStrictEqual(runs(), ["verify", "verify-attestation"], "no cosign run the second time");

            // A second signature (another payload: cosign skips a signature by the same key over the same one) moves the .sig tag: the verdict is made afresh.
            const password = signing.passwordFile
                ? fs.readFileSync(signing.passwordFile, "utf8").trim()
                : (process.env.COSIGN_PASSWORD ?? "");
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cosign-"));
            const auth = Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64");
            fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ auths: { [env.registry.server]: { auth } } }), {
                mode: 0o600,
            });
            const signed = spawnSync(
                signing.cosign,
                ["sign", "--key", String(signing.key), "--tlog-upload=false", "-a", "second=signature", digestA],
                {
                    encoding: "utf8",
                    env: {
                        PATH: process.env.PATH,
                        HOME: home,
                        DOCKER_CONFIG: home,
                        TUF_ROOT: path.join(home, "tuf"),
                        COSIGN_PASSWORD: password,
                        COSIGN_YES: "true",
                    },
                },
            );
            fs.rmSync(home, { recursive: true, force: true });
            assert.strictEqual(signed.status, 0, signed.stderr);
            assert.ok((await verifySignature(parseImageDigest(digestA), creds, tools, verdictEnv)).ok);
            assert.deepStrictEqual(runs(), ["verify", "verify-attestation", "verify", "verify-attestation"]);

            // The base image carries no signature: asked of cosign each time, never kept.
            for (let i = 0; i < 2; i++) {
                assert.strictEqual((await verifySignature(parseImageDigest(env.baseRef), creds, tools, verdictEnv)).ok, false);
            }
            assert.deepStrictEqual(runs().slice(4), ["verify", "verify"]);
        } finally {
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });

    it("a pull request's preview image is not signed: cosign verify fails for it", async () => {
        const commit = await project.commit("a change under review", { "app/README.txt": "reviewed\n" });
        const preview = project.pinned(["preview"]);
        assert.ok(preview.status === 0 || preview.status === 3, preview.output);
        const digest = await registryDigest(env, `${REPOSITORY}-preview`, `preview-${commit.slice(0, 12)}`);
        assert.ok(digest, preview.output);
        const verified = cosign(env, signing, ["verify", `${env.registry.server}/${REPOSITORY}-preview@${digest}`]);
        assert.notStrictEqual(verified.status, 0, verified.shown);
        assert.match(verified.output, /no signatures found|no matching signatures/);
    });
});
