import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../../pipeline/project/projectDir";
import { LocalEnv } from "./localEnv";

export interface RunResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Both streams, for assertion messages. */
    readonly output: string;
}

/**
 * A stand-alone Pulumi TypeScript program in a temporary directory, run with
 * the pulumi CLI exactly as a user runs one: its own Pulumi.yaml, a state
 * directory of its own, the project's node_modules (so @pulumi/docker 4.6.2
 * asks the engine for the embedded docker plugin).
 */
export class PulumiProgram {
    private constructor(
        readonly dir: string,
        private readonly env: Record<string, string>,
    ) {}

    /** Writes the files (`index.ts` and whatever else the program reads) and creates stack "test". */
    static create(name: string, files: Record<string, string>, local: LocalEnv): PulumiProgram {
        // The state lives next to the program, not in it: a build context of
        // "." would otherwise change with every update.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `pinned-program-${name}-`));
        const dir = path.join(root, "program");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true }, null, 2));
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
        for (const [file, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.writeFileSync(path.join(dir, file), content);
        }
        fs.mkdirSync(path.join(root, "state"));
        const env = {
            ...local.env,
            PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
            // Type errors are the compiler's business, not the engine's.
            TS_NODE_TRANSPILE_ONLY: "true",
        };
        const program = new PulumiProgram(dir, env);
        const init = program.pulumi(["stack", "init", "test"]);
        if (init.status !== 0) {
            throw new Error(`pulumi stack init failed in ${dir}:\n${init.output}`);
        }
        return program;
    }

    pulumi(args: string[], extraEnv: Record<string, string> = {}): RunResult {
        const r = spawnSync("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env, ...extraEnv },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        const stdout = r.stdout ?? "";
        const stderr = r.stderr ?? "";
        return { status: r.status, stdout, stderr, output: `${stdout}\n${stderr}${r.error ? `\n${r.error.message}` : ""}` };
    }

    up(): RunResult {
        return this.pulumi(["up", "--yes", "--skip-preview"]);
    }

    /** `pulumi preview --json`'s steps: operation by resource type and name. */
    previewSteps(): Array<{ op: string; type: string; name: string }> {
        const r = this.pulumi(["preview", "--json"]);
        if (r.status !== 0) {
            throw new Error(`pulumi preview failed:\n${r.output}`);
        }
        const steps = (JSON.parse(r.stdout).steps ?? []) as Array<{ op: string; urn: string }>;
        return steps.map((s) => {
            const parts = s.urn.split("::");
            return { op: s.op, type: parts[2], name: parts[3] };
        });
    }

    outputs(): Record<string, unknown> {
        const r = this.pulumi(["stack", "output", "--json", "--show-secrets"]);
        if (r.status !== 0) {
            throw new Error(`pulumi stack output failed:\n${r.output}`);
        }
        return JSON.parse(r.stdout) as Record<string, unknown>;
    }

    /** `pulumi config set`, as a secret when asked. */
    config(key: string, value: string, secret = false): void {
        const r = this.pulumi(["config", "set", key, value, ...(secret ? ["--secret"] : [])]);
        if (r.status !== 0) {
            throw new Error(`pulumi config set ${key} failed:\n${r.output}`);
        }
    }

    write(file: string, content: string): void {
        fs.writeFileSync(path.join(this.dir, file), content);
    }

    /** Destroys what the program made and removes its directory; returns the destroy's result. */
    remove(): RunResult {
        const r = this.pulumi(["destroy", "--yes", "--skip-preview"]);
        if (r.status === 0) {
            fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
        }
        return r;
    }
}
