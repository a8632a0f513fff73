import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { cacheDir, readEnvFile } from "../../pipeline/project/localEnvironment";
import { imageRegistry } from "../support/imageRegistry";
import { useClusterProject } from "./support/clusterProject";

const A = "2026-12-06-001";

/** The `.dockerconfigjson` of a namespace's pull Secret, decoded. */
function pullSecretDocument(
    kubectl: (args: string[]) => string,
    namespace: string,
): { auths: Record<string, { username?: string; password?: string; auth?: string }> } {
    const data = kubectl(["get", "secret", "pinned-app-registry", "-n", namespace, "-o", "jsonpath={.data.\\.dockerconfigjson}"]);
    return JSON.parse(Buffer.from(data, "base64").toString()) as {
        auths: Record<string, { username?: string; password?: string; auth?: string }>;
    };
}

/**
 * What a release hands out, on the real engine, registry, API server and
 * node: the cluster gets a login that can only pull, and a stack file
 * edited to name another registry gets no credential sent anywhere.
 */
describe("registry credentials: the cluster's login cannot push, and a password goes only to its own registry (real engine, registry, cluster)", function () {
    this.timeout(15 * 60 * 1000);
    const suite = useClusterProject("creds");

    it("after a release, the namespace's pull Secret holds the pull-only login: no push password, refused an upload, and the real node pulled with it", async () => {
        const { project, env, cluster, namespace } = suite;
        cluster.requireRealNode();
        await project.release(A);
        const up = project.up(A);
        assert.strictEqual(up.status, 0, up.output);
        assert.ok(cluster.readyPodIPs(namespace).length > 0, "a Ready pod: the node pulled the image with the Secret");
        const doc = pullSecretDocument((args) => cluster.kubectl(args), namespace);
        const text = JSON.stringify(doc);
        assert.ok(!text.includes(env.registry.password), "the push password is not in the Secret");
        assert.ok(
            !text.includes(Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64")),
            "nor base64-encoded",
        );
        assert.deepStrictEqual(Object.keys(doc.auths), [env.registry.server]);
        const login = doc.auths[env.registry.server];
        const creds = readEnvFile(path.join(cacheDir(process.env), "registry-credentials")) ?? {};
        assert.strictEqual(login.username, creds.REGISTRY_PULL_USER);
        assert.notStrictEqual(login.password, env.registry.password);
        const auth = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}`;
        const repo = suite.repository;
        const read = await fetch(`http://${env.registry.server}/v2/`, { headers: { authorization: auth } });
        assert.strictEqual(read.status, 200, "the Secret's login reads");
        const upload = await fetch(`http://${env.registry.server}/v2/${repo}/blobs/uploads/`, {
            method: "POST",
            headers: { authorization: auth },
        });
        assert.ok(upload.status === 401 || upload.status === 403, `the Secret's login starts no upload: HTTP ${upload.status}`);
        const tag = await fetch(`http://${env.registry.server}/v2/${repo}/manifests/${A}`, {
            method: "PUT",
            headers: { authorization: auth, "content-type": "application/vnd.docker.distribution.manifest.v2+json" },
            body: "{}",
        });
        assert.ok(tag.status === 401 || tag.status === 403, `the Secret's login cannot move the release tag: HTTP ${tag.status}`);
    });

    it("a pull Secret another field manager wrote with another login (another clone's release, a rotated password) is taken over by the next up", () => {
        const { project, env, cluster, namespace } = suite;
        const stale = {
            auths: { [env.registry.server]: { username: "someone-else", password: "stale", auth: "c29tZW9uZS1lbHNlOnN0YWxl" } },
        };
        const file = path.join(project.dir, "stale-pull-secret.json");
        fs.writeFileSync(
            file,
            JSON.stringify({
                apiVersion: "v1",
                kind: "Secret",
                type: "kubernetes.io/dockerconfigjson",
                metadata: { name: "pinned-app-registry", namespace },
                data: { ".dockerconfigjson": Buffer.from(JSON.stringify(stale)).toString("base64") },
            }),
        );
        try {
            cluster.kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager", "another-clone", "-f", file]);
        } finally {
            fs.rmSync(file);
        }
        assert.strictEqual(
            pullSecretDocument((args) => cluster.kubectl(args), namespace).auths[env.registry.server].username,
            "someone-else",
        );
        const up = project.up(A);
        assert.strictEqual(up.status, 0, up.output);
        const creds = readEnvFile(path.join(cacheDir(process.env), "registry-credentials")) ?? {};
        assert.strictEqual(
            pullSecretDocument((args) => cluster.kubectl(args), namespace).auths[env.registry.server].username,
            creds.REGISTRY_PULL_USER,
        );
    });

    /**
     * Runs FN with release A's stack file rewritten to name another loopback
     * registry, which demands a login as a registry that wants the password
     * would (pinned's client sends credentials only when asked); the file is
     * put back and that registry closed on every path.
     */
    const onOtherRegistry = async (fn: (other: Awaited<ReturnType<typeof imageRegistry>>, file: string) => Promise<void>) => {
        const other = await imageRegistry({ username: "pinned", password: "other-push-pw" });
        const file = path.join(suite.project.dir, "stacks", `Pulumi.${A}.yaml`);
        const before = fs.readFileSync(file, "utf8");
        try {
            fs.writeFileSync(file, before.split(suite.env.registry.server).join(other.host));
            await fn(other, file);
        } finally {
            fs.writeFileSync(file, before);
            other.close();
        }
    };

    it("a stack file whose pinned:registry (and digest) were changed to another loopback registry is refused before any credential is sent, naming the fix", async () => {
        const { project, env } = suite;
        // What an edit in git can do: plain-text keys, the encrypted password untouched.
        await onOtherRegistry(async (other) => {
            for (const args of [
                ["up", "--release", A],
                ["rollback", "--to", A],
            ]) {
                // Run without blocking this process, so the other registry can answer (and record) anything sent to it.
                const r = await project.pinnedAsync(args);
                assert.strictEqual(r.status, 1, r.output);
                assert.match(
                    r.output,
                    new RegExp(
                        `pinned:registryPassword was set for registry ${env.registry.server.replace(/\./g, "\\.")}, but pinned:registry is ${other.host.replace(/\./g, "\\.")}`,
                    ),
                );
                assert.match(r.output, new RegExp(`put back pinned:registry: ${env.registry.server.replace(/\./g, "\\.")}`));
                assert.match(r.output, /npx pinned registry-password --release 2026-12-06-001/);
            }
            assert.deepStrictEqual(other.authorizations, [], "the other registry was not asked at all, so no credential reached it");
        });
        const again = project.up(A);
        assert.strictEqual(again.status, 0, again.output);
    });

    it("pinned registry-password binds a password (read from stdin) to the registry the stack names: that registry then gets it, and only it", async () => {
        const { project } = suite;
        await onOtherRegistry(async (other, file) => {
            const set = project.bash(
                `printf '%s' other-push-pw | ./bin/pinned registry-password --release ${A}\n` +
                    `printf '%s' other-pull-pw | ./bin/pinned registry-password --pull --release ${A}`,
            );
            assert.strictEqual(set.status, 0, set.output);
            assert.ok(set.output.includes(`pinned:registryPassword of release ${A} is set, bound to registry ${other.host}`), set.output);
            assert.ok(!fs.readFileSync(file, "utf8").includes("other-push-pw"), "the stack file holds it encrypted");
            const r = await project.pinnedAsync(["up", "--release", A]);
            // The other registry has no such image: the check fails there, having used the new password.
            assert.strictEqual(r.status, 1, r.output);
            // A first request may go without credentials (the registry's challenge decides); every credential sent is the new one.
            const sent = [...new Set(other.authorizations.filter((a) => a !== ""))];
            assert.deepStrictEqual(sent, [`Basic ${Buffer.from("pinned:other-push-pw").toString("base64")}`]);
        });
    });
});
