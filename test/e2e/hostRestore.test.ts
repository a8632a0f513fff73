import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/** scripts/env/host-lib.sh's record of the host before env up changed it. */
const RECORD = path.join(cacheDir(process.env), "run", "host-before.env");
/** Chains the environment's programs make: the kubelet, the CNI firewall plugin, dockerd. */
const OURS = /^(KUBE-|CNI-|DOCKER)/;

function pinned(args: string[]): { status: number | null; output: string } {
    const r = spawnSync(path.join(PROJECT_DIR, "bin", "pinned"), args, { encoding: "utf8", cwd: PROJECT_DIR });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function readRecord(): Map<string, string> {
    const record = new Map<string, string>();
    for (const line of fs.readFileSync(RECORD, "utf8").split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) {
            record.set(line.slice(0, eq), line.slice(eq + 1));
        }
    }
    return record;
}

/** A sysctl read fresh from /proc/sys ("absent" when the kernel has no such file). */
function sysctl(name: string): string {
    const file = path.join("/proc/sys", ...name.split("."));
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "absent";
}

/** `iptables-save` (v4) or `ip6tables-save` (v6), read fresh: chains per table, policies, rules. */
function iptablesSave(v: "4" | "6"): { chains: Map<string, string[]>; policies: Map<string, string>; rules: string[] } {
    const text = execFileSync(v === "4" ? "iptables-save" : "ip6tables-save", { encoding: "utf8" });
    const chains = new Map<string, string[]>();
    const policies = new Map<string, string>();
    const rules: string[] = [];
    let table = "";
    for (const line of text.split("\n")) {
        if (line.startsWith("*")) {
            table = line.slice(1);
            chains.set(table, []);
        } else if (line.startsWith(":")) {
            const [chain, policy] = line.slice(1).split(" ");
            if (policy === "-") {
                chains.get(table)?.push(chain);
            } else {
                policies.set(`${table}.${chain}`, policy);
            }
        } else if (line.startsWith("-A ")) {
            rules.push(`${table} ${line}`);
        }
    }
    return { chains, policies, rules };
}

function linkExists(name: string): boolean {
    return spawnSync("ip", ["link", "show", name]).status === 0;
}

/** The parts that change the host: Docker and the real node, in the order they start. */
const PARTS = ["docker", "node"];
const DOWN = [...PARTS].reverse();

/**
 * The host settings env up changes (kubelet sysctls, forwarding, iptables
 * chains and policies, interfaces, directories) are recorded once, before
 * the first change, and env down puts every one back; env up then works
 * again. Takes down and up only the two parts that change the host (the
 * others change nothing outside the cache); the after hook brings them
 * back on every path.
 */
