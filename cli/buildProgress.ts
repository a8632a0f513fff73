import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Progress, Step } from "./progress";

/** One line the image build writes (components/imageBuild.ts). */
interface PhaseEvent {
    readonly phase: "reuse" | "build" | "push";
    readonly state: "start" | "done" | "failed";
    readonly image: string;
    readonly detail?: string;
}

const LABELS: Record<PhaseEvent["phase"], (image: string) => string> = {
    reuse: (image) => `looking for an identical build of ${image}`,
    build: (image) => `building ${image}`,
    push: (image) => `pushing ${image}`,
};

/**
 * Shows the image build's phases (reuse check, build, push) as steps. The
 * build runs in another process (the engine's provider host), so it reports
 * through a file named by PINNED_PROGRESS_FILE, which this reads as it grows.
 */
export class BuildProgress {
    readonly file: string;
    private offset = 0;
    private partial = "";
    private readonly steps = new Map<string, Step>();
    private readonly timer: NodeJS.Timeout;

    constructor(private readonly progress: Progress, pollMs = 250) {
        this.file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pinned-progress-")), "build.jsonl");
        fs.writeFileSync(this.file, "");
        // Published while open: the build, in this process or the engine's
        // provider process (which inherits the environment), finds it here.
        Object.assign(process.env, this.env());
        this.timer = setInterval(() => this.poll(), pollMs);
        this.timer.unref();
    }

    /** What the build process needs in its environment (set in process.env while open). */
    env(): Record<string, string> {
        return { PINNED_PROGRESS_FILE: this.file };
    }

    /** Reads what was appended since the last poll and turns it into steps. */
    poll(): void {
        let chunk: Buffer;
        try {
            const fd = fs.openSync(this.file, "r");
            try {
                const size = fs.fstatSync(fd).size;
                chunk = Buffer.alloc(Math.max(0, size - this.offset));
                fs.readSync(fd, chunk, 0, chunk.length, this.offset);
                this.offset = size;
            } finally {
                fs.closeSync(fd);
            }
        } catch {
            return; // closed meanwhile
        }
        const lines = (this.partial + chunk.toString("utf8")).split("\n");
        this.partial = lines.pop() ?? "";
        for (const line of lines.filter((l) => l.trim() !== "")) {
            this.apply(JSON.parse(line) as PhaseEvent);
        }
    }

    private apply(e: PhaseEvent): void {
        const key = `${e.phase} ${e.image}`;
        if (e.state === "start") {
            this.steps.set(key, this.progress.start(LABELS[e.phase](e.image)));
            return;
        }
        const step = this.steps.get(key);
        this.steps.delete(key);
        if (e.state === "done") {
            step?.done(e.detail);
        } else {
            step?.fail(e.detail);
        }
    }

    /** A last read, then the file and its variable go. */
    close(): void {
        clearInterval(this.timer);
        this.poll();
        delete process.env.PINNED_PROGRESS_FILE;
        fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    }
}
