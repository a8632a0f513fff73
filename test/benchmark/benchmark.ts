/**
 * Times the release workflow on the embedded environment and prints a
 * table: wall seconds, peak memory of the command's process tree's largest
 * process (from /usr/bin/time, when installed) and exit code, per step.
 *
 *   npm run benchmark
 *
 * It works in a temporary copy of the project with its own namespace and
 * repository, like the end-to-end tests, and removes them afterwards.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../release/localEnvironment";
import { PROJECT_DIR } from "../../release/project";
import { requireLocalEnv } from "../e2e/support/localEnv";
import { ReleaseProject } from "../e2e/support/releaseProject";

interface Row {
    step: string;
    seconds: number;
    maxRssMiB?: number;
    exit: number;
}

const TIME = "/usr/bin/time";
const NAMESPACE = `pinned-bench-${process.pid}`;
const KUBECONFIG = path.join(cacheDir(), "kubeconfig");

function measure(rows: Row[], step: string, cwd: string, command: string[], env: Record<string, string>): Row {
    const stats = path.join(os.tmpdir(), `pinned-bench-${process.pid}.time`);
    const timed = fs.existsSync(TIME) ? [TIME, "-f", "%e %M", "-o", stats, ...command] : command;
    const started = process.hrtime.bigint();
    const r = spawnSync(timed[0], timed.slice(1), { cwd, env, encoding: "utf8", timeout: 30 * 60 * 1000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [, rssKiB] = fs.existsSync(stats) ? fs.readFileSync(stats, "utf8").trim().split("\n").pop()!.split(" ") : [];
    fs.rmSync(stats, { force: true });
    const row = { step, seconds, maxRssMiB: rssKiB ? Number(rssKiB) / 1024 : undefined, exit: r.status ?? -1 };
    rows.push(row);
    process.stderr.write(`${step}: ${seconds.toFixed(1)}s (exit ${row.exit})\n`);
    return row;
}

function table(rows: Row[]): string {
    const cells = [
        ["STEP", "SECONDS", "MAX RSS MiB", "EXIT"],
        ...rows.map((r) => [r.step, r.seconds.toFixed(1), r.maxRssMiB?.toFixed(0) ?? "-", String(r.exit)]),
    ];
    const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
    return cells.map((c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ")).join("\n");
}

async function main(): Promise<void> {
    const rows: Row[] = [];
    const pinned = path.join(PROJECT_DIR, "bin", "pinned");
    measure(rows, "pinned env up (warm)", PROJECT_DIR, [pinned, "env", "up"], { ...(process.env as Record<string, string>), CI: "true" });

    const env = requireLocalEnv();
    execFileSync("kubectl", ["--kubeconfig", KUBECONFIG, "create", "namespace", NAMESPACE]);
    const project = await ReleaseProject.create(env, `pinned/bench-${process.pid}`, { namespace: NAMESPACE });
    const run = (step: string, args: string[], extra: Record<string, string> = {}) =>
        measure(rows, step, project.dir, [path.join(project.dir, "bin", "pinned"), ...args], project.commandEnv(extra));
    try {
        const server = fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8");
        // Each run's app differs, so the first build is a real build, not a cache hit.
        await project.release("2026-11-27-001", { "app/server.py": server.replace('"pinned-example"', `"pinned-bench-${Date.now()}"`) });
        run("up: first release (build, push, deploy)", ["up"]);
        run("up: same release again (no-op)", ["up"]);
        await project.commit("change", { "app/server.py": server.replace('"pinned-example"', `"pinned-bench-b-${Date.now()}"`) });
        run("preview --markdown: unreleased change (build, push)", ["preview", "--markdown"]);
        await project.git.addTag("2026-12-04-001");
        run("preview: release at HEAD (build, push)", ["preview"]);
        run("up: second release (reuses the preview's build)", ["up"]);
        run("preview: live release, nothing changed (engine preview)", ["preview"]);
        run("releases", ["releases"]);
        run("rollback (refresh, patch, rollout check)", ["rollback"]);
        run("status", ["status"]);
        // The same stacks through the pulumi CLI itself, as a user drives them.
        const plain = (step: string, script: string) =>
            measure(rows, step, project.dir, ["bash", "-c", `eval "$(./bin/pinned env shell)" && ${script}`], project.commandEnv());
        plain("pulumi preview --stack (B over live A)", "pulumi preview --stack 2026-12-04-001 > /dev/null");
        plain("pulumi up --stack (back to B, no build)", "pulumi up --stack 2026-12-04-001 --yes --skip-preview > /dev/null");
        plain("pulumi preview --stack (no change)", "pulumi preview --stack 2026-12-04-001 > /dev/null");
        // The floor a rollback is compared with: kubectl alone, on the same
        // Deployment (B is live, its previous revision is A: a real rollout).
        const kubectl = (args: string) => `kubectl --kubeconfig ${KUBECONFIG} -n ${NAMESPACE} ${args}`;
        plain(
            "kubectl rollout undo + rollout status (floor)",
            `${kubectl("rollout undo deployment/pinned-app")} > /dev/null && ${kubectl("rollout status deployment/pinned-app --timeout=300s")} > /dev/null`,
        );
        // kubectl changed the pod template behind the stacks: B's stack puts B back (not measured).
        project.pinned(["up", "--release", "2026-12-04-001"]);
        // A release whose app exits at start, with a 20 s progress deadline:
        // the time until it is caught and the live release is put back.
        fs.writeFileSync(
            path.join(project.dir, "stacks", "Pulumi.2026-12-05-001.yaml"),
            'config:\n  pinned:progressDeadlineSeconds: "20"\n',
        );
        await project.release("2026-12-05-001", {
            "app/server.py": server.replace(
                'if __name__ == "__main__":',
                'if __name__ == "__main__":\n    raise SystemExit("exit at start")',
            ),
        });
        run("up: app crashes at start (deadline 20 s; caught, B put back)", ["up"]);
        await project.git.checkout(["2026-12-04-001", "--", "app/server.py"]);
        await project.commit("the app again");
        const dockerfile = fs.readFileSync(path.join(project.dir, "app", "Dockerfile"), "utf8");
        await project.release("2026-12-11-001", { "app/Dockerfile": dockerfile.replace(/^FROM \S+$/m, "FROM python") });
        run("up refused: recipe breaks the policy", ["up"]);
    } finally {
        project.remove();
        spawnSync("kubectl", ["--kubeconfig", KUBECONFIG, "delete", "namespace", NAMESPACE, "--wait=false"]);
    }
    process.stdout.write(`${table(rows)}\n`);
    process.stdout.write(
        `\n${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "?"}; ${new Date().toISOString()}\n`,
    );
}

main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
