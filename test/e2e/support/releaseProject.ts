import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { simpleGit, SimpleGit } from "simple-git";
import { cacheDir } from "../../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../../pipeline/project/projectDir";
import { LocalEnv } from "./localEnv";

/** What the project is made of; copied into each test's own repository. */
const PROJECT_FILES = [
    ".github",
    "Pulumi.yaml",
    "package.json",
    "tsconfig.json",
    "index.ts",
    "core",
    "components",
    "program",
    "pipeline",
    "cli",
    "bin",
    "app",
    "scripts",
];

/** What a given source tree keeps to itself: its releases and local state. */
const NOT_COPIED = ["stacks", "node_modules", ".git", ".pulumi", ".pinned"];

export interface RunResult {
    readonly status: number;
    /** stdout and stderr together, as a person sees them. */
    readonly output: string;
    readonly stdout: string;
    readonly stderr?: string;
}

/**
 * A copy of the project in its own git repository, with its own state
 * backend and stacks, so tests can tag, release and roll back freely. The
 * engine, registry and Docker are the real shared ones.
 */
export class ReleaseProject {
    readonly git: SimpleGit;

    private constructor(
        readonly dir: string,
        private readonly env: LocalEnv,
        /** Render manifests instead of applying them (no cluster needed). */
        private readonly render: boolean,
    ) {
        this.git = simpleGit({ baseDir: dir });
    }

    /**
     * `source`: the tree the copy is made of (default: this one, its
     * PROJECT_FILES); the benchmark's comparison passes an earlier commit's
     * files (`git archive`), copied whole but for its stacks, since an
     * earlier tree's folders may have other names.
     */
    static async create(
        env: LocalEnv,
        repository: string,
        opts: { render?: boolean; namespace?: string; source?: string } = {},
    ): Promise<ReleaseProject> {
        const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pinned-e2e-")));
        const source = opts.source ?? PROJECT_DIR;
        const entries = opts.source ? fs.readdirSync(opts.source).filter((e) => !NOT_COPIED.includes(e)) : PROJECT_FILES;
        for (const entry of entries) {
            fs.cpSync(path.join(source, entry), path.join(dir, entry), { recursive: true });
        }
        fs.mkdirSync(path.join(dir, "stacks"));
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules\n.pulumi/\n.pinned/\n");
        // The base is whatever this machine's mirror built (its digest follows
        // Debian's archive); the pipeline under test is the same either way.
        const dockerfile = path.join(dir, "app", "Dockerfile");
        const base = env.baseRef.replace(/@/, ":3.11.2-bookworm@");
        fs.writeFileSync(dockerfile, fs.readFileSync(dockerfile, "utf8").replace(/^FROM \S+$/m, `FROM ${base}`));
        const project = new ReleaseProject(dir, env, opts.render ?? false);
        await project.git.init(["--initial-branch=main"]);
        await project.git.addConfig("user.name", "Pinned E2E");
        await project.git.addConfig("user.email", "e2e@pinned.invalid");
        await project.git.add(".");
        await project.git.commit("project");
        project.configureProject({ "pinned:repository": repository, ...(opts.namespace ? { "pinned:namespace": opts.namespace } : {}) });
        return project;
    }

    /**
     * A fresh clone of `source` (its commits, tags and committed stack
     * files; none of its state or caches), as a teammate makes one.
     */
    static async cloneOf(source: ReleaseProject): Promise<ReleaseProject> {
        const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pinned-e2e-clone-")));
        await simpleGit().clone(source.dir, dir);
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
        const project = new ReleaseProject(dir, source.env, source.render);
        await project.git.addConfig("user.name", "Pinned E2E teammate");
        await project.git.addConfig("user.email", "teammate@pinned.invalid");
        return project;
    }

