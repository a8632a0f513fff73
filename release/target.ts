import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "./localEnvironment";
import { PROJECT_DIR } from "./project";

/** Where a release goes: a cluster, or manifests on disk when there is none. */
export type DeployTarget = { kind: "cluster"; kubeconfig?: string; source: string } | { kind: "render"; dir: string; source: string };

/**
 * Chooses the target without writing it into the stack file (a path on
 * this machine does not belong in the committed descriptor): the stack's
 * own config wins, then environment variables, then the embedded cluster, and
 * with no cluster at all the manifests are rendered.
 */
export function chooseTarget(release: string, stackConfig: Record<string, { value: string }>): DeployTarget {
    if (stackConfig["pinned:renderYamlTo"]) {
        return { kind: "render", dir: stackConfig["pinned:renderYamlTo"].value, source: "pinned:renderYamlTo" };
    }
    if (stackConfig["pinned:kubeconfig"]) {
        return { kind: "cluster", source: "pinned:kubeconfig" };
    }
    if (process.env.PINNED_RENDER_YAML_TO) {
        return { kind: "render", dir: process.env.PINNED_RENDER_YAML_TO, source: "PINNED_RENDER_YAML_TO" };
    }
    if (process.env.KUBECONFIG) {
        return { kind: "cluster", kubeconfig: process.env.KUBECONFIG, source: "KUBECONFIG" };
    }
    const local = path.join(cacheDir(), "kubeconfig");
    if (fs.existsSync(local) && localClusterHealthy()) {
        return { kind: "cluster", kubeconfig: local, source: "the embedded cluster (pinned env up)" };
    }
    return { kind: "render", dir: path.join(".pinned", "rendered", release), source: "no cluster configured" };
}

/** Asked once per command: the check takes about 0.3 s, and a command chooses its target more than once. */
let healthy: boolean | undefined;

function localClusterHealthy(): boolean {
    const script = path.join(PROJECT_DIR, "scripts", "env", "cluster.sh");
    healthy ??= fs.existsSync(script) && spawnSync("bash", [script, "status"], { stdio: "ignore" }).status === 0;
    return healthy;
}

/** The environment variables the engine needs to reach the chosen target. */
export function targetEnv(target: DeployTarget): Record<string, string> {
    if (target.kind === "render") {
        return { PINNED_RENDER_YAML_TO: target.dir };
    }
    return target.kubeconfig ? { KUBECONFIG: target.kubeconfig } : {};
}
