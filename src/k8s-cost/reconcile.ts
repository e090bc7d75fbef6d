import { breakdownTotal, type K8sCostBreakdown } from '../domain/k8s-cost-components';
import type {
  BilledLine,
  ClusterDayEstimate,
  ReconciledDay,
  ReconciledResource,
} from '../domain/reconciliation';
import { billResourceKey, clusterResourceKeys, type BillMatchKey } from './provider-id';
import { roundCost } from './k8s-cost.calculator';
import type { AllocationCorrection } from '../domain/allocation';

/** A bill line with the key it answers to. */
interface KeyedLine {
  line: BilledLine;
  match: BillMatchKey;
}

/**
 * Reconciles one cluster-day with the bill lines of that day (Kubecost's "reconciliation", made
 * exact): a node matched to a bill line costs what the bill says, its cpu, ram, gpu and unsplit
 * parts scaled in the proportion of their metric prices (and its idle with them, idle being a part
 * of those); a matched volume's storage is its billed cost; whatever matches nothing keeps its
 * metric price, and the cluster-level parts (management fee, load balancers, network) are never in
 * a node's bill line. A bill line that names only an Azure scale set is shared by the set's nodes
 * in proportion to their hours.
 *
 * The unified totals then count each dollar once: the bills in full, and of the cluster only
 * `unbilled` = reconciled total - billed (which equals the metric price of what matched nothing).
 */
export function reconcileDay(
  date: string,
  estimate: ClusterDayEstimate,
  lines: readonly BilledLine[],
): ReconciledDay {
  const byKey = new Map<string, KeyedLine[]>();
  for (const line of lines) {
    if (line.date !== date) continue;
    const match = billResourceKey(line.provider, line.cloudResourceId, line.accountRef);
    if (!match) continue;
    const list = byKey.get(match.key) ?? [];
    list.push({ line, match });
    byKey.set(match.key, list);
  }
  const billedAt = (key: string | null, kind: BillMatchKey['kind']) => {
    const found = key ? (byKey.get(key) ?? []).filter((l) => l.match.kind === kind) : [];
    if (!found.length) return null;
    return {
      cost: found.reduce((sum, l) => sum + l.line.cost, 0),
      resourceId: found[0]?.line.resourceId ?? null,
    };
  };

  const reconciled = { ...estimate.breakdown } as Record<string, number | null>;
  const shift = (key: keyof K8sCostBreakdown, by: number) => {
    reconciled[key] = (reconciled[key] ?? 0) + by;
  };
  const resources: ReconciledResource[] = [];
  let billed = 0;

  // Nodes: exact key, then the project-scoped name; the rest may share a scale set's line.
  const sharing = new Map<string, { index: number; hours: number }[]>();
  const nodeBills: ({ cost: number; resourceId: string | null } | null)[] = estimate.nodes.map(
    (node, index) => {
      const keys = clusterResourceKeys('node', node.providerId);
      const direct = billedAt(keys.exact, 'exact') ?? billedAt(keys.name, 'name');
      if (!direct && keys.scaleSet && byKey.has(keys.scaleSet)) {
        const members = sharing.get(keys.scaleSet) ?? [];
        members.push({ index, hours: node.hours });
        sharing.set(keys.scaleSet, members);
      }
      return direct;
    },
  );
  for (const [key, members] of sharing) {
    const line = billedAt(key, 'scaleSet');
    if (!line) continue;
    const hours = members.reduce((sum, m) => sum + m.hours, 0);
    for (const member of members) {
      const share = hours > 0 ? member.hours / hours : 1 / members.length;
      nodeBills[member.index] = { cost: line.cost * share, resourceId: line.resourceId };
    }
  }

  estimate.nodes.forEach((node, i) => {
    const estimated = node.cpu + node.ram + node.gpu + node.unsplit;
    const bill = nodeBills[i] ?? null;
    resources.push({
      kind: 'NODE',
      name: node.name,
      providerId: node.providerId,
      estimated: roundCost(estimated),
      billed: bill ? roundCost(bill.cost) : null,
      billResourceId: bill?.resourceId ?? null,
    });
    if (!bill) return;
    billed += bill.cost;
    if (estimated > 0) {
      const factor = bill.cost / estimated;
      shift('cpu', node.cpu * (factor - 1));
      shift('ram', node.ram * (factor - 1));
      shift('gpu', node.gpu * (factor - 1));
      shift('nodeUnsplit', node.unsplit * (factor - 1));
      shift('idle', node.idle * (factor - 1));
    } else {
      shift('nodeUnsplit', bill.cost); // billed, but no metric price to split it by
    }
  });

  for (const volume of estimate.volumes) {
    const keys = clusterResourceKeys('volume', volume.providerId);
    const bill = billedAt(keys.exact, 'exact') ?? billedAt(keys.name, 'name');
    resources.push({
      kind: 'VOLUME',
      name: volume.name,
      providerId: volume.providerId,
      estimated: volume.storage,
      billed: bill ? roundCost(bill.cost) : null,
      billResourceId: bill?.resourceId ?? null,
    });
    if (!bill) continue;
    billed += bill.cost;
    shift('storage', bill.cost - volume.storage);
  }

  for (const key of Object.keys(reconciled)) {
    const value = reconciled[key];
    if (value !== null && value !== undefined) reconciled[key] = roundCost(value);
  }
  const result = reconciled as K8sCostBreakdown;
  result.total = roundCost(breakdownTotal(result));
  billed = roundCost(billed);
  return {
    date,
    estimated: estimate.breakdown,
    reconciled: result,
    billed,
    unbilled: roundCost(result.total - billed),
    resources,
  };
}

/**
 * How the bill corrects a cluster-day's allocation: each billed node's and volume's figures
 * scaled by billed / metric price (as reconcileDay scales the breakdown), and what was billed for
 * a node or volume with no metric price at all added to idle or unmounted.
 */
export function allocationCorrection(day: ReconciledDay): AllocationCorrection {
  const correction: AllocationCorrection = {
    nodeFactors: {},
    volumeFactors: {},
    extraIdle: 0,
    extraUnmounted: 0,
  };
  for (const r of day.resources) {
    if (r.billed === null) continue;
    const factors = r.kind === 'NODE' ? correction.nodeFactors : correction.volumeFactors;
    if (r.estimated > 0) factors[r.name] = r.billed / r.estimated;
    else if (r.kind === 'NODE') correction.extraIdle += r.billed;
    else correction.extraUnmounted += r.billed;
  }
  return correction;
}