    /** Renames the Pulumi project (the shared store files stacks under it) and commits. */
    rename(name: string): void {
        const file = path.join(this.dir, "Pulumi.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^name: .*$/m, `name: ${name}`));
        spawnSync("git", ["commit", "-qam", `project ${name}`], { cwd: this.dir });
    }

    /**
     * Project-wide config: each test project pushes to its own repository
     * (and deploys to its own namespace) so tests do not see each other.
     */
    private configureProject(values: Record<string, string>): void {
        const file = path.join(this.dir, "Pulumi.yaml");
        const doc = yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        doc.config = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }]));
        fs.writeFileSync(file, yaml.dump(doc));
        spawnSync("git", ["commit", "-qam", "project config"], { cwd: this.dir });
    }

    /** Writes app files and commits them; resolves to the commit. */
    async commit(message: string, files: Record<string, string> = {}): Promise<string> {
        for (const [file, content] of Object.entries(files)) {
            fs.writeFileSync(path.join(this.dir, file), content);
        }
        await this.git.add(".");
        await this.git.commit(message, ["--allow-empty"]);
        return (await this.git.revparse(["HEAD"])).trim();
    }

    /** Writes app files, commits, tags `release`; resolves to the commit. */
    async release(release: string, files: Record<string, string> = {}): Promise<string> {
        const commit = await this.commit(`release ${release}`, files);
        await this.git.addTag(release);
        return commit;
    }

    /** The environment this copy's commands run with: its own state backend, CI output. */
    commandEnv(extraEnv: Record<string, string> = {}): Record<string, string> {
        return { ...this.env.env, PULUMI_BACKEND_URL: `file://${path.join(this.dir, ".pulumi")}`, CI: "true", ...extraEnv };
    }

    /** Runs this copy's `pinned`, as a user would. */
    pinned(args: string[], extraEnv: Record<string, string> = {}): RunResult {
        const r = spawnSync(path.join(this.dir, "bin", "pinned"), args, {
            cwd: this.dir,
            encoding: "utf8",
            env: this.commandEnv(extraEnv),
            timeout: 15 * 60 * 1000,
        });
        return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    }

    /** Runs a shell script in this copy as a CI runner would (`bash -e`), with `npx` on PATH. */
    bash(script: string, extraEnv: Record<string, string> = {}): RunResult {
        const r = spawnSync("bash", ["-e", "-c", script], {
            cwd: this.dir,
            encoding: "utf8",
            env: this.commandEnv(extraEnv),
            timeout: 15 * 60 * 1000,
        });
        return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    }

    /**
     * Starts this copy's `pinned` without waiting: for races. With `host`,
     * it runs in a UTS namespace of its own under that hostname (unshare
     * -u), as if on another machine; with `pidNamespace`, in a PID namespace
     * of its own. The promise's `pid` is pinned's own, or unshare's.
     */
    pinnedAsync(
        args: string[],
        extraEnv: Record<string, string> = {},
        opts: { host?: string; pidNamespace?: boolean; onOutput?: (text: string) => void } = {},
    ): Promise<RunResult> & { pid: number } {
        const bin = path.join(this.dir, "bin", "pinned");
        // A PID namespace of its own (with its own /proc) sees none of this one's processes.
        // --kill-child: killing unshare kills the namespace's first process,
        // and with it every process in the namespace, as a machine that dies.
        const pidNs = opts.pidNamespace ? ["-p", "-f", "--mount-proc", "--kill-child"] : [];
        const [command, argv] = opts.host
            ? ["unshare", ["-u", ...pidNs, "sh", "-c", 'hostname "$0" && exec "$@"', opts.host, bin, ...args]]
            : opts.pidNamespace
              ? ["unshare", [...pidNs, bin, ...args]]
              : [bin, args];
        const child = spawn(command, argv, {
            cwd: this.dir,
            env: this.commandEnv(extraEnv),
        });
        let output = "";
        let stdout = "";
        child.stdout.on("data", (d) => ((output += d), (stdout += d), opts.onOutput?.(output)));
        child.stderr.on("data", (d) => ((output += d), opts.onOutput?.(output)));
        const done = new Promise<RunResult>((resolve) => child.on("close", (code) => resolve({ status: code ?? -1, output, stdout })));
        return Object.assign(done, { pid: child.pid ?? -1 });
    }

    /**
     * `pinned up` for a release; `atHead` leaves the release to be found from
     * the tag at HEAD, as a user would run it.
     */
    up(release: string, opts: { atHead?: boolean; env?: Record<string, string> } = {}): RunResult {
        const renderEnv: Record<string, string> = this.render ? { PINNED_RENDER_YAML_TO: path.join(".pinned", "rendered", release) } : {};
        return this.pinned(opts.atHead ? ["up"] : ["up", "--release", release], { ...renderEnv, ...opts.env });
    }

    /** Runs the engine's own CLI against this project's backend. */
    pulumi(args: string[]): RunResult {
        const r = spawnSync("pulumi", args, {
            cwd: this.dir,
            encoding: "utf8",
            env: {
                ...this.env.env,
                PULUMI_BACKEND_URL: `file://${path.join(this.dir, ".pulumi")}`,
                ...(this.render ? {} : { KUBECONFIG: path.join(cacheDir(process.env), "kubeconfig") }),
            },
        });
        return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    }

    /**
     * Runs a shell script as a user who set nothing up but
     * `eval "$(npx pinned env shell)"`: a bare environment (PATH without the
     * project's engine, HOME, CI) plus what that prints. `input` is stdin.
     */
    userShell(script: string, input?: string, extraEnv: Record<string, string> = {}): RunResult {
        const cacheBin = path.join(cacheDir(process.env), "bin");
        const bare: Record<string, string> = {
            PATH: (process.env.PATH ?? "")
                .split(path.delimiter)
                .filter((d) => d !== cacheBin)
                .join(path.delimiter),
            HOME: process.env.HOME ?? os.homedir(),
            CI: "true",
            ...(process.env.PINNED_CACHE ? { PINNED_CACHE: process.env.PINNED_CACHE } : {}),
            ...(process.env.PULUMI_HOME ? { PULUMI_HOME: process.env.PULUMI_HOME } : {}),
            ...extraEnv,
        };
        const r = spawnSync(
            "bash",
            [
                "-e",
                "-o",
                "pipefail",
                "-c",
                `eval "$(./bin/pinned env shell)"
${script}`,
            ],
            {
                cwd: this.dir,
                encoding: "utf8",
                env: bare,
                input,
                timeout: 15 * 60 * 1000,
            },
        );
        return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
    }

    /** The `pinned:*` values of a release's stack file. */
    stackConfig(release: string): Record<string, unknown> {
        const file = path.join(this.dir, "stacks", `Pulumi.${release}.yaml`);
        if (!fs.existsSync(file)) {
            return {};
        }
        return (yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
    }

    /** The Deployment manifest rendered for a release. */
    renderedDeployment(release: string): { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined {
        const root = path.join(this.dir, ".pinned", "rendered", release);
        if (!fs.existsSync(root)) {
            return undefined;
        }
        for (const file of fs.readdirSync(root, { recursive: true }) as string[]) {
            if (!file.endsWith(".yaml")) {
                continue;
            }
            for (const doc of yaml.loadAll(fs.readFileSync(path.join(root, file), "utf8"))) {
                if ((doc as { kind?: string })?.kind === "Deployment") {
                    return doc as ReturnType<ReleaseProject["renderedDeployment"]>;
                }
            }
        }
        return undefined;
    }

    /** Resource changes of the stack's latest update, from the engine's history. */
    lastUpdateChanges(release: string): Record<string, number> {
        const r = this.pulumi(["stack", "history", "--json", "--stack", release]);
        const history = JSON.parse(r.output) as Array<{ kind: string; resourceChanges?: Record<string, number> }>;
        const last = history.find((h) => h.kind === "update");
        return last?.resourceChanges ?? {};
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
