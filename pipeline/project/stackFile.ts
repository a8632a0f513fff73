import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError } from "../../core/errors";
import { writeFileWhole } from "../../core/wholeFile";
import { isReleaseName } from "../../core/git/releaseName";
import { resolveSettings, Settings } from "../../core/settings";
import { Context } from "../context";

/** What a release's stack file records: the deployment descriptor kept in git. */
export interface ReleaseRecord {
    readonly release: string;
    readonly file: string;
    readonly commit?: string;
    readonly imageDigest?: string;
    /** Every plain (non-secret) value, in the shape the Automation API reads config. */
    readonly config: Record<string, { value: string }>;
}

export function stackFilePath(release: string, projectDir: string): string {
    return path.join(projectDir, "stacks", `Pulumi.${release}.yaml`);
}

/** Reads stacks/Pulumi.<release>.yaml, or undefined when the release has no stack yet. */
export function readReleaseRecord(release: string, projectDir: string): ReleaseRecord | undefined {
    // A name read from the cluster (an annotation) is not trusted to be a
    // file name: only a release name maps to a file in stacks/.
    if (!isReleaseName(release)) {
        return undefined;
    }
    const file = stackFilePath(release, projectDir);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const doc = loadYaml(file) as { config?: Record<string, unknown> } | null;
    if (doc !== null && (typeof doc !== "object" || Array.isArray(doc))) {
        throw new ConfigError(
            `${path.relative(process.cwd(), file)} is not a stack file: it holds no mapping.`,
            "restore it from git (git checkout -- FILE).",
        );
    }
    const config = doc?.config ?? {};
    for (const key of ["pinned:registryPassword", "pinned:registryPullPassword"]) {
        const password = config[key];
        if (password !== undefined && !(typeof password === "object" && password !== null && "secure" in password)) {
            throw new ConfigError(
                `${path.relative(process.cwd(), file)}: ${key} is written in plain text, readable by anyone with the repository.`,
                `remove the line, change the password, and set it as a secret bound to its registry: printf '%s' "$PASSWORD" | npx pinned registry-password${key.includes("Pull") ? " --pull" : ""} --release ${release}.`,
            );
        }
    }
    const str = (key: string) => (typeof config[key] === "string" ? (config[key] as string) : undefined);
    const plain = Object.fromEntries(
        Object.entries(config)
            .filter(([, v]) => typeof v === "string")
            .map(([k, v]) => [k, { value: v as string }]),
    );
    return { release, file, commit: str("pinned:commit"), imageDigest: str("pinned:imageDigest"), config: plain };
}

/**
 * Records the digest a release shipped in its stack file, written whole
 * (writeFileWhole): a full disk or a crash leaves the old content or the
 * new, never a truncated file (the engine's own `config set` rewrites the
 * file in place).
 */
export function recordImageDigest(release: string, digest: string, projectDir: string): void {
    const file = stackFilePath(release, projectDir);
    const doc = (loadYaml(file) ?? {}) as { config?: Record<string, unknown> };
    doc.config = { ...doc.config, "pinned:imageDigest": digest };
    writeFileWhole(file, yaml.dump(doc, { lineWidth: -1 }), fs.statSync(file).mode & 0o777);
}

/** Parses a YAML file; a syntax error names the file, the line and the column. */
export function loadYaml(file: string): unknown {
    try {
        return yaml.load(fs.readFileSync(file, "utf8")) ?? null;
    } catch (e) {
        if (e instanceof yaml.YAMLException) {
            const line = e.mark ? `:${e.mark.line + 1}:${e.mark.column + 1}` : "";
            throw new ConfigError(
                `${path.relative(process.cwd(), file)}${line}: not valid YAML: ${e.reason}.`,
                "fix the file (git diff shows what changed), then run the command again.",
            );
        }
        throw e;
    }
}

/** Every release with a stack file, oldest first (release names sort by date). */
export function listReleaseRecords(projectDir: string): ReleaseRecord[] {
    const dir = path.join(projectDir, "stacks");
    if (!fs.existsSync(dir)) {
        return [];
    }
    // Only files named after a release: Pulumi.0000.yaml or a scratch
    // stack's file is not a release.
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((r): r is string => r !== undefined && isReleaseName(r))
        .sort()
        .map((r) => readReleaseRecord(r, projectDir))
        .filter((r): r is ReleaseRecord => r !== undefined);
}

/** The `pinned:*` values of Pulumi.yaml's project-wide config. */
export function projectConfig(projectDir: string): Record<string, string> {
    const doc = (loadYaml(path.join(projectDir, "Pulumi.yaml")) ?? {}) as {
        config?: Record<string, { value?: unknown; default?: unknown } | string>;
    };
    const values: Record<string, string> = {};
    for (const [key, v] of Object.entries(doc.config ?? {})) {
        const value =
            typeof v === "string" ? v : typeof v?.value === "string" ? v.value : typeof v?.default === "string" ? v.default : undefined;
        if (key.startsWith("pinned:") && value !== undefined) {
            values[key] = value;
        }
    }
    return values;
}

/**
 * A release's settings as the program will resolve them: Pulumi.yaml's
 * project config, its stack file over it (`stackConfig` when the engine
 * already read it, secrets decrypted), through the one resolver.
 */
export function releaseSettings(
    ctx: Pick<Context, "projectDir" | "env">,
    record: ReleaseRecord | undefined,
    stackConfig?: Record<string, { value: string }>,
): Settings {
    const stack = Object.fromEntries(Object.entries(stackConfig ?? record?.config ?? {}).map(([k, v]) => [k, v.value]));
    return resolveSettings({ ...projectConfig(ctx.projectDir), ...stack }, ctx.env, ctx.projectDir);
}

/**
 * Where a release's Deployment is: its stack file over Pulumi.yaml's
 * project config, else the defaults. Without a release, where the releases
 * go: the newest release's stack file (a release may move the app with
 * pinned:namespace or pinned:name, and its successors inherit that file's
 * settings only if they copy them), else Pulumi.yaml.
 */
export function deploymentLocation(record: ReleaseRecord | undefined, projectDir: string): { namespace: string; name: string } {
    const config = (record ?? newestRelease(projectDir))?.config;
    const stack = Object.fromEntries(Object.entries(config ?? {}).map(([k, v]) => [k, v.value]));
    const settings = resolveSettings({ ...projectConfig(projectDir), ...stack }, {}, projectDir);
    return { namespace: settings.namespace, name: settings.appName };
}

/** The newest release with a stack file here, by name (names sort by date). */
export function newestRelease(projectDir: string): ReleaseRecord | undefined {
    return listReleaseRecords(projectDir).pop();
}

/** The project's name, from Pulumi.yaml (the engine files stacks under it). */
export function projectName(projectDir: string): string {
    const doc = loadYaml(path.join(projectDir, "Pulumi.yaml")) as { name?: unknown } | null;
    if (typeof doc?.name !== "string" || doc.name === "") {
        throw new ConfigError("Pulumi.yaml has no name.", "restore it from git (git checkout -- Pulumi.yaml).");
    }
    return doc.name;
}
