import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { register as globalRegistry } from "prom-client";

import { METRIC_SPECS, createMetrics, metricsHandler, type MetricName } from "../../../agents/common/metrics";

/** The value of `name{labels}` in a text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("agents/common/metrics", function () {
  it("collects Node's default metrics with the holo_ prefix", async function () {
    const metrics = createMetrics({ agent: "su" });
    const text = await metrics.text();
    for (const name of [
      "holo_process_cpu_user_seconds_total",
      "holo_process_resident_memory_bytes",
      "holo_nodejs_heap_size_used_bytes",
      "holo_nodejs_eventloop_lag_seconds",
    ]) {
      expect(text).to.include(`# TYPE ${name} `);
    }
    expect(text).not.to.match(/^# TYPE process_/m); // nothing unprefixed
  });

  it("can leave the default metrics out", async function () {
    const metrics = createMetrics({ agent: "su", defaultMetrics: false });
    expect(await metrics.text()).to.equal("\n");
  });

  it("creates a metric of §5 on first use, typed by name, once", async function () {
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    expect(await metrics.text()).not.to.include("holo_tx_sent_total");
    const sent = metrics.get("holo_tx_sent_total");
    expect(metrics.get("holo_tx_sent_total")).to.equal(sent);
    sent.inc({ op: "post" });
    sent.inc({ op: "post" });
    sent.inc({ op: "move" }, 3);
    metrics.get("holo_chain_rpc_errors_total").inc();
    metrics.get("holo_watcher_games_open").set(4);
    metrics.get("holo_tx_confirm_seconds").observe(0.3);

    const text = await metrics.text();
    expect(text).to.include("# HELP holo_tx_sent_total Chain transactions sent");
    expect(text).to.include("# TYPE holo_tx_sent_total counter");
    expect(sample(text, 'holo_tx_sent_total{op="post"}')).to.equal(2);
    expect(sample(text, 'holo_tx_sent_total{op="move"}')).to.equal(3);
    expect(sample(text, "holo_chain_rpc_errors_total")).to.equal(1);
    expect(text).to.include("# TYPE holo_watcher_games_open gauge");
    expect(sample(text, "holo_watcher_games_open")).to.equal(4);
    expect(text).to.include("# TYPE holo_tx_confirm_seconds histogram");
    expect(sample(text, 'holo_tx_confirm_seconds_bucket{le="0.25"}')).to.equal(0);
    expect(sample(text, 'holo_tx_confirm_seconds_bucket{le="0.5"}')).to.equal(1);
    expect(sample(text, "holo_tx_confirm_seconds_count")).to.equal(1);
  });

  it("declares exactly the metrics docs/agents.md §5 names", function () {
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "agents.md"), "utf8");
    const section = doc.slice(doc.indexOf("## 5."), doc.indexOf("## 6."));
    const named = new Map<string, string[]>();
    for (const m of section.matchAll(/`(holo_[a-z_]+)(?:\{([a-z_,]+)\})?`/g)) {
      named.set(m[1], m[2] === undefined ? [] : m[2].split(","));
    }
    expect([...named.keys()].sort()).to.deep.equal(Object.keys(METRIC_SPECS).sort());
    for (const [name, labels] of named) {
      expect([...METRIC_SPECS[name as MetricName].labelNames], name).to.deep.equal(labels);
    }
  });

  it("keeps two agents' registries independent, and the global registry untouched", async function () {
    const a = createMetrics({ agent: "su" });
    const b = createMetrics({ agent: "cu" });
    expect(a.registry).not.to.equal(b.registry);
    a.get("holo_http_requests_total").inc({ route: "/", status: "200" });
    b.get("holo_http_requests_total"); // same name in another registry: no clash
    const textA = await a.text();
    const textB = await b.text();
    expect(sample(textA, 'holo_http_requests_total{route="/",status="200"}')).to.equal(1);
    expect(textB).to.include("# TYPE holo_http_requests_total counter");
    expect(sample(textB, 'holo_http_requests_total{route="/",status="200"}')).to.equal(undefined);
    expect(globalRegistry.getSingleMetric("holo_http_requests_total")).to.equal(undefined);
    expect(globalRegistry.getSingleMetric("holo_process_cpu_user_seconds_total")).to.equal(undefined);
  });

  it("refuses an unknown metric name and a missing agent name", function () {
    const metrics = createMetrics({ agent: "su", defaultMetrics: false });
    expect(() => metrics.get("holo_nope_total" as MetricName)).to.throw(
      TypeError,
      /unknown metric "holo_nope_total"; the metrics of docs\/agents.md §5 are holo_chain_rpc_errors_total/,
    );
    expect(() => createMetrics({ agent: " " })).to.throw(TypeError, /`agent` must be a non-empty string/);
  });

  it("metricsHandler answers the Prometheus content type and the text", async function () {
    const metrics = createMetrics({ agent: "watcher", defaultMetrics: false });
    metrics.get("holo_watcher_commitments_checked_total").inc({ verdict: "agree" });
    const { contentType, body } = await metricsHandler(metrics)();
    expect(contentType).to.match(/^text\/plain; version=0\.0\.4/);
    expect(sample(body, 'holo_watcher_commitments_checked_total{verdict="agree"}')).to.equal(1);
  });
});
