import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";
import { requireLocalEnv } from "../e2e/support/localEnv";
import { ReleaseProject } from "../e2e/support/releaseProject";
import { machineLine, measure, medianRun, Row } from "./rows";

/** Rounds per step; the table keeps each step's median. */
const ROUNDS = 5;
const A = "2026-11-27-001";
const B = "2026-12-04-001";

/** One tree under comparison: its copy of the project and its own namespace. */
interface Side {
    readonly name: string;
    readonly project: ReleaseProject;
    readonly namespace: string;
}

/**
 * `npm run benchmark -- compare REV`: the everyday commands of an earlier
 * commit against this tree, on the same machine at the same time. Each
 * tree gets its own copy of the project (namespace, repository, state)
 * with the same two releases deployed. Then every step runs once per tree
 * in each round, the first tree alternating between rounds, so a busy
 * phase of the machine falls on both alike; the table keeps the medians.
 */
export async function compareMain(rev: string | undefined): Promise<void> {
    if (!rev) {
        throw new Error("usage: npm run benchmark -- compare REV (a commit of this repository, e.g. HEAD~5)");
    }
    const commit = execFileSync("git", ["rev-parse", "--verify", `${rev}^{commit}`], { cwd: PROJECT_DIR })
        .toString()
        .trim();
    const lock = spawnSync("git", ["show", `${commit}:package-lock.json`], { cwd: PROJECT_DIR, encoding: "utf8" }).stdout;
    if (lock !== fs.readFileSync(path.join(PROJECT_DIR, "package-lock.json"), "utf8")) {
        throw new Error(
            `${rev} has other dependencies (its package-lock.json differs): both copies run with this tree's node_modules, ` +
                "so its figures would not be its own. Compare with a commit that has the same package-lock.json.",
        );
    }
    const earlier = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-bench-rev-"));
    execFileSync("bash", ["-c", `git archive ${commit} | tar -x -C ${earlier}`], { cwd: PROJECT_DIR });
    const env = requireLocalEnv();
    const kubeconfig = path.join(cacheDir(process.env), "kubeconfig");
    const sides: Side[] = [];
    try {
        for (const [name, source] of [
            [commit.slice(0, 7), earlier],
            ["this tree", PROJECT_DIR],
        ]) {
            const namespace = `pinned-bench-${process.pid}-${sides.length}`;
            execFileSync("kubectl", ["--kubeconfig", kubeconfig, "create", "namespace", namespace]);
            const project = await ReleaseProject.create(env, `pinned/bench-${process.pid}-${sides.length}`, { namespace, source });
            sides.push({ name, project, namespace });
            process.stderr.write(`${name}: deploying ${A} and ${B}\n`);
            for (const [release, files] of [
                [A, {}],
                [B, { "app/server.py": `${fs.readFileSync(path.join(project.dir, "app", "server.py"), "utf8")}\n# ${B}\n` }],
            ] as const) {
                await project.release(release, files);
                const r = project.up(release);
                if (r.status !== 0) {
                    throw new Error(`${name}: pinned up --release ${release} failed:\n${r.output}`);
                }
            }
        }
        const samples = sides.map(() => [] as Row[]);
        let live = B;
        for (let round = 0; round < ROUNDS; round++) {
            const other = live === A ? B : A;
            const steps: Array<[string, string[]]> = [
                ["--help", ["--help"]],
                ["lint app/Dockerfile", ["lint", "app/Dockerfile"]],
                ["tag develop", ["tag", "develop"]],
                ["releases", ["releases"]],
                ["status", ["status"]],
                ["up: the live release again (no-op)", ["up", "--release", live]],
                ["preview: the live release (engine preview)", ["preview", "--release", live]],
                ["rollback --to the other release", ["rollback", "--to", other]],
            ];
            const order = round % 2 === 0 ? [0, 1] : [1, 0];
            for (const [step, args] of steps) {
                for (const i of order) {
                    const { project } = sides[i];
                    measure(samples[i], step, project.dir, [path.join(project.dir, "bin", "pinned"), ...args], project.commandEnv());
                }
            }
            live = other;
        }
        process.stdout.write(`${comparison(sides, samples)}\n${machineLine()}\n`);
    } finally {
        for (const side of sides) {
            side.project.remove();
            spawnSync("kubectl", ["--kubeconfig", kubeconfig, "delete", "namespace", side.namespace, "--wait=false"]);
        }
        fs.rmSync(earlier, { recursive: true, force: true });
    }
}

/** STEP, each tree's median seconds and exit codes, and the change from the first tree to the second. */
function comparison(sides: Side[], samples: Row[][]): string {
    const steps = [...new Set(samples[0].map((r) => r.step))];
    const cells = [
        ["STEP", ...sides.map((s) => `${s.name} s`), "CHANGE", "EXIT"],
        ...steps.map((step) => {
            const runs = samples.map((rows) => rows.filter((r) => r.step === step));
            const [before, after] = runs.map((r) => medianRun(r).seconds);
            const exits = [...new Set(runs.flat().map((r) => r.exit))].join(",");
            return [step, before.toFixed(2), after.toFixed(2), `${(((after - before) / before) * 100).toFixed(0)}%`, exits];
        }),
    ];
    const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
    const lines = cells.map((c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  "));
    return [...lines, `medians of ${ROUNDS} rounds; CHANGE is the second tree's time over the first's, minus one`].join("\n");
}
