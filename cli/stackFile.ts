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
    return { release, file, commit: str("pinned:commit"), imageDigest: str("pinned:imageDigest") };
}
