import { main } from "../../cli/main";

/** Runs the CLI in-process, capturing what it writes. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const write = (sink: "out" | "err") => (chunk: string | Uint8Array) => {
        if (sink === "out") {
            out += String(chunk);
        } else {
            err += String(chunk);
        }
        return true;
    };
    const saved = [process.stdout.write, process.stderr.write];
    process.stdout.write = write("out") as typeof process.stdout.write;
    process.stderr.write = write("err") as typeof process.stderr.write;
    try {
        return { code: await main(argv), out, err };
    } finally {
        [process.stdout.write, process.stderr.write] = saved;
    }
}
