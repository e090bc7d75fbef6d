/**
 * Matching a cluster's nodes and volumes to the lines of a cloud bill.
 *
 * Kubecost labels a node's price series with the node's `provider_id` (the Kubernetes
 * `spec.providerID`) and a persistent volume's with its disk id; a FOCUS bill names the same
 * machine in `ResourceId`, in the provider's own spelling. Both are reduced here to match keys:
 * a node and a bill line are the same resource when they share a key. Shapes (real examples):
 *
 * - AWS node `aws:///us-east-1a/i-0a1b2c3d4e5f60718`; bill `i-0a1b2c3d4e5f60718` or
 *   `arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718`.
 *   AWS volume `vol-0abc`, `aws://us-east-1a/vol-0abc`; bill `vol-0abc` or `arn:...:volume/vol-0abc`.
 * - GCP node `gce://my-project/us-central1-a/gke-pool-1-abcd`; bill
 *   `//compute.googleapis.com/projects/my-project/zones/us-central1-a/instances/gke-pool-1-abcd`
 *   (or the bare instance name, within that project). Disks: volume
 *   `projects/my-project/zones/us-central1-a/disks/pvc-1` (or `gce://project/zone/pvc-1`), bill
 *   `.../projects/my-project/zones/us-central1-a/disks/pvc-1` or the bare name.
 * - Azure node `azure:///subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/
 *   virtualMachines/<vm>` or `.../virtualMachineScaleSets/<ss>/virtualMachines/<n>`; bill the same
 *   path (any case). A bill that carries only the scale set (`.../virtualMachineScaleSets/<ss>`)
 *   matches every node of that scale set through its `scale set` key, and its cost is split over
 *   them by node-hours. Azure disks: `.../providers/Microsoft.Compute/disks/<name>`.
 *
 * A resource has at most one exact key and possibly weaker ones (GCP's bare name, Azure's scale
 * set); {@link ResourceMatchKeys} keeps them apart so an exact match always wins.
 */

export type ClusterResourceKind = 'node' | 'volume';

/** The keys under which a cluster's node or volume may appear in a bill. */
export interface ResourceMatchKeys {
  /** The one key naming exactly this machine or disk, or null when the id has no known shape. */
  exact: string | null;
  /** A project-scoped bare name (GCP): used when no bill line has the exact key. */
  name: string | null;
  /** The Azure scale set this node belongs to: its bill line is shared by the set's nodes. */
  scaleSet: string | null;
}

/** The key a bill line (FOCUS ResourceId) answers to: one of the three kinds, or none. */
export interface BillMatchKey {
  key: string;
  kind: 'exact' | 'name' | 'scaleSet';
}

const NONE: ResourceMatchKeys = { exact: null, name: null, scaleSet: null };

const AWS_ID = /(?:^|[/:])((?:i|vol)-[0-9a-f]{8,17})$/i;
const GCP_PATH = /projects\/([^/]+)\/zones\/([^/]+)\/(instances|disks)\/([^/]+)$/;
const GCE_PROVIDER = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/;
const AZURE_PATH = /(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.compute\/.+)$/;
const AZURE_VMSS_INSTANCE = /^(.*\/virtualmachinescalesets\/[^/]+)\/virtualmachines\/[^/]+$/;
const AZURE_VMSS = /\/virtualmachinescalesets\/[^/]+$/;

/** The match keys of a node's or volume's provider id, as Kubecost labels it. */
export function clusterResourceKeys(kind: ClusterResourceKind, providerId: string): ResourceMatchKeys {
  const id = providerId.trim();
  if (!id) return NONE;

  const azure = azurePath(id);
  if (azure) {
    const instance = AZURE_VMSS_INSTANCE.exec(azure);
    return {
      exact: `azure:${azure}`,
      name: null,
      scaleSet: instance?.[1] ? `azure-vmss:${instance[1]}` : null,
    };
  }

  const gcp = GCP_PATH.exec(id);
  if (gcp) {
    const [, project = '', zone = '', , name = ''] = gcp;
    return gcpKeys(kind, project, zone, name);
  }
  const gce = GCE_PROVIDER.exec(id);
  if (gce) {
    const [, project = '', zone = '', name = ''] = gce;
    return gcpKeys(kind, project, zone, name);
  }

  const aws = AWS_ID.exec(id);
  if (aws?.[1] && (id.startsWith('aws:') || id === aws[1])) {
    const awsId = aws[1].toLowerCase();
    const expected = kind === 'node' ? 'i-' : 'vol-';
    return awsId.startsWith(expected) ? { exact: `aws:${awsId}`, name: null, scaleSet: null } : NONE;
  }
  return NONE;
}

