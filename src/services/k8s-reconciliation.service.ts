import type { ReconciliationStore } from '../domain/ports';
import type { DayRange } from '../domain/model';
import type { ReconciledResourceKind } from '../domain/reconciliation';
import { reconcileDay } from '../k8s-cost/reconcile';
import { billCandidates } from '../k8s-cost/provider-id';
import { roundCost } from '../k8s-cost/k8s-cost.calculator';
import { validateRange } from './ranges';

/** A node or volume over a range: its metric price beside what its bill lines say. */
export interface ReconciledResourceView {
  kind: ReconciledResourceKind;
  providerId: string;
  name: string;
  estimated: number;
  /** null when no bill line matched it on any day of the range. */
  billed: number | null;
  /** The billed resource (expenses.resource_id), when one matched. */
  billResourceId: string | null;
}

/** A cluster's costs over a range before and after matching its nodes and volumes to the bills. */
export interface ClusterReconciliation {
  estimated: number;
  billed: number;
  unbilled: number;
  reconciled: number;
  difference: number;
  resources: ReconciledResourceView[];
}

/** Explains a cluster's reconciliation with the bills, and links billed resources to clusters. */
export class K8sReconciliationService {
  constructor(private readonly store: ReconciliationStore) {}

  /**
   * The cluster's reconciliation over a range, from the stored day estimates and the bills as they
   * are now (the same computation that wrote the cluster's cost rows).
   */
  async reconciliation(
    organizationId: string,
    clusterId: string,
    range: DayRange,
  ): Promise<ClusterReconciliation> {
    const { start, end } = validateRange(range);
    const estimates = await this.store.estimates(organizationId, start, end, [clusterId]);
    const exact = new Set<string>();
    const suffixes = new Set<string>();
    for (const { estimate } of estimates) {
      for (const node of estimate.nodes) addAll(billCandidates('node', node.providerId), exact, suffixes);
      for (const volume of estimate.volumes)
        addAll(billCandidates('volume', volume.providerId), exact, suffixes);
    }
    const lines = estimates.length
      ? await this.store.billedLines(organizationId, start, end, {
          exact: [...exact],
          suffixes: [...suffixes],
        })
      : [];
    let estimated = 0;
    let reconciled = 0;
    let billed = 0;
    const resources = new Map<string, ReconciledResourceView>();
    for (const e of estimates) {
      const day = reconcileDay(e.date, e.estimate, lines);
      estimated += day.estimated.total;
      reconciled += day.reconciled.total;
      billed += day.billed;
      for (const r of day.resources) {
        const key = `${r.kind}|${r.providerId || r.name}`;
        const seen = resources.get(key) ?? { ...r, estimated: 0, billed: null };
        seen.estimated += r.estimated;
        if (r.billed !== null) {
          seen.billed = (seen.billed ?? 0) + r.billed;
          seen.billResourceId = r.billResourceId;
        }
        resources.set(key, seen);
      }
    }
    const list = [...resources.values()]
      .map((r) => ({
        ...r,
        estimated: roundCost(r.estimated),
        billed: r.billed === null ? null : roundCost(r.billed),
      }))
      .sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind === 'NODE' ? -1 : 1));
    return {
      estimated: roundCost(estimated),
      billed: roundCost(billed),
      unbilled: roundCost(reconciled - billed),
      reconciled: roundCost(reconciled),
      difference: roundCost(estimated - reconciled),
      resources: list,
    };
  }

  /** The cluster each billed resource was matched to (a node or volume of it). */
  async clusterLinks(organizationId: string, resourceIds: readonly string[]): Promise<Map<string, string>> {
    return this.store.clusterLinks(organizationId, resourceIds);
  }
}

function addAll(c: { exact: string[]; suffixes: string[] }, exact: Set<string>, suffixes: Set<string>): void {
  c.exact.forEach((v) => exact.add(v));
  c.suffixes.forEach((v) => suffixes.add(v));
}
