import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir } from "../../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../../pipeline/project/projectDir";

/** The embedded API server, through kubectl; fails (never skips) when it is down. */
export class Cluster {
    readonly kubeconfig = path.join(cacheDir(process.env), "kubeconfig");

    static require(): Cluster {
        const script = path.join(PROJECT_DIR, "scripts", "env", "cluster.sh");
        const status = fs.existsSync(script) ? spawnSync("bash", [script, "status"], { encoding: "utf8" }) : undefined;
        if (!status || status.status !== 0) {
            throw new Error(`the local cluster is not running (${status?.stdout ?? "no scripts/env/cluster.sh"}); run: npx pinned env up`);
        }
        return new Cluster();
    }

    /**
     * The real node (scripts/env/node.sh) must be Ready: a claim about pods
     * that run is proven on pods that run. Fails, never skips, with the
     * reason the node part gives (for example why a kubelet cannot run here).
     */
    requireRealNode(): void {
        const script = path.join(PROJECT_DIR, "scripts", "env", "node.sh");
        const status = spawnSync("bash", [script, "status"], { encoding: "utf8" });
        if (status.status !== 0) {
            throw new Error(`no real node to run pods on: ${status.stdout.trim()}${status.stderr.trim()}`);
        }
    }

    /** Addresses of the Ready pods of a Deployment (on the node's bridge, reachable from this machine). */
    readyPodIPs(namespace: string, name = "pinned-app"): string[] {
        const pods = JSON.parse(this.kubectl(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${name}`, "-o", "json"])) as {
            items: Array<{
                metadata: { deletionTimestamp?: string };
                status: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
            }>;
        };
        return pods.items
            .filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
            .map((p) => p.status.podIP)
            .filter((ip): ip is string => Boolean(ip));
    }

    kubectl(args: string[]): string {
        // stderr is captured (a refusal is in the thrown error), not printed into the test report.
        return execFileSync("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    }

    /** The image the live Deployment's first container runs. */
    liveImage(namespace: string, name = "pinned-app"): string {
        return this.kubectl(["get", "deployment", name, "-n", namespace, "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
    }

    /** The release the live Deployment is annotated with, or undefined when there is none. */
    liveRelease(namespace: string, name = "pinned-app"): string | undefined {
        const r = spawnSync(
            "kubectl",
            [
                "--kubeconfig",
                this.kubeconfig,
                "get",
                "deployment",
                name,
                "-n",
                namespace,
                "-o",
                "jsonpath={.metadata.annotations.pinned/release}",
            ],
            { encoding: "utf8" },
        );
        return r.status === 0 ? r.stdout : undefined;
    }

    /** The cluster Lease pinned takes for a Deployment: its holder token and the host annotation, or undefined when none is held. */
    lease(namespace: string, name = "pinned-app"): { host?: string; holder?: string } | undefined {
        const r = spawnSync("kubectl", ["--kubeconfig", this.kubeconfig, "get", "lease", `pinned-${name}`, "-n", namespace, "-o", "json"], {
            encoding: "utf8",
        });
        if (r.status !== 0) {
            return undefined;
        }
        const l = JSON.parse(r.stdout) as { metadata: { annotations?: Record<string, string> }; spec: { holderIdentity?: string } };
        return { host: l.metadata.annotations?.["pinned/lease-host"], holder: l.spec.holderIdentity };
    }

    /** True when the Deployment exists and its rollout finished (Available). */
    rolledOut(namespace: string, name = "pinned-app"): boolean {
        const r = spawnSync(
            "kubectl",
            ["--kubeconfig", this.kubeconfig, "rollout", "status", `deployment/${name}`, "-n", namespace, "--timeout=120s"],
            { encoding: "utf8" },
        );
        return r.status === 0;
    }
}