describe("env down puts back the host settings env up changed (real host: /proc/sys, iptables, interfaces)", function () {
    this.timeout(20 * 60 * 1000);
    let record: Map<string, string>;
    /** The recorded sysctls' values while the environment is up. */
    const whileUp = new Map<string, string>();

    before(function () {
        const status = pinned(["env", "status", ...PARTS]);
        if (status.status !== 0) {
            throw new Error(`docker and the real node must run:\n${status.output}\nrun: npx pinned env up`);
        }
        if (!fs.existsSync(RECORD)) {
            throw new Error(`no record of the host before env up (${RECORD}); run: npx pinned env down && npx pinned env up`);
        }
    });

    after(function () {
        if (pinned(["env", "status", ...PARTS]).status !== 0) {
            const up = pinned(["env", "up", ...PARTS]);
            assert.strictEqual(up.status, 0, `bringing the environment back failed:\n${up.output}`);
        }
    });

    it("env up records the host once: a second env up leaves the record as it was", function () {
        const text = fs.readFileSync(RECORD, "utf8");
        record = readRecord();
        for (const key of [
            "sysctl.net.ipv4.ip_forward",
            "sysctl.net.bridge.bridge-nf-call-iptables",
            "sysctl.vm.overcommit_memory",
            "sysctl.kernel.panic",
            "sysctl.kernel.panic_on_oops",
            "policy4.filter.FORWARD",
            "chains4.filter",
            "link.pinned0",
        ]) {
            assert.ok(record.has(key), `the record names ${key}:\n${text}`);
        }
        for (const key of record.keys()) {
            if (key.startsWith("sysctl.")) {
                whileUp.set(key, sysctl(key.slice("sysctl.".length)));
            }
        }
        const up = pinned(["env", "up", ...PARTS]);
        assert.strictEqual(up.status, 0, up.output);
        assert.strictEqual(fs.readFileSync(RECORD, "utf8"), text, "a second env up rewrote the record");
    });

    it("env down puts back every recorded value, removes what env up made, and says what it leaves", function () {
        assert.ok(record, "the record was read");
        const down = pinned(["env", "down", ...DOWN]);
        assert.strictEqual(down.status, 0, down.output);

        const wrong: string[] = [];
        for (const [key, want] of record) {
            if (key.startsWith("sysctl.") && want !== "absent") {
                const now = sysctl(key.slice("sysctl.".length));
                if (now !== want) wrong.push(`${key.slice("sysctl.".length)} is ${now}, was ${want} before env up`);
            }
        }
        for (const v of ["4", "6"] as const) {
            const now = iptablesSave(v);
            for (const [key, want] of record) {
                const policy = key.match(new RegExp(`^policy${v}\\.(\\w+\\.\\w+)$`));
                if (policy && now.policies.has(policy[1]) && now.policies.get(policy[1]) !== want) {
                    wrong.push(`ip${v} ${policy[1]} policy is ${now.policies.get(policy[1])}, was ${want}`);
                }
                const chains = key.match(new RegExp(`^chains${v}\\.(\\w+)$`));
                if (chains) {
                    const had = new Set(want.split(" "));
                    const added = (now.chains.get(chains[1]) ?? []).filter((c) => OURS.test(c) && !had.has(c));
                    if (added.length > 0) wrong.push(`ip${v} ${chains[1]} still has chains ${added.join(" ")}`);
                }
            }
            for (const ifc of ["docker0", "pinned0"]) {
                if (record.get(`link.${ifc}`) === "absent") {
                    const rules = now.rules.filter((r) => new RegExp(` -[io] ${ifc}( |$)`).test(r));
                    if (rules.length > 0) wrong.push(`ip${v} rules for ${ifc} remain: ${rules.join("; ")}`);
                }
            }
        }
        for (const [key, want] of record) {
            if (key.startsWith("link.") && want === "absent" && linkExists(key.slice(5))) {
                wrong.push(`interface ${key.slice(5)} remains`);
            }
            const p = key.startsWith("path.") ? key.slice(5) : undefined;
            if (p && want === "absent" && fs.existsSync(p) && !down.output.includes(`${p} (still in use)`)) {
                wrong.push(`${p} remains and env down does not name it`);
            }
        }
        const netns = fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns").filter((n) => n.startsWith("cni-")) : [];
        if (netns.length > 0) wrong.push(`network namespaces remain: ${netns.join(" ")}`);
        const run = `${path.join(cacheDir(process.env), "run")}/`;
        const mounts = fs
            .readFileSync("/proc/self/mountinfo", "utf8")
            .split("\n")
            .map((l) => l.split(" ")[4])
            .filter((m) => m?.startsWith(run));
        if (mounts.length > 0) wrong.push(`mounts remain: ${mounts.join(" ")}`);
        assert.deepStrictEqual(wrong, [], `env down output:\n${down.output}`);

        assert.ok(!fs.existsSync(RECORD), "with everything put back the record goes, so the next env up records afresh");
        assert.match(down.output, /^node: left: /m, "env down names what the node part leaves");
        assert.match(down.output, /^docker: left/m, "env down names what the docker part leaves");
    });

    it("env up after env down: the environment is back, recorded from the same host values", function () {
        const up = pinned(["env", "up", ...PARTS]);
        assert.strictEqual(up.status, 0, up.output);
        const status = pinned(["env", "status", ...PARTS]);
        assert.strictEqual(status.status, 0, status.output);
        const again = readRecord();
        for (const [key, want] of record) {
            if (key.startsWith("sysctl.") || key.startsWith("policy") || key.startsWith("link.")) {
                assert.strictEqual(again.get(key), want, `${key} recorded again as it was before the first env up`);
            }
        }
        for (const [key, value] of whileUp) {
            assert.strictEqual(sysctl(key.slice("sysctl.".length)), value, `${key} as env up sets it`);
        }
    });
});
