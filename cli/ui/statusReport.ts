import type { LiveStatus } from "../../pipeline/workflow/status";
import { paint } from "./output";

/** `pinned status`'s report of a live Deployment: in sync, or each drift and its fix. */
export function formatStatus(status: LiveStatus, out: NodeJS.WriteStream): string {
    const { namespace, name, live, record, signature, template, imageDrifts } = status;
    const rollout =
        live.rollout.kind === "complete"
            ? ""
            : `  ${paint(out, live.rollout.kind === "failed" ? "red" : "yellow", `rollout ${live.rollout.kind}:`)} ${live.rollout.detail}\n`;
    const signed = `  ${paint(out, signature.signed ? "green" : "yellow", signature.said)}\n`;
    if (status.inSync) {
        return `${paint(out, "green", "in sync:")} ${namespace}/${name} runs release ${live.release} (${live.image})\n${signed}${rollout}`;
    }
    const release = live.release ?? "<release>";
    const expected = record?.imageDigest ?? "(no recorded digest)";
    const lines =
        typeof template === "string"
            ? [`pod template not compared: ${template}`]
            : template
                  // The image line above says it already.
                  .filter((d) => !(imageDrifts && /^containers\[[^\]]+\]\.image$/.test(d.path)))
                  .map((d) => `${d.path}: ${d.says}`);
    return (
        (imageDrifts
            ? `${paint(out, "red", "drift:")} ${namespace}/${name} runs ${live.image}\n` +
              `  release ${live.release ?? "(unknown)"} recorded ${expected}\n`
            : `${paint(out, "red", "drift:")} ${namespace}/${name} differs from release ${release} (${live.image})\n`) +
        lines.map((l) => `  ${l}\n`).join("") +
        signed +
        rollout +
        (imageDrifts
            ? `  fix: pinned up --release ${release} redeploys the recorded digest and restores what the release declares\n`
            : `  fix: pinned up --release ${release} restores what the release declares (and removes what was added by hand); ` +
              `or declare the change in the program and release it\n`)
    );
}
