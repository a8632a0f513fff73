import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
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

    it("git, as the program starts it in a real pulumi preview (a stand-in first on PATH), sees no PULUMI_CONFIG, passphrase or password", () => {
        const { project, env } = suite;
        const bin = path.join(project.dir, ".pinned", "git-stand-in");
        const seenBy = path.join(project.dir, ".pinned", "git-env");
        fs.mkdirSync(bin, { recursive: true });
        // Each call: its parent's command line, then its environment.
        fs.writeFileSync(
            path.join(bin, "git"),
            `#!/bin/sh\n{ echo "--- parent: $(tr '\\0' ' ' < /proc/$PPID/cmdline)"; env; } >> ${seenBy}\nexec /usr/bin/git "$@"\n`,
            { mode: 0o755 },
        );
        // A stack with the registry password as a secret and no digest: the engine
        // gives the program its settings, the password decrypted, in PULUMI_CONFIG,
        // and the program reads git for its build plan. Its preview may stop after that.
        const passphrase = fs.readFileSync(path.join(cacheDir(process.env), "passphrase"), "utf8").trim();
        const engineEnv = {
            ...env.env,
            PATH: `${bin}:${env.env.PATH ?? process.env.PATH ?? ""}`,
            PULUMI_BACKEND_URL: `file://${path.join(project.dir, ".pulumi")}`,
            KUBECONFIG: path.join(cacheDir(process.env), "kubeconfig"),
            // A passphrase in the environment, as a team sets it, must not reach git either.
            PULUMI_CONFIG_PASSPHRASE: passphrase,
        };
        const pulumi = (args: string[], input?: string) =>
            spawnSync("pulumi", args, { cwd: project.dir, env: engineEnv, input, encoding: "utf8", timeout: 300_000 });
        // A release's name, commit and registry: the program reads git right after checking them.
        const stack = "2026-12-09-001";
        fs.mkdirSync(path.join(project.dir, ".pulumi"), { recursive: true });
        const init = pulumi(["stack", "init", stack]);
        assert.strictEqual(init.status, 0, init.stderr);
        const set = pulumi(["config", "set", "--secret", "--stack", stack, "pinned:registryPassword"], env.registry.password);
        assert.strictEqual(set.status, 0, set.stderr);
        const head = spawnSync("/usr/bin/git", ["rev-parse", "HEAD"], { cwd: project.dir, encoding: "utf8" }).stdout.trim();
        assert.strictEqual(pulumi(["config", "set", "--stack", stack, "pinned:commit", head]).status, 0);
        assert.strictEqual(pulumi(["config", "set", "--stack", stack, "pinned:registry", env.registry.server]).status, 0);
        fs.rmSync(seenBy, { force: true });
        const preview = pulumi(["preview", "--stack", stack, "--non-interactive"]);
        assert.ok(fs.existsSync(seenBy), `the program ran git:\n${preview.stdout}${preview.stderr}`);
        const calls = fs
            .readFileSync(seenBy, "utf8")
            .split(/^--- /m)
            .filter((c) => c !== "");
        // The engine's own git (the update's metadata) has the engine's environment, which the
        // caller gave it (a passphrase included): only the program's calls are pinned's to keep clean.
        const program = calls.filter((c) => !/^parent: \S*pulumi (preview|up) /.test(c));
        assert.ok(program.length > 0, `the program ran git: ${calls.map((c) => c.split("\n")[0]).join("; ")}`);
        for (const call of program) {
            assert.doesNotMatch(call, /^PULUMI_CONFIG/m, call.split("\n")[0]);
            assert.ok(!call.includes(passphrase), `the passphrase reached git: ${call.split("\n")[0]}`);
        }
        for (const call of calls) {
            assert.ok(!call.includes(env.registry.password), `the registry password reached git: ${call.split("\n")[0]}`);
        }
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
