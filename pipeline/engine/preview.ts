import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PinnedError } from "../../core/errors";
import { bindPassword } from "../../core/registryLogin";
import { EngineDiff, parseEngineDiff } from "./diff";
import { pulumiCli } from "./pulumiCli";
import { engineEnv } from "./environment";
import { defaultRegistry } from "../project/localEnvironment";
import { makeTemporaryDir, removeTemporaryDir } from "../project/temporaryDirs";
import { stackFilePath } from "../project/stackFile";
import { DeployTarget, targetEnv } from "../cluster/target";
import { Context } from "../context";

/** What a preview is given of the context: the project it links to, and the environment and cache the engine runs with. */
type PreviewContext = Pick<Context, "projectDir" | "env" | "cacheDir">;

/** What the preview asks the engine about. */
export interface EnginePreviewRequest {
    /** The stack the change would be released as. */
    readonly stack: string;
    readonly commit: string;
    /** The image the release deploys: recorded, or built and pushed just now. */
    readonly digest: string;
    /**
     * Stacks whose state describes what runs now, best first: the release's
     * own stack, then the live release's. The first one the backend has is
     * copied as the starting state.
     */
    readonly stateFrom: readonly string[];
    readonly target: DeployTarget;
    /**
     * The repository the digest is in, when it is not the release's own: a
     * preview's build lives in the preview repository, and the program
     * deploys images only from the repository its config names.
     */
    readonly repository?: string;
}

export interface EnginePreview extends EngineDiff {
    /** Whose state the engine compared with, in words. */
    readonly basis: string;
}

/** The project's parts the program needs; the temporary project links to them. */
const PROGRAM_FILES = ["index.ts", "core", "components", "program", "bin", "app", "node_modules", "package.json", "tsconfig.json"];

/** Seconds a preview may take: it reads the cluster once per resource. */
const PREVIEW_TIMEOUT_S = 300;

/**
 * A real `pulumi preview` of the release's stack, run in a temporary
 * project and backend so nothing of the user's changes: no stack file in
 * `stacks/`, no stack in the backend, no lock held.
 *
 * The temporary stack starts from the state of the stack that describes
 * what runs now (the release's own, else the live release's), so the
 * engine — refreshing first, as Pulumi.yaml asks — shows what this
 * release changes in the cluster: per resource, the operation and each
 * property old → new. The stack's config is the release's stack file with
 * the commit and the digest set, so the program deploys exactly the image
 * built for it and builds nothing.
 */
