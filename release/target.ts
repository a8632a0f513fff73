import { spawn, spawnSync } from "child_process";
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
/** The check startLocalClusterCheck started, settled once it exited (its answer is then in `healthy`). */
let early: Promise<void> | undefined;

const clusterScript = () => path.join(PROJECT_DIR, "scripts", "env", "cluster.sh");

/**
 * Starts the embedded cluster's health check in the background, for a
 * command that will choose a target: it then runs while the command
 * loads its modules (requiring the Automation API alone takes 0.75–1.0 s),
 * instead of after. Only where chooseTarget would ask it: no KUBECONFIG,
 * no PINNED_RENDER_YAML_TO, and an embedded cluster's kubeconfig.
 */
export function startLocalClusterCheck(): void {
    if (healthy !== undefined || early || process.env.KUBECONFIG || process.env.PINNED_RENDER_YAML_TO) {
        return;
    }
    if (!fs.existsSync(path.join(cacheDir(), "kubeconfig")) || !fs.existsSync(clusterScript())) {
        return;
    }
    const child = spawn("bash", [clusterScript(), "status"], { stdio: "ignore" });
    early = new Promise<void>((resolve) => {
        // Not started: no answer, so chooseTarget asks again when it needs one.
        child.on("error", () => resolve());
        child.on("exit", (code) => {
            healthy ??= code === 0;
            resolve();
        });
    });
}

/**
 * Resolves once the check startLocalClusterCheck started has finished (at
 * once when none runs). A command awaits it before it starts: its exit is
 * only seen on a turn of the event loop, and a command that chose its
 * target without one (rollback reads the live Deployment first thing)
 * would run the check a second time.
 */
export function localClusterCheckDone(): Promise<void> {
    return early ?? Promise.resolve();
}

function localClusterHealthy(): boolean {
    // The early check's answer if it is in; else ask now.
    healthy ??= fs.existsSync(clusterScript()) && spawnSync("bash", [clusterScript(), "status"], { stdio: "ignore" }).status === 0;
    return healthy;
}

/** The environment variables the engine needs to reach the chosen target. */
export function targetEnv(target: DeployTarget): Record<string, string> {
    if (target.kind === "render") {
        return { PINNED_RENDER_YAML_TO: target.dir };
    }
    return target.kubeconfig ? { KUBECONFIG: target.kubeconfig } : {};
}
