/**
 * Prometheus metrics (docs/agents.md §5). Each agent owns one prom-client `Registry` — never the global
 * default — so tests, and several agents in one process, do not collide. The metrics of §5 are declared
 * once in {@link METRIC_SPECS} and created on first use by {@link AgentMetrics.get}, typed by name.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Buckets (seconds) for durations from a few milliseconds (an evaluation) to minutes (a confirmation). */
export const SECONDS_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
]);

interface Spec {
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** Every metric of docs/agents.md §5: its type, help text and labels. */
export const METRIC_SPECS = {
  // common
  holo_chain_rpc_errors_total: {
    type: "counter",
    help: "JSON-RPC calls to the chain that failed (each failed attempt, retried or not)",
    labelNames: [],
  },
  holo_tx_sent_total: {
    type: "counter",
    help: "Chain transactions sent, by operation kind (post, move, claim...)",
    labelNames: ["op"],
  },
  holo_tx_confirm_seconds: {
    type: "histogram",
    help: "Seconds from sending a transaction to its confirmation at the configured depth",
    labelNames: [],
  },
  holo_arweave_errors_total: {
    type: "counter",
    help: "Arweave gateway or bundler requests that failed (each failed attempt)",
    labelNames: [],
  },
  holo_http_requests_total: {
    type: "counter",
    help: "HTTP requests served, by route pattern and status code",
    labelNames: ["route", "status"],
  },
  holo_checkpoints_pruned_total: {
    type: "counter",
    help: "Process-state checkpoints deleted because the finalized chain made them useless (CU, watcher)",
    labelNames: [],
  },
  // scheduler unit
  holo_su_slots_assigned_total: {
    type: "counter",
    help: "Slots assigned by the scheduler unit",
    labelNames: [],
  },
  holo_su_commits_total: {
    type: "counter",
    help: "Group commits of accepted messages (SQLite transactions); slots assigned / commits is the batch size",
    labelNames: [],
  },
  holo_su_publish_lag_slots: {
    type: "gauge",
    help: "Slots assigned but not yet published to Arweave",
    labelNames: [],
  },
  holo_su_backpressure_refusals_total: {
    type: "counter",
    help: "Data items refused with 503 PublishBacklogFull because maxPublishBacklog slots were not yet published",
    labelNames: [],
  },
  // compute unit
  holo_cu_slots_evaluated_total: {
    type: "counter",
    help: "Slots evaluated by the compute unit",
    labelNames: [],
  },
  holo_cu_eval_seconds: {
    type: "histogram",
    help: "Seconds spent evaluating one slot",
    labelNames: [],
  },
  holo_cu_commitments_posted_total: {
    type: "counter",
    help: "Commitments posted on chain by the compute unit",
    labelNames: [],
  },
  holo_cu_result_latency_seconds: {
    type: "histogram",
    help: "Seconds from a slot's assignment to its result being served",
    labelNames: [],
  },
  // watcher
  holo_watcher_slots_reexecuted_total: {
    type: "counter",
    help: "Slots re-executed (and stored) by the watcher",
    labelNames: [],
  },
  holo_watcher_commitments_checked_total: {
    type: "counter",
    help: "Commitments checked by the watcher, by verdict (agree, disagree, unavailable)",
    labelNames: ["verdict"],
  },
  holo_watcher_games_open: {
    type: "gauge",
    help: "Dispute games the watcher is playing",
    labelNames: [],
  },
  holo_watcher_clock_margin_seconds: {
    type: "gauge",
    help: "The smallest margin, in seconds, between a game clock and the expected answer time",
    labelNames: [],
  },
} as const satisfies Record<string, Spec>;

export type MetricName = keyof typeof METRIC_SPECS;

type SpecOf<N extends MetricName> = (typeof METRIC_SPECS)[N];
type LabelsOf<N extends MetricName> = SpecOf<N>["labelNames"][number];

/** The prom-client type of metric `N`, with its label names. */
export type MetricOf<N extends MetricName> = SpecOf<N>["type"] extends "counter"
  ? Counter<LabelsOf<N>>
  : SpecOf<N>["type"] extends "gauge"
    ? Gauge<LabelsOf<N>>
    : Histogram<LabelsOf<N>>;

export interface MetricsOptions {
  /** The agent's name (`su`, `cu`, `watcher`), for messages. */
  agent: string;
  /** Collect Node's process metrics (CPU, memory, event loop, GC) as `holo_*`; default true. */
  defaultMetrics?: boolean;
}

/** The metrics of one agent. */
export interface AgentMetrics {
  readonly agent: string;
  /** The agent's own registry; register agent-specific metrics here. */
  readonly registry: Registry;
  /** Metric `name` of §5, created (in this registry) on first use. */
  get<N extends MetricName>(name: N): MetricOf<N>;
  /** The Prometheus text exposition of every metric in the registry. */
  text(): Promise<string>;
  /** The content type of {@link text}. */
  readonly contentType: string;
}

/** Creates an agent's registry (with Node's default metrics prefixed `holo_` unless turned off). */
export function createMetrics(options: MetricsOptions): AgentMetrics {
  if (typeof options.agent !== "string" || options.agent.trim() === "") {
    throw new TypeError("createMetrics: `agent` must be a non-empty string (the agent's name, e.g. `su`)");
  }
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "holo_" });
  const created = new Map<MetricName, Counter | Gauge | Histogram>();

  function get<N extends MetricName>(name: N): MetricOf<N> {
    const existing = created.get(name);
    if (existing !== undefined) return existing as MetricOf<N>;
    const spec: Spec | undefined = (METRIC_SPECS as Record<string, Spec>)[name];
    if (spec === undefined) {
      throw new TypeError(
        `metrics: unknown metric ${JSON.stringify(name)}; the metrics of docs/agents.md §5 are ${Object.keys(METRIC_SPECS).join(", ")}`,
      );
    }
    const config = { name, help: spec.help, labelNames: [...spec.labelNames], registers: [registry] };
    const metric =
      spec.type === "counter"
        ? new Counter(config)
        : spec.type === "gauge"
          ? new Gauge(config)
          : new Histogram({ ...config, buckets: [...SECONDS_BUCKETS] });
    created.set(name, metric);
    return metric as MetricOf<N>;
  }

  return Object.freeze({
    agent: options.agent,
    registry,
    get,
    text: () => registry.metrics(),
    contentType: registry.contentType,
  });
}

/** A framework-neutral `/metrics` handler: the content type and the text exposition. */
export function metricsHandler(metrics: AgentMetrics): () => Promise<{ contentType: string; body: string }> {
  return async () => ({ contentType: metrics.contentType, body: await metrics.text() });
}
