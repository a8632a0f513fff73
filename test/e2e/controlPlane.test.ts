import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { Cluster } from "./support/cluster";
import { etcdRange } from "./support/etcd";

const RUN = path.join(cacheDir(process.env), "run", "cluster");
const PKI = path.join(RUN, "pki");
const ETCD = `127.0.0.1:${process.env.PINNED_ETCD_PORT ?? "2379"}`;
const ETCD_PEER = `127.0.0.1:${process.env.PINNED_ETCD_PEER_PORT ?? "2380"}`;
/** Where kwok served /debug/pprof and /metrics to anyone before it was started without its server (PINNED_KWOK_PORT then). */
const KWOK_PORT = process.env.PINNED_KWOK_PORT ?? "10247";
const KCM_PORT = process.env.PINNED_CONTROLLER_MANAGER_PORT ?? "10257";
const SCHEDULER_PORT = process.env.PINNED_SCHEDULER_PORT ?? "10259";
const APISERVER_PORT = process.env.PINNED_APISERVER_PORT ?? "6443";
const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];
/** What kubeadm's control plane also answers without credentials: liveness. */
const ANONYMOUS_PATHS = new Set(["/healthz", "/livez", "/readyz"]);

/** The user the unprivileged checks run as (nobody), switched to with setpriv: this test runs as root. */
function asNobody(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    if (process.getuid?.() !== 0) {
        throw new Error("this test switches to the unprivileged user nobody and must run as root (sudo npx mocha …)");
    }
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", command, ...args], { encoding: "utf8" });
    if (r.error) {
        throw new Error(`could not run setpriv (${r.error.message}); install util-linux`);
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The HTTP status an anonymous client (user nobody, no client certificate,
 * the server's certificate not checked) gets for URL; "000" when no HTTP
 * answer came (connection refused, TLS handshake refused).
 */
function anonymousStatus(url: string, method = "GET"): string {
    // A read of every key under /registry for etcd's v3 gateway; other paths ignore the body.
    const body =
        method === "POST"
            ? [
                  "-d",
                  JSON.stringify({
                      key: Buffer.from("/registry/").toString("base64"),
                      range_end: Buffer.from("/registry0").toString("base64"),
                  }),
              ]
            : [];
    const r = asNobody("curl", ["-sk", "-m", "5", "-X", method, ...body, "-o", "/dev/null", "-w", "%{http_code}", url]);
    return r.stdout.trim() || "000";
}

/** Every file under DIR, recursively. */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p) : [p];
    });
}

/** TCP ports the control plane's processes (by their recorded PIDs) listen on, per component. */
function listeningPorts(): Map<string, string[]> {
    const byPid = new Map<string, string>();
    for (const c of COMPONENTS) {
        byPid.set(fs.readFileSync(path.join(RUN, `${c}.pid`), "utf8").trim(), c);
    }
    const ports = new Map<string, string[]>();
    for (const line of execFileSync("ss", ["-ltnpH"], { encoding: "utf8" }).split("\n")) {
        const local = line.trim().split(/\s+/)[3];
        for (const m of line.matchAll(/pid=(\d+)/g)) {
            const c = byPid.get(m[1]);
            if (c && local) {
                ports.set(c, [...(ports.get(c) ?? []), local]);
            }
        }
    }
    return ports;
}

/**
 * The embedded control plane set up as kubeadm sets one up: etcd answers
 * only clients with a certificate from its own CA, Secrets are encrypted
 * before they reach etcd, and no port of the control plane gives data to an
 * anonymous local user (only liveness paths answer, as kubeadm's do).
 */
