import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./support/cluster";
import { useClusterProject } from "./support/clusterProject";
import { ReleaseProject } from "./support/releaseProject";

const A = "2026-11-30-001";
const B = "2026-11-30-002";
const C = "2026-11-30-003";
const D = "2026-11-30-004";
/** The deadline the crashing release's stack file sets, so the test waits seconds, not the 120 s default. */
const DEADLINE = 20;

/** GET / of the app on one pod: what it says it is. */
async function identity(ip: string): Promise<{ git_hash: string }> {
    const res = await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(3000) });
    assert.strictEqual(res.status, 200);
    return (await res.json()) as { git_hash: string };
}

/** The commit every Ready pod of the Deployment answers with (all must agree). */
async function servedCommit(cluster: Cluster, namespace: string): Promise<string> {
    const ips = cluster.readyPodIPs(namespace);
    assert.ok(ips.length > 0, "a Ready pod");
    const answers = new Set((await Promise.all(ips.map(identity))).map((a) => a.git_hash));
    assert.strictEqual(answers.size, 1, `every pod runs one commit: ${[...answers].join(", ")}`);
    return [...answers][0];
}

/**
 * Pods that really run: the kubelet pulls the released digest from the
 * authenticated registry with the stack's pull Secret, under the
 * restricted Pod Security profile, and the app answers with its commit. A
 * release whose app crashes is caught within its progress deadline and the
 * previous release is put back while its pods keep serving.
 */
