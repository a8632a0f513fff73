import * as fs from "fs";
import * as os from "os";
import { spawnSync } from "child_process";
import * as path from "path";

/** One timed step. */
export interface Row {
    step: string;
    seconds: number;
    maxRssMiB?: number;
    exit: number;
    /** The step this one is compared with (its floor), by name. */
    floor?: string;
}

const TIME = "/usr/bin/time";

/** Runs `command` in `cwd`, times it (and its peak memory, with /usr/bin/time), adds and returns its row. */
export function measure(rows: Row[], step: string, cwd: string, command: string[], env: Record<string, string>, floor?: string): Row {
    const stats = path.join(os.tmpdir(), `pinned-bench-${process.pid}.time`);
    const timed = fs.existsSync(TIME) ? [TIME, "-f", "%e %M", "-o", stats, ...command] : command;
    const started = process.hrtime.bigint();
    const r = spawnSync(timed[0], timed.slice(1), { cwd, env, encoding: "utf8", timeout: 30 * 60 * 1000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [, rssKiB] = fs.existsSync(stats) ? fs.readFileSync(stats, "utf8").trim().split("\n").pop()!.split(" ") : [];
    fs.rmSync(stats, { force: true });
    const row = { step, seconds, maxRssMiB: rssKiB ? Number(rssKiB) / 1024 : undefined, exit: r.status ?? -1, floor };
    rows.push(row);
    process.stderr.write(`${step}: ${seconds.toFixed(1)}s (exit ${row.exit})\n`);
    return row;
}

/** Prints the table and the machine it was measured on, with the time. */
export function printTable(rows: Row[]): void {
    process.stdout.write(`${table(rows)}\n`);
    process.stdout.write(`${machineLine()}\n`);
}

export function table(rows: Row[]): string {
    const ratio = (r: Row) => {
        const floor = r.floor ? rows.find((f) => f.step === r.floor) : undefined;
        return floor ? `${(r.seconds / floor.seconds).toFixed(2)}× ${r.floor}` : "";
    };
    const cells = [
        ["STEP", "SECONDS", "MAX RSS MiB", "EXIT", "RATIO TO FLOOR"],
        ...rows.map((r) => [r.step, r.seconds.toFixed(1), r.maxRssMiB?.toFixed(0) ?? "-", String(r.exit), ratio(r)]),
    ];
    const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
    return cells
        .map((c) =>
            c
                .map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i])))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

/** The run of median time among runs of one step. */
export function medianRun(runs: Row[]): Row {
    return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
}

/** The median run of each step, in the order the steps first ran. */
export function medians(samples: Row[]): Row[] {
    return [...new Set(samples.map((r) => r.step))].map((step) => medianRun(samples.filter((r) => r.step === step)));
}

/** The machine a table was measured on, with the time. */
export function machineLine(): string {
    return `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "?"}; ${new Date().toISOString()}`;
}
