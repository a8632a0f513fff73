import { spawnSync } from "child_process";
import { PinnedError } from "../core/errors";
import { ANNOTATIONS } from "../components/pinnedDeployment";
import { deploymentLocation } from "./stackFile";
import { chooseTarget, DeployTarget } from "./target";

/** What the cluster says runs. */
export interface LiveDeployment {
    readonly image: string;
    /** The release that last applied it (its `pinned/release` annotation). */
    readonly release?: string;
}

/** Reads the live Deployment with kubectl; undefined when it does not exist. */
export function readLiveDeployment(kubeconfig: string | undefined, namespace: string, name: string): LiveDeployment | undefined {
    const args = [...(kubeconfig ? ["--kubeconfig", kubeconfig] : []), "get", "deployment", name, "-n", namespace, "-o", "json"];
    const r = spawnSync("kubectl", args, { encoding: "utf8" });
    if (r.error) {
        throw new PinnedError(
            "kubectl is not on PATH, so the live Deployment cannot be read.",
            "install kubectl (apt-get install kubectl) and try again.",
        );
    }
    if (r.status !== 0) {
        if (/NotFound/.test(r.stderr)) {
            return undefined;
        }
        throw new PinnedError(
            `kubectl could not read deployment ${namespace}/${name}: ${r.stderr.trim()}`,
            "check the cluster (pinned env status) and the kubeconfig.",
        );
    }
    const d = JSON.parse(r.stdout) as {
        metadata: { annotations?: Record<string, string> };
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    return { image: d.spec.template.spec.containers[0].image, release: d.metadata.annotations?.[ANNOTATIONS.release] };
}

/** The live Deployment where `pinned up` would deploy, and where it lives. */
export interface LiveView {
    readonly target: DeployTarget;
    readonly namespace: string;
    readonly name: string;
    /** Undefined with no cluster, or when nothing is deployed yet. */
    readonly deployment?: LiveDeployment;
}

/** Reads the live Deployment from the target `pinned up` would choose for a new stack. */
export function readLive(): LiveView {
    const target = chooseTarget("live", {});
    const { namespace, name } = deploymentLocation();
    const deployment = target.kind === "cluster" ? readLiveDeployment(target.kubeconfig, namespace, name) : undefined;
    return { target, namespace, name, deployment };
}