describe("a real node: pods pull and run the released digest (real engine, registry, API server, kubelet)", function () {
    this.timeout(30 * 60 * 1000);
    const suite = useClusterProject("node");
    let cluster: Cluster;
    let project: ReleaseProject;
    let NAMESPACE: string;
    let commitA: string;
    let commitB: string;

    before(function () {
        ({ cluster, project, namespace: NAMESPACE } = suite);
        cluster.requireRealNode();
    });

    it("release A: its pod answers HTTP with A's commit, pulled by digest with the stack's pull Secret", async () => {
        commitA = await project.release(A);
        const up = project.up(A, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitA);
        const pod = JSON.parse(cluster.kubectl(["get", "deployment", "pinned-app", "-n", NAMESPACE, "-o", "json"])).spec.template.spec;
        assert.deepStrictEqual(pod.imagePullSecrets, [{ name: "pinned-app-registry" }]);
        const secretType = cluster.kubectl(["get", "secret", "pinned-app-registry", "-n", NAMESPACE, "-o", "jsonpath={.type}"]);
        assert.strictEqual(secretType, "kubernetes.io/dockerconfigjson");
        const stackFile = fs.readFileSync(path.join(project.dir, "stacks", `Pulumi.${A}.yaml`), "utf8");
        assert.ok(!stackFile.includes(suite.env.registry.password), "no plaintext password in the stack file");
        const state = project.pulumi(["stack", "export", "--stack", A]).stdout;
        assert.ok(!state.includes(suite.env.registry.password), "no plaintext password in the state");
    });

    it("the pod spec passes a server-side dry run in a namespace labelled enforce=restricted", () => {
        const ns = `${NAMESPACE}-restricted`;
        cluster.kubectl(["create", "namespace", ns]);
        try {
            cluster.kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
            const template = JSON.parse(cluster.kubectl(["get", "deployment", "pinned-app", "-n", NAMESPACE, "-o", "json"])).spec.template;
            const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "dry-run", namespace: ns }, spec: template.spec };
            const file = path.join(project.dir, ".pinned", "dry-run-pod.json");
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, JSON.stringify(pod));
            const out = cluster.kubectl(["apply", "--dry-run=server", "-f", file]);
            assert.match(out, /pod\/dry-run created \(server dry run\)/);
            // The same check refuses a pod that breaks the profile: it is a real check.
            fs.writeFileSync(file, JSON.stringify({ ...pod, spec: { ...pod.spec, securityContext: {} } }));
            assert.throws(() => cluster.kubectl(["apply", "--dry-run=server", "-f", file]), /violates PodSecurity "restricted/);
        } finally {
            cluster.kubectl(["delete", "namespace", ns, "--wait=false"]);
        }
    });

    it("release B: B's commit answers; pinned rollback: A's again, with no build", async () => {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        commitB = await project.release(B, { "app/server.py": server.replace('"pinned-example"', '"pinned-example-b"') });
        const up = project.up(B, { atHead: true });
        assert.strictEqual(up.status, 0, up.output);
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitB);
        const back = project.pinned(["rollback", "--to", A]);
        assert.strictEqual(back.status, 0, back.output);
        assert.match(back.output, /recorded digest: no build/);
        assert.doesNotMatch(back.output, /building|pushing/);
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitA);
        const again = project.pinned(["rollback", "--to", B]);
        assert.strictEqual(again.status, 0, again.output);
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitB);
    });

    it("a release whose app crashes at start: exit 1 within the deadline, B served throughout and live afterwards, no digest recorded", async () => {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        fs.writeFileSync(
            path.join(project.dir, "stacks", `Pulumi.${C}.yaml`),
            `config:\n  pinned:progressDeadlineSeconds: "${DEADLINE}"\n`,
        );
        await project.release(C, {
            "app/server.py": server.replace(
                'if __name__ == "__main__":',
                'if __name__ == "__main__":\n    raise SystemExit("config missing: exiting at start")',
            ),
        });
        const servingIPs = cluster.readyPodIPs(NAMESPACE);
        let requests = 0;
        const failures: string[] = [];
        let releasing = true;
        const load = (async () => {
            while (releasing) {
                for (const ip of servingIPs) {
                    requests++;
                    try {
                        const who = await identity(ip);
                        if (who.git_hash !== commitB) {
                            failures.push(`${ip} answered ${who.git_hash}`);
                        }
                    } catch (e) {
                        failures.push(`${ip}: ${(e as Error).message}`);
                    }
                }
                await new Promise((r) => setTimeout(r, 250));
            }
        })();
        const t0 = Date.now();
        const up = await project.pinnedAsync(["up", "--release", C]);
        const seconds = (Date.now() - t0) / 1000;
        releasing = false;
        await load;
        assert.strictEqual(up.status, 1, up.output);
        assert.match(up.output, /release 2026-11-30-003 did not become ready/);
        assert.match(up.output, /CrashLoopBackOff|Error|exit code 1/);
        assert.match(up.output, /config missing: exiting at start/, "the last lines of the failing container's log");
        assert.match(up.output, new RegExp(`runs release ${B} again`));
        assert.ok(seconds < DEADLINE + 120, `failed after ${seconds}s: the deadline plus the build and the put-back`);
        assert.ok(requests > 10, `requests were made during the release (${requests})`);
        assert.deepStrictEqual(failures, [], "B's pods served every request during the failed release");
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitB);
        assert.strictEqual(project.stackConfig(C)["pinned:imageDigest"], undefined, "the failed release records no digest");
        const status = project.pinned(["status"]);
        assert.strictEqual(status.status, 0, status.output);
        assert.match(status.output, new RegExp(`in sync: .* runs release ${B}`));
    });

    it("plain pulumi up of a release whose digest is missing from the registry fails, the old pods keep serving", async () => {
        // A release recorded with a digest the registry does not have (deleted behind Pinned's back).
        const missing = `${String(project.stackConfig(A)["pinned:imageDigest"]).split("@")[0]}@sha256:${"0".repeat(63)}1`;
        const commit = await project.release(D);
        // A's stack file, its encrypted registry password included (one passphrase), with D's commit and the lost digest.
        const fileA = fs.readFileSync(path.join(project.dir, "stacks", `Pulumi.${A}.yaml`), "utf8");
        fs.writeFileSync(
            path.join(project.dir, "stacks", `Pulumi.${D}.yaml`),
            fileA
                .replace(/pinned:commit: \S+/, `pinned:commit: ${commit}`)
                .replace(/pinned:imageDigest: \S+/, `pinned:imageDigest: ${missing}`),
        );
        const init = project.pulumi(["stack", "init", D]);
        assert.strictEqual(init.status, 0, init.output);
        const up = project.pulumi(["up", "--yes", "--stack", D]);
        assert.notStrictEqual(up.status, 0, up.output);
        assert.match(up.output, /not in the registry|no longer|missing|not found/i);
        assert.strictEqual(await servedCommit(cluster, NAMESPACE), commitB);
    });
});
