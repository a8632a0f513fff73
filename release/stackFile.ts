import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "./environment";

/** What a release's stack file records: the deployment descriptor kept in git. */
export interface ReleaseRecord {
    readonly release: string;
    readonly file: string;
    readonly commit?: string;
    readonly imageDigest?: string;
    /** Every plain (non-secret) value, in the shape the Automation API reads config. */
    readonly config: Record<string, { value: string }>;
}

export function stackFilePath(release: string, projectDir = PROJECT_DIR): string {
    return path.join(projectDir, "stacks", `Pulumi.${release}.yaml`);
}

/** Reads stacks/Pulumi.<release>.yaml, or undefined when the release has no stack yet. */
export function readReleaseRecord(release: string, projectDir = PROJECT_DIR): ReleaseRecord | undefined {
    const file = stackFilePath(release, projectDir);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config = doc.config ?? {};
    const str = (key: string) => (typeof config[key] === "string" ? (config[key] as string) : undefined);
    const plain = Object.fromEntries(
        Object.entries(config)
            .filter(([, v]) => typeof v === "string")
            .map(([k, v]) => [k, { value: v as string }]),
    );
    return { release, file, commit: str("pinned:commit"), imageDigest: str("pinned:imageDigest"), config: plain };
}

/** Every release with a stack file, oldest first (release names sort by date). */
export function listReleaseRecords(projectDir = PROJECT_DIR): ReleaseRecord[] {
    const dir = path.join(projectDir, "stacks");
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((r): r is string => r !== undefined)
        .sort()
        .map((r) => readReleaseRecord(r, projectDir))
        .filter((r): r is ReleaseRecord => r !== undefined);
}

/** A `pinned:*` value from Pulumi.yaml's project-wide config, if set there. */
export function projectConfigValue(key: string, projectDir = PROJECT_DIR): string | undefined {
    const doc = (yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) ?? {}) as {
        config?: Record<string, { value?: unknown; default?: unknown } | string>;
    };
    const v = doc.config?.[key];
    return typeof v === "string" ? v : typeof v?.value === "string" ? v.value : typeof v?.default === "string" ? v.default : undefined;
}

/** A release's setting as the program reads it: its stack file first, then Pulumi.yaml. */
export function releaseSetting(record: ReleaseRecord | undefined, key: string, projectDir = PROJECT_DIR): string | undefined {
    return record?.config[key]?.value ?? projectConfigValue(key, projectDir);
}

/** Where the live Deployment is: project config in Pulumi.yaml, else the defaults. */
export function deploymentLocation(projectDir = PROJECT_DIR): { namespace: string; name: string } {
    return {
        namespace: projectConfigValue("pinned:namespace", projectDir) ?? "default",
        name: projectConfigValue("pinned:name", projectDir) ?? "pinned-app",
    };
}
