/** A kubeconfig for a server at `server`, with `user` as its user entry. */
export function kubeconfig(server: string, user: Record<string, unknown> = { token: "t" }): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: " + server + "}}]",
        "users: [{name: alice, user: " + JSON.stringify(user) + "}]",
        "contexts: [{name: x, context: {cluster: c, user: alice}}]",
        "current-context: x",
        "",
    ].join("\n");
}