describe("the control plane's data: etcd behind client certificates, Secrets encrypted at rest (real etcd, API server, kwok)", function () {
    this.timeout(2 * 60 * 1000);
    let cluster: Cluster;

    before(() => {
        cluster = Cluster.require();
    });

    it("an unprivileged local user gets nothing from etcd: plain HTTP and TLS without a client certificate are refused, client and peer port", () => {
        for (const base of [`http://${ETCD}`, `https://${ETCD}`, `http://${ETCD_PEER}`, `https://${ETCD_PEER}`]) {
            for (const [p, method] of [
                ["/v3/kv/range", "POST"],
                ["/metrics", "GET"],
                ["/version", "GET"],
                ["/members", "GET"],
            ]) {
                assert.strictEqual(anonymousStatus(base + p, method), "000", `${method} ${base}${p} answered an anonymous user`);
            }
        }
        // With a certificate the CA of etcd did not sign (the cluster CA's admin), also refused.
        const admin = spawnSync(
            "curl",
            [
                "-sk",
                "-m",
                "5",
                "--cert",
                path.join(PKI, "admin.crt"),
                "--key",
                path.join(PKI, "admin.key"),
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                `https://${ETCD}/version`,
            ],
            { encoding: "utf8" },
        );
        assert.strictEqual(admin.stdout.trim(), "000", "a client certificate of the cluster CA is not one for etcd");
    });

    it("the keys, the encryption configuration and etcd's data are the owner's alone (0600 / 0700) and unreadable by user nobody", () => {
        const keys = filesUnder(PKI).filter((f) => f.endsWith(".key"));
        for (const must of ["etcd/ca.key", "etcd/server.key", "etcd/peer.key", "apiserver-etcd-client.key"]) {
            assert.ok(keys.includes(path.join(PKI, must)), `${must} exists`);
        }
        const secretFiles = [...keys, path.join(RUN, "encryption-config.yaml")];
        for (const f of secretFiles) {
            assert.strictEqual(
                fs.statSync(f).mode & 0o077,
                0,
                `${f} is readable by others: mode ${(fs.statSync(f).mode & 0o777).toString(8)}`,
            );
            assert.notStrictEqual(asNobody("cat", [f]).status, 0, `user nobody read ${f}`);
        }
        const data = path.join(RUN, "etcd-data");
        assert.strictEqual(fs.statSync(data).mode & 0o077, 0, `${data} is open to others`);
        assert.notStrictEqual(asNobody("ls", [data]).status, 0, `user nobody listed ${data}`);
    });

    it("a Secret read straight from etcd is ciphertext (k8s:enc:secretbox:v1:), and so is every Secret there", () => {
        const ns = `pinned-cp-${randomBytes(3).toString("hex")}`;
        const plaintext = `plaintext-${randomBytes(12).toString("hex")}`;
        cluster.kubectl(["create", "namespace", ns]);
        try {
            cluster.kubectl(["-n", ns, "create", "secret", "generic", "probe", `--from-literal=value=${plaintext}`]);
            const kvs = etcdRange(PKI, ETCD, `/registry/secrets/${ns}/probe`).kvs ?? [];
            assert.strictEqual(kvs.length, 1, "the Secret is in etcd under /registry/secrets/<namespace>/<name>");
            const stored = Buffer.from(kvs[0].value, "base64");
            assert.ok(
                stored.subarray(0, 21).toString("latin1") === "k8s:enc:secretbox:v1:",
                `stored as ${stored.subarray(0, 24).toString("latin1")}…`,
            );
            assert.ok(!stored.includes(Buffer.from(plaintext)), "the plaintext is not in etcd");
            // The API still hands it back in clear to whoever may read it.
            const read = cluster.kubectl(["-n", ns, "get", "secret", "probe", "-o", "jsonpath={.data.value}"]);
            assert.strictEqual(Buffer.from(read, "base64").toString(), plaintext);
            // Secrets written before encryption was turned on were rewritten: none is left in clear.
            const all = etcdRange(PKI, ETCD, "/registry/secrets/", "/registry/secrets0").kvs ?? [];
            assert.ok(all.length > 1, `found ${all.length} Secrets`);
            const clear = all.filter((kv) => !Buffer.from(kv.value, "base64").toString("latin1").startsWith("k8s:enc:"));
            assert.deepStrictEqual(
                clear.map((kv) => Buffer.from(kv.key, "base64").toString()),
                [],
                "Secrets stored in clear",
            );
        } finally {
            cluster.kubectl(["delete", "namespace", ns, "--wait=false"]);
        }
    });

    it("debug and metrics endpoints refuse an anonymous user: etcd, kwok, controller-manager, scheduler, API server", () => {
        const refused = (code: string) => code === "000" || code === "401" || code === "403" || code === "404";
        const probes = [
            `http://127.0.0.1:${KWOK_PORT}/debug/pprof/`,
            `https://127.0.0.1:${KWOK_PORT}/debug/pprof/`,
            `http://127.0.0.1:${KWOK_PORT}/metrics`,
            `https://${ETCD}/metrics`,
            `http://${ETCD}/metrics`,
        ];
        for (const port of [KCM_PORT, SCHEDULER_PORT, APISERVER_PORT]) {
            for (const p of ["/metrics", "/debug/pprof/", "/configz", "/flagz"]) {
                probes.push(`https://127.0.0.1:${port}${p}`);
            }
        }
        const answered = probes.map((u) => [u, anonymousStatus(u)]).filter(([, code]) => !refused(code));
        assert.deepStrictEqual(answered, [], "endpoints that answered an anonymous user");
        // Liveness stays open, as kubeadm's components keep it.
        assert.strictEqual(anonymousStatus(`https://127.0.0.1:${KCM_PORT}/healthz`), "200");
        assert.strictEqual(anonymousStatus(`https://127.0.0.1:${SCHEDULER_PORT}/healthz`), "200");
    });

    it("every port the control plane's processes listen on (ss -ltnp) gives an anonymous user nothing but liveness", () => {
        const ports = listeningPorts();
        assert.ok(ports.get("etcd")?.length, "found etcd's ports");
        assert.ok(ports.get("kube-apiserver")?.length, "found the API server's port");
        const answered: string[] = [];
        for (const [component, addrs] of ports) {
            for (const addr of addrs) {
                for (const scheme of ["http", "https"]) {
                    for (const p of [
                        "/",
                        "/metrics",
                        "/debug/pprof/",
                        "/configz",
                        "/api/v1/secrets",
                        "/v3/kv/range",
                        "/members",
                        "/healthz",
                    ]) {
                        const code = anonymousStatus(`${scheme}://${addr}${p}`, p === "/v3/kv/range" ? "POST" : "GET");
                        if (code.startsWith("2") && !ANONYMOUS_PATHS.has(p)) {
                            answered.push(`${component} ${scheme}://${addr}${p} ${code}`);
                        }
                    }
                }
            }
        }
        assert.deepStrictEqual(answered, [], `listening: ${JSON.stringify([...ports])}`);
    });
});
