import * as assert from "assert";
import * as fs from "fs";
import { useClusterProject } from "./support/clusterProject";

/** Every process's command line right now, as any local user can read it (`ps`, /proc/<pid>/cmdline). */
function commandLines(): string[] {
    const lines: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            lines.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
        } catch {
            // the process ended meanwhile
        }
    }
    return lines;
}

/**
 * The registry password never appears on a command line: sampled from
 * every process on the machine, every few milliseconds, while a first
 * `pinned up` writes it into the stack, builds, pushes and deploys.
 */
describe("no secret on a command line (real engine, registry, API server)", function () {
    this.timeout(15 * 60 * 1000);
    const suite = useClusterProject("secrets");

    it("a first pinned up: thousands of samples of every process's command line, none holds the password", async () => {
        const { project, env } = suite;
        const password = env.registry.password;
        assert.ok(password.length >= 16, "a real password to look for");
        await project.release("2026-12-01-001");
        let samples = 0;
        const seen = new Set<string>();
        const leaks: string[] = [];
        let running = true;
        const sampler = (async () => {
            while (running) {
                for (const line of commandLines()) {
                    seen.add(line.split(" ")[0]);
                    // The push password, and the pull-only one the pull Secret gets.
                    for (const secret of [password, env.registry.pullPassword ?? password]) {
                        if (line.includes(secret)) {
                            leaks.push(line.replace(secret, "<password>"));
                        }
                    }
                }
                samples++;
                await new Promise((r) => setTimeout(r, 5));
            }
        })();
        const up = await project.pinnedAsync(["up", "--release", "2026-12-01-001"]);
        running = false;
        await sampler;
        assert.strictEqual(up.status, 0, up.output);
        assert.deepStrictEqual(leaks, []);
        assert.ok(samples > 200, `sampled ${samples} times`);
        // The sampler saw the processes that handle the password: the engine and the builder (buildah).
        assert.ok(
            [...seen].some((c) => c.endsWith("/pulumi")),
            "saw the pulumi CLI",
        );
        assert.ok(
            [...seen].some((c) => c.includes("buildah")),
            "saw buildah",
        );
        assert.ok(project.stackConfig("2026-12-01-001")["pinned:registryPassword"], "the password was written, as a secret");
        assert.ok(project.stackConfig("2026-12-01-001")["pinned:registryPullPassword"], "so was the pull-only one");
    });

    it("a wrong passphrase: exit 1 naming the stack, no stack trace; an empty one is refused before the engine starts", () => {
        const wrong = suite.project.pinned(["up", "--release", "2026-12-01-001"], { PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" });
        assert.strictEqual(wrong.status, 1, wrong.output);
        assert.match(wrong.output, /wrong passphrase for stack 2026-12-01-001/);
        assert.doesNotMatch(wrong.output, /unexpected failure|at .*\.ts:\d+/);
        const empty = suite.project.pinned(["up", "--release", "2026-12-01-001"], { PULUMI_CONFIG_PASSPHRASE: "" });
        assert.strictEqual(empty.status, 1, empty.output);
        assert.match(empty.output, /PULUMI_CONFIG_PASSPHRASE is set but empty/);
    });
});
