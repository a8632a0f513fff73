import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const NODE_SH = path.join(__dirname, "..", "..", "scripts", "env", "node.sh");

/**
 * `scripts/env/node.sh check` writes the registry's pull secret (the
 * password, base64) to a temporary directory for `kubectl create secret`.
 * Run here against a stand-in kubectl and a cache of its own, so no cluster
 * is touched: whatever kubectl does, the directory is gone afterwards.
 */
describe("the node check's temporary pull-secret directory (scripts/env/node.sh check)", () => {
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-node-check-"));
        const cache = path.join(dir, "cache");
        fs.mkdirSync(cache);
        fs.writeFileSync(
            path.join(cache, "registry-credentials"),
            "REGISTRY=127.0.0.1:5000\nREGISTRY_USER=pinned\nREGISTRY_PASSWORD=node-check-password\n",
            { mode: 0o600 },
        );
        fs.mkdirSync(path.join(dir, "bin"));
        fs.mkdirSync(path.join(dir, "tmp"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the check with a kubectl that answers `script` (sh, its arguments in "$*"). */
    const check = (script: string) => {
        const kubectl = path.join(dir, "bin", "kubectl");
        fs.writeFileSync(kubectl, `#!/bin/sh\necho "$*" >> ${dir}/kubectl-calls\n${script}\n`, { mode: 0o755 });
        return spawnSync("bash", [NODE_SH, "check"], {
            encoding: "utf8",
            env: {
                PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
                HOME: dir,
                PINNED_CACHE: path.join(dir, "cache"),
                PINNED_NODE_CHECK_IMAGE: `127.0.0.1:5000/pinned/python@sha256:${"c".repeat(64)}`,
                TMPDIR: path.join(dir, "tmp"),
            },
            timeout: 60_000,
        });
    };
    const ready = 'case "$*" in *"get node"*) echo True ;; esac';

    it("is removed when kubectl create secret fails, and the namespace is deleted", () => {
        const r = check(`${ready}\ncase "$*" in *"create secret"*) echo 'error: the server refused' >&2; exit 1 ;; esac\nexit 0`);
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        const calls = fs.readFileSync(path.join(dir, "kubectl-calls"), "utf8");
        assert.match(calls, /create secret generic registry/, "the check got as far as the secret");
        assert.match(calls, /delete namespace pinned-node-check-/);
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, "tmp")), [], "nothing left in TMPDIR");
    });

    it("is removed when creating the namespace fails, before the file is written", () => {
        const r = check(`${ready}\ncase "$*" in *"create namespace"*) exit 1 ;; esac\nexit 0`);
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, "tmp")), [], "nothing left in TMPDIR");
    });
});
