import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";
import { etcdRange } from "./support/etcd";

/** The last commit whose cluster.sh ran etcd on plain HTTP, Secrets unencrypted, kwok's server open. */
const OLD_COMMIT = "cb66d91";
const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/**
 * A second control plane, on ports and in a cache of its own (the shared
 * environment's binaries linked in), made by the previous cluster.sh and
 * then brought up by this one: what a machine set up before gets from
 * `pinned env up`.
 */
describe("upgrading a control plane made by the previous cluster.sh (real etcd, API server, kwok; ports and cache of its own)", function () {
    this.timeout(10 * 60 * 1000);
    let dir: string;
    let env: Record<string, string>;
    let oldScript: string;
    const newScript = path.join(PROJECT_DIR, "scripts", "env", "cluster.sh");

    const run = (script: string, args: string[]) => {
        const r = spawnSync("bash", [script, ...args], { encoding: "utf8", env });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
    };
    const kubectl = (args: string[]) =>
        execFileSync("kubectl", ["--kubeconfig", path.join(dir, "cache", "kubeconfig"), ...args], { encoding: "utf8", env });

    before(async () => {
        const bin = path.join(cacheDir(process.env), "bin");
        const missing = BINARIES.filter((b) => !fs.existsSync(path.join(bin, b)));
        if (missing.length > 0) {
            throw new Error(`${missing.join(", ")} not built in ${bin}; run: npx pinned env up`);
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cp-upgrade-"));
        fs.mkdirSync(path.join(dir, "cache", "bin"), { recursive: true });
        for (const b of BINARIES) {
            fs.symlinkSync(path.join(bin, b), path.join(dir, "cache", "bin", b));
        }
        const archive = spawnSync("git", ["-C", PROJECT_DIR, "archive", "--format=tar", OLD_COMMIT, "scripts/env"], {
            maxBuffer: 64 << 20,
        });
        if (archive.status !== 0) {
            throw new Error(`git cannot read commit ${OLD_COMMIT} (${archive.stderr}); fetch the full history: git fetch --unshallow`);
        }
        fs.mkdirSync(path.join(dir, "old"));
        execFileSync("tar", ["-x", "-C", path.join(dir, "old")], { input: archive.stdout });
        oldScript = path.join(dir, "old", "scripts", "env", "cluster.sh");
        // Its have_version could fail at random (etcd killed by SIGPIPE under
        // pipefail) and start minutes of rebuilding; the fixed one is used.
        const oldLib = path.join(dir, "old", "scripts", "env", "cluster-lib.sh");
        const racy = '  "$1" --version 2>/dev/null | grep -qF -- "$2"\n';
        const lib = fs.readFileSync(oldLib, "utf8");
        assert.ok(lib.includes(racy), "the previous have_version, to replace");
        fs.writeFileSync(
            oldLib,
            lib.replace(racy, '  local out\n  out="$("$1" --version 2>/dev/null)" || return 1\n  grep -qF -- "$2" <<<"$out"\n'),
        );
        const [api, etcd, peer, kcm, sched, kwok] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
        env = {
            ...(process.env as Record<string, string>),
            PINNED_CACHE: path.join(dir, "cache"),
            PINNED_APISERVER_PORT: String(api),
            PINNED_ETCD_PORT: String(etcd),
            PINNED_ETCD_PEER_PORT: String(peer),
            PINNED_CONTROLLER_MANAGER_PORT: String(kcm),
            PINNED_SCHEDULER_PORT: String(sched),
            PINNED_KWOK_PORT: String(kwok),
        };
    });

    after(() => {
        if (dir) {
            run(newScript, ["down"]);
            run(oldScript, ["down"]);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the previous cluster.sh: etcd on plain HTTP, a Secret stored in clear", () => {
        const up = run(oldScript, ["up"]);
        assert.strictEqual(up.status, 0, up.output);
        kubectl(["create", "secret", "generic", "made-before", "--from-literal=value=made-before-upgrade"]);
        const plain = execFileSync("curl", [
            "-sS",
            "-X",
            "POST",
            "-d",
            JSON.stringify({ key: Buffer.from("/registry/secrets/default/made-before").toString("base64") }),
            `http://127.0.0.1:${env.PINNED_ETCD_PORT}/v3/kv/range`,
        ]).toString();
        const value = Buffer.from((JSON.parse(plain) as { kvs: { value: string }[] }).kvs[0].value, "base64");
        assert.ok(value.includes(Buffer.from("made-before-upgrade")), "in clear before the upgrade");
    });

    it("up of this cluster.sh: restarts with TLS and encryption, keeps etcd's data, encrypts the Secret; a second up changes nothing", () => {
        const up = run(newScript, ["up"]);
        assert.strictEqual(up.status, 0, up.output);
        assert.match(up.output, /restarting the control plane/);
        assert.match(up.output, /etcd member's peer URL is now https:/);
        assert.match(up.output, /etcd held 1 Secret\(s\) in clear/);
        // The Secret made before is still there (etcd's data kept) and reads back in clear through the API.
        assert.strictEqual(
            Buffer.from(kubectl(["get", "secret", "made-before", "-o", "jsonpath={.data.value}"]), "base64").toString(),
            "made-before-upgrade",
        );
        const pki = path.join(dir, "cache", "run", "cluster", "pki");
        const stored = etcdRange(pki, `127.0.0.1:${env.PINNED_ETCD_PORT}`, "/registry/secrets/default/made-before");
        const value = Buffer.from((stored.kvs ?? [])[0].value, "base64");
        assert.ok(value.subarray(0, 8).toString() === "k8s:enc:", "stored encrypted");
        assert.ok(!value.includes(Buffer.from("made-before-upgrade")));
        const plainHttp = spawnSync("curl", ["-sS", "-m", "5", `http://127.0.0.1:${env.PINNED_ETCD_PORT}/version`], { encoding: "utf8" });
        assert.notStrictEqual(plainHttp.stdout.includes("etcdserver"), true, "etcd no longer answers plain HTTP");
        const again = run(newScript, ["up"]);
        assert.strictEqual(again.status, 0, again.output);
        assert.doesNotMatch(again.output, /restarting|in clear|generating|making/);
    });

    it("the Secrets' key deleted while etcd holds Secrets encrypted with it: up refuses, naming the file and the way out", () => {
        const config = path.join(dir, "cache", "run", "cluster", "encryption-config.yaml");
        const saved = fs.readFileSync(config);
        fs.rmSync(config);
        try {
            const up = run(newScript, ["up"]);
            assert.strictEqual(up.status, 1, up.output);
            assert.match(up.output, /the key that encrypts the Secrets in etcd \(.*encryption-config\.yaml\) is missing/);
            assert.match(up.output, /down --purge/);
            assert.ok(!fs.existsSync(config), "no new key was made in its place");
        } finally {
            fs.writeFileSync(config, saved, { mode: 0o600 });
        }
    });
});