export async function previewStack(ctx: PreviewContext, req: EnginePreviewRequest): Promise<EnginePreview> {
    // Holds the stack's state (secrets encrypted): removed on every path,
    // an interrupt included (removingTemporaryDirsOnSignal).
    const tmp = makeTemporaryDir("pinned-preview-");
    try {
        const project = path.join(tmp, "project");
        makeProject(ctx.projectDir, project);
        const realEnv = engineEnv(ctx);
        // The temporary project links to the project's files (makeProject):
        // the program judges its directory settings against the project too.
        const tempEnv = { ...realEnv, PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`, PINNED_PROJECT_MIRROR: ctx.projectDir };
        fs.mkdirSync(path.join(tmp, "state"));

        const stacks = await stackNames(ctx, realEnv);
        const source = req.stateFrom.find((s) => stacks.has(s));
        const ownFile = stackFilePath(req.stack, ctx.projectDir);
        if (fs.existsSync(ownFile)) {
            // Its encryption salt comes along, so its secrets still decrypt.
            fs.copyFileSync(ownFile, path.join(project, "stacks", path.basename(ownFile)));
        }
        await pulumi(ctx, ["stack", "init", req.stack, "--non-interactive"], project, tempEnv);
        await configure(ctx, req, project, tempEnv);
        let renderedTo: string | undefined;
        if (source) {
            const state = (await pulumi(ctx, ["stack", "export", "--show-secrets", "--stack", source], ctx.projectDir, realEnv)).stdout;
            const seed = path.join(tmp, "seed.json");
            fs.writeFileSync(seed, renameStack(state, source, req.stack, secretsProviderOf(project, req.stack)), { mode: 0o600 });
            try {
                await pulumi(ctx, ["stack", "import", "--stack", req.stack, "--file", seed], project, tempEnv);
            } finally {
                // The export holds the secrets in plain text: gone once imported.
                fs.rmSync(seed, { force: true });
            }
            renderedTo = renderDirectoryOf(state);
        }
        // Rendering: the directory the state already renders to, so the
        // preview compares manifests rather than directories (a preview
        // writes no manifest).
        const renderEnv =
            req.target.kind === "render"
                ? { PINNED_RENDER_YAML_TO: renderedTo ?? path.resolve(ctx.projectDir, req.target.dir) }
                : targetEnv(req.target);
        // A rendering provider has no cluster to refresh from (see renderCommand.ts).
        const refresh = req.target.kind === "render" ? ["--refresh=false"] : [];
        // A preview changes nothing, so a cluster that stops answering just ends it.
        const run = await pulumiCli(ctx, ["preview", "--json", "--stack", req.stack, "--non-interactive", ...refresh], {
            cwd: project,
            env: { ...tempEnv, ...renderEnv },
            what: `preview stack ${req.stack}`,
            wait: PREVIEW_TIMEOUT_S,
        });
        let diff: EngineDiff;
        try {
            diff = parseEngineDiff(run.stdout);
        } catch {
            throw new PinnedError(
                `pulumi preview gave no readable result (exit ${run.status}): ${tail(run.stderr || run.stdout)}`,
                "run pulumi preview --stack yourself to see why.",
            );
        }
        if (run.status !== 0 && diff.errors.length === 0) {
            diff = { ...diff, errors: [tail(run.stderr) || `pulumi preview exited ${run.status}`] };
        }
        const basis = !source
            ? "no stack state on this machine describes what runs, so every resource shows as a create"
            : source === req.stack
              ? `stack ${source}'s state${req.target.kind === "cluster" ? ", refreshed from the cluster" : " (rendered manifests: no cluster to refresh from)"}`
              : `the live release ${source}'s state${req.target.kind === "cluster" ? ", refreshed from the cluster" : " (rendered manifests: no cluster to refresh from)"}`;
        return { ...diff, basis };
    } finally {
        removeTemporaryDir(tmp);
    }
}

/** A project in `dir` of links to the real one (`projectDir`), with its own Pulumi.yaml and stacks/. */
function makeProject(projectDir: string, dir: string): void {
    fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
    for (const entry of PROGRAM_FILES) {
        if (fs.existsSync(path.join(projectDir, entry))) {
            fs.symlinkSync(path.join(projectDir, entry), path.join(dir, entry));
        }
    }
    const doc = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    delete doc.backend; // the temporary backend comes from PULUMI_BACKEND_URL
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml.dump(doc));
}

/** The release's commit and image, and the registry it was pushed to if the file names none. */
async function configure(ctx: PreviewContext, req: EnginePreviewRequest, project: string, env: Record<string, string>): Promise<void> {
    const file = path.join(project, "stacks", `Pulumi.${req.stack}.yaml`);
    const current = ((yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined)?.config ??
        {}) as Record<string, unknown>;
    const set = (key: string, value: string, secret = false) =>
        pulumi(
            ctx,
            ["config", "set", ...(secret ? ["--secret"] : []), "--stack", req.stack, key, ...(secret ? [] : [value])],
            project,
            env,
            secret ? value : undefined,
        );
    await set("pinned:commit", req.commit);
    await set("pinned:imageDigest", req.digest);
    if (req.repository) {
        await set("pinned:repository", req.repository);
    }
    const registry = defaultRegistry(ctx.env);
    if (current["pinned:registry"] === undefined && registry) {
        await set("pinned:registry", registry.server);
        if (registry.username) {
            await set("pinned:registryUser", registry.username);
        }
        if (registry.password) {
            // Read from stdin: a secret never goes on a command line. Bound
            // to its registry, as pinned up sets it (core/registryLogin).
            await set("pinned:registryPassword", bindPassword(registry.server, registry.password), true);
        }
    }
    const server = (current["pinned:registry"] as string | undefined) ?? registry?.server;
    if (
        registry &&
        current["pinned:registryPullUser"] === undefined &&
        registry.server === server &&
        registry.pullUsername &&
        registry.pullPassword
    ) {
        await set("pinned:registryPullUser", registry.pullUsername);
        await set("pinned:registryPullPassword", bindPassword(registry.server, registry.pullPassword), true);
    }
}

