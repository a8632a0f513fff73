import { Env } from "./env";
import { spawnSync } from "child_process";
import { CHILD_VARS, childEnv } from "./childEnv";

/** buildah, as this machine has it: what a reproducible build runs, and what its images record. */
export interface Builder {
    readonly name: "buildah";
    readonly version: string;
    /** `buildah 1.28.2`: the `pinned.builder` label. */
    readonly label: string;
}

/** The buildah on `env`'s PATH (one `buildah --version`, about 20 ms), or undefined when there is none. */
export function localBuilder(env: Env): Builder | undefined {
    const r = spawnSync("buildah", ["--version"], { encoding: "utf8", env: childEnv(CHILD_VARS.buildah, {}, env), timeout: 30_000 });
    const version = r.status === 0 ? /buildah version (\S+)/.exec(r.stdout)?.[1] : undefined;
    return version ? { name: "buildah", version, label: `buildah ${version}` } : undefined;
}
