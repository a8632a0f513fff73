import { Progress } from "../../cli/ui/progress";

/** A stream that keeps what is written, and a clock the test moves. */
export function progressHarness(interactive: boolean) {
    let text = "";
    let now = 0;
    const stream = { write: (t: string) => (text += t), isTTY: interactive };
    const progress = new Progress(stream, { interactive, heartbeatMs: 30_000, now: () => now });
    return { progress, text: () => text, advance: (ms: number) => (now += ms) };
}