/** The stacks the real backend has; none when it cannot list them. */
async function stackNames(ctx: PreviewContext, env: Record<string, string>): Promise<Set<string>> {
    const r = await pulumiCli(ctx, ["stack", "ls", "--json"], { cwd: ctx.projectDir, env, what: "list the stacks" });
    if (r.status !== 0) {
        return new Set();
    }
    return new Set((JSON.parse(r.stdout) as Array<{ name: string }>).map((s) => s.name));
}

/**
 * A state exported from stack `from` as stack `to`: the stack's name is part
 * of every URN (resource names are the same in every release's stack).
 */
export function renameStack(state: string, from: string, to: string, secretsProvider?: unknown): string {
    const doc = JSON.parse(state) as { deployment?: { secrets_providers?: unknown } };
    // Secrets are exported in plain text; the new stack encrypts them with
    // its own secrets provider (without one, the engine cannot import a
    // state that holds secrets, such as the pull Secret).
    if (doc.deployment) {
        if (secretsProvider === undefined) {
            delete doc.deployment.secrets_providers;
        } else {
            doc.deployment.secrets_providers = secretsProvider;
        }
    }
    return JSON.stringify(doc)
        .split(`urn:pulumi:${from}::`)
        .join(`urn:pulumi:${to}::`)
        .split(`pulumi:pulumi:Stack::pinned-${from}"`)
        .join(`pulumi:pulumi:Stack::pinned-${to}"`);
}

/** The passphrase secrets provider of a stack just made in `project`: its salt is in its stack file. */
function secretsProviderOf(project: string, stack: string): unknown {
    const file = path.join(project, "stacks", `Pulumi.${stack}.yaml`);
    const salt = fs.existsSync(file) ? /^encryptionsalt:\s*(\S+)/m.exec(fs.readFileSync(file, "utf8"))?.[1] : undefined;
    return salt ? { type: "passphrase", state: { salt } } : undefined;
}

/** The directory a stack's Kubernetes provider renders to, if it renders. */
function renderDirectoryOf(state: string): string | undefined {
    const resources =
        (JSON.parse(state) as { deployment?: { resources?: Array<{ type: string; inputs?: { renderYamlToDirectory?: unknown } }> } })
            .deployment?.resources ?? [];
    const dir = resources.find((r) => r.type === "pulumi:providers:kubernetes")?.inputs?.renderYamlToDirectory;
    return typeof dir === "string" && dir !== "" ? dir : undefined;
}

async function pulumi(
    ctx: PreviewContext,
    args: string[],
    cwd: string,
    env: Record<string, string>,
    input?: string,
): Promise<{ stdout: string }> {
    const r = await pulumiCli(ctx, args, { cwd, env, what: `prepare the preview (pulumi ${args.slice(0, 2).join(" ")})`, input });
    if (r.status !== 0) {
        throw new PinnedError(
            `pulumi ${args.slice(0, 2).join(" ")} failed while preparing the preview: ${tail(r.stderr || r.stdout)}`,
            "run pinned env status, then try again.",
        );
    }
    return { stdout: r.stdout };
}

/** What the engine said: its error or panic line when there is one (a panic ends in a Go stack trace), else the last lines. */
function tail(text: string): string {
    const lines = text.trim().split("\n");
    const said = lines.find((l) => /^(error|Panic):/.test(l.trim()));
    return (said?.trim() ?? lines.slice(-4).join(" ")).slice(0, 600);
}
