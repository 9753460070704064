import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { InstanceMetrics } from "../../server/services/metrics.js";
import { openStore } from "../../storage/open.js";

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function exprs(panels: Panel[]): string[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).flatMap((t) => (t.expr === undefined ? [] : [t.expr])),
    ...exprs(p.panels ?? []),
  ]);
}

describe("docker/grafana-dashboard.json", () => {
  it("parses, takes its Prometheus datasource as a variable, and names only metrics the server exports", async () => {
    const dashboard = JSON.parse(readFileSync(join(projectRoot(), "docker", "grafana-dashboard.json"), "utf8")) as {
      panels: Panel[];
      templating: { list: Array<{ name: string; type: string; query: string }> };
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    const all = exprs(dashboard.panels);
    expect(all.length).toBeGreaterThan(10);

    const dir = await mkdtemp(join(tmpdir(), "atoll-dashboard-"));
    const store = await openStore({ dataDir: dir, mongodbUrl: null });
    try {
      const metrics = new InstanceMetrics({ store, clock: Date.now, onError: () => {} });
      const exported = new Set<string>();
      for (const m of await metrics.registry.getMetricsAsJSON()) {
        exported.add(m.name);
        if (String(m.type) === "histogram")
          for (const s of ["_bucket", "_count", "_sum"]) exported.add(`${m.name}${s}`);
      }
      const named = new Set(all.flatMap((e) => e.match(/\batoll_[a-z0-9_]+/g) ?? []));
      expect(named.size).toBeGreaterThan(15);
      expect([...named].filter((n) => !exported.has(n))).toEqual([]);
      // Each metric of this server's own is on the dashboard.
      const own = [...exported].filter((n) => !/^atoll_(process|nodejs)_/.test(n) && !/_(bucket|count|sum)$/.test(n));
      const shown = (n: string) => [...named].some((x) => x === n || x === `${n}_bucket`);
      expect(own.filter((n) => !shown(n))).toEqual([]);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