/**
 * The key a billed resource answers to. `subAccountId` is the bill's `SubAccountId` (GCP: the
 * project), used only for bare GCP names; AWS and Azure ids carry everything they need.
 */
export function billResourceKey(
  provider: string,
  resourceId: string,
  subAccountId: string | null = null,
): BillMatchKey | null {
  const id = resourceId.trim();
  if (!id) return null;
  switch (provider.toLowerCase()) {
    case 'aws': {
      const aws = AWS_ID.exec(id);
      if (!aws?.[1]) return null;
      const awsId = aws[1].toLowerCase();
      // an ARN must name the type the id belongs to: instance/i-..., volume/vol-...
      const type = awsId.startsWith('i-') ? 'instance' : 'volume';
      if (id.startsWith('arn:') && !id.endsWith(`:${type}/${aws[1]}`)) return null;
      return { key: `aws:${awsId}`, kind: 'exact' };
    }
    case 'gcp': {
      const gcp = GCP_PATH.exec(id);
      if (gcp) {
        const [, project, zone, type, name] = gcp;
        return { key: `gcp:${project}/${zone}/${type}/${name}`, kind: 'exact' };
      }
      if (subAccountId && /^[a-z0-9][a-z0-9-]*$/.test(id))
        return { key: `gcp-name:${subAccountId}/${id}`, kind: 'name' };
      return null;
    }
    case 'azure': {
      const azure = azurePath(id);
      if (!azure) return null;
      if (AZURE_VMSS.test(azure)) return { key: `azure-vmss:${azure}`, kind: 'scaleSet' };
      return { key: `azure:${azure}`, kind: 'exact' };
    }
    default:
      return null;
  }
}

function gcpKeys(kind: ClusterResourceKind, project: string, zone: string, name: string): ResourceMatchKeys {
  const type = kind === 'node' ? 'instances' : 'disks';
  return {
    exact: `gcp:${project}/${zone}/${type}/${name}`,
    name: `gcp-name:${project}/${name}`,
    scaleSet: null,
  };
}

/** The lower-cased Azure resource path from `/subscriptions/` on, or null. */
function azurePath(id: string): string | null {
  const lower = id.toLowerCase().replace(/\/+$/, '');
  const match = AZURE_PATH.exec(lower.startsWith('azure://') ? lower.slice('azure://'.length) : lower);
  return match?.[1] ?? null;
}

/**
 * The strings (lower case) a bill's ResourceId may equal or end with to name this node or volume:
 * a cheap SQL pre-filter over the organization's resources; {@link billResourceKey} decides.
 */
export function billCandidates(
  kind: ClusterResourceKind,
  providerId: string,
): { exact: string[]; suffixes: string[] } {
  const keys = clusterResourceKeys(kind, providerId);
  const exact: string[] = [];
  const suffixes: string[] = [];
  for (const key of [keys.exact, keys.name, keys.scaleSet]) {
    if (!key) continue;
    const colon = key.indexOf(':');
    const [scheme, rest] = [key.slice(0, colon), key.slice(colon + 1)];
    if (scheme === 'aws') {
      exact.push(rest);
      suffixes.push(`/${rest}`);
    } else if (scheme === 'gcp') {
      const [project, zone, type, name] = rest.split('/');
      suffixes.push(`projects/${project}/zones/${zone}/${type}/${name}`.toLowerCase());
    } else if (scheme === 'gcp-name') {
      exact.push(rest.slice(rest.indexOf('/') + 1).toLowerCase());
    } else {
      exact.push(rest); // azure paths, already lower case
    }
  }
  return { exact, suffixes };
}
